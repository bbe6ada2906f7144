// A local OpenID Connect issuer for the console's tests: discovery, JWKS, an authorize page
// where the browser picks a test user, and a token endpoint that checks the code, the redirect
// URI, the client and the PKCE verifier exactly as a real issuer must. Keys are generated at
// run time; it listens on loopback only.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

export interface TestUser {
  readonly groups: readonly string[];
  /** RFC 8693 `act.sub`: the agent acting for this user (its tokens are agent tokens). */
  readonly actor?: string;
}

export interface OidcIssuer {
  readonly issuer: string;
  readonly clientId: string;
  readonly audience: string;
  /** The public keys, for the policy's `identity.jwks.keys`. */
  readonly jwks: { readonly keys: readonly JWK[] };
  /** An access token for `subject` minted directly (what an agent or the CLI would hold). */
  accessToken(
    subject: string,
    options?: { readonly actor?: string; readonly audience?: string },
  ): Promise<string>;
  /** How many codes were redeemed, and how many redemptions were refused. */
  readonly stats: { redeemed: number; refused: number };
  /** Makes the next token response name a different subject in the ID token (an attack). */
  mismatchNextIdToken(subject: string): void;
  close(): Promise<void>;
}

interface Grant {
  readonly subject: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly nonce: string;
}

export async function startOidcIssuer(options: {
  readonly users: Readonly<Record<string, TestUser>>;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly audience?: string;
}): Promise<OidcIssuer> {
  const clientId = options.clientId ?? 'portcullis-console';
  const audience = options.audience ?? 'portcullis';
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const kid = randomBytes(8).toString('hex');
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const grants = new Map<string, Grant>();
  const stats = { redeemed: 0, refused: 0 };
  let mismatch: string | undefined;
  let issuer = '';

  const sign = (claims: Record<string, unknown>, aud: string, subject: string): Promise<string> =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(aud)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime('15m')
      .setJti(randomBytes(8).toString('hex'))
      .sign(privateKey);

  const accessToken = (
    subject: string,
    o: { readonly actor?: string; readonly audience?: string } = {},
  ): Promise<string> => {
    const user = options.users[subject];
    const actor = o.actor ?? user?.actor;
    return sign(
      { groups: [...(user?.groups ?? [])], ...(actor === undefined ? {} : { act: { sub: actor } }) },
      o.audience ?? audience,
      subject,
    );
  };

  // Both answer and return null, so a route can `return send(…)`.
  const send = (
    res: ServerResponse,
    status: number,
    type: string,
    body: string,
    headers: Record<string, string> = {},
  ): null => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers }).end(body);
    return null;
  };
  const json = (res: ServerResponse, status: number, body: unknown): null =>
    send(res, status, 'application/json', JSON.stringify(body));
  const readBody = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${String(c.charCodeAt(0))};`);

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', issuer);
      if (url.pathname === '/.well-known/openid-configuration')
        return json(res, 200, {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ['code'],
          code_challenge_methods_supported: ['S256'],
          id_token_signing_alg_values_supported: ['ES256'],
        });
      if (url.pathname === '/jwks') return json(res, 200, { keys: [jwk] });
      if (url.pathname === '/authorize') {
        const p = url.searchParams;
        if (p.get('client_id') !== clientId || p.get('response_type') !== 'code')
          return send(res, 400, 'text/plain', 'unknown client or response type');
        if (p.get('code_challenge_method') !== 'S256' || (p.get('code_challenge') ?? '') === '')
          return send(res, 400, 'text/plain', 'PKCE S256 is required');
        if ((p.get('nonce') ?? '') === '' || (p.get('state') ?? '') === '')
          return send(res, 400, 'text/plain', 'state and nonce are required');
        const links = Object.keys(options.users).map((user) => {
          const q = new URLSearchParams(p);
          q.set('user', user);
          return `<li><a href="/authorize/grant?${escape(q.toString())}">Sign in as ${escape(user)}</a></li>`;
        });
        return send(
          res,
          200,
          'text/html; charset=utf-8',
          `<!doctype html><title>Test issuer</title><h1>Test issuer</h1><ul>${links.join('')}</ul>`,
        );
      }
      if (url.pathname === '/authorize/grant') {
        const p = url.searchParams;
        const user = p.get('user') ?? '';
        const redirectUri = p.get('redirect_uri') ?? '';
        if (options.users[user] === undefined) return send(res, 400, 'text/plain', 'unknown user');
        const code = randomBytes(16).toString('base64url');
        grants.set(code, {
          subject: user,
          clientId: p.get('client_id') ?? '',
          redirectUri,
          challenge: p.get('code_challenge') ?? '',
          nonce: p.get('nonce') ?? '',
        });
        const back = new URL(redirectUri);
        back.searchParams.set('code', code);
        back.searchParams.set('state', p.get('state') ?? '');
        return send(res, 302, 'text/plain', '', { location: back.href });
      }
      if (url.pathname === '/token' && req.method === 'POST') {
        const form = new URLSearchParams(await readBody(req));
        const code = form.get('code') ?? '';
        const grant = grants.get(code);
        grants.delete(code);
        const basic = req.headers.authorization?.replace(/^Basic /, '');
        const secretOk =
          options.clientSecret === undefined ||
          (basic !== undefined &&
            Buffer.from(basic, 'base64').toString('utf8') === `${clientId}:${options.clientSecret}`);
        const verifier = form.get('code_verifier') ?? '';
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        if (
          grant === undefined ||
          form.get('grant_type') !== 'authorization_code' ||
          form.get('client_id') !== grant.clientId ||
          form.get('redirect_uri') !== grant.redirectUri ||
          challenge !== grant.challenge ||
          !secretOk
        ) {
          stats.refused++;
          return json(res, 400, { error: 'invalid_grant' });
        }
        stats.redeemed++;
        const idSubject = mismatch ?? grant.subject;
        mismatch = undefined;
        return json(res, 200, {
          token_type: 'Bearer',
          expires_in: 900,
          access_token: await accessToken(grant.subject),
          id_token: await sign({ nonce: grant.nonce }, clientId, idSubject),
        });
      }
      send(res, 404, 'text/plain', 'not found');
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  return {
    issuer,
    clientId,
    audience,
    jwks: { keys: [jwk] },
    accessToken,
    stats,
    mismatchNextIdToken(subject) {
      mismatch = subject;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
