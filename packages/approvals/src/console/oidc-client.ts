import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { readLimited } from '../lib/read-limited.js';

/** How the console signs people in (OpenID Connect, authorization code flow with PKCE). */
export interface ConsoleOidcOptions {
  /**
   * The issuer (its `/.well-known/openid-configuration` is read once). Default: the policy's
   * `identity.issuer`.
   */
  readonly issuer?: string;
  /** The console's client id at the issuer. */
  readonly clientId: string;
  /** The client secret, for a confidential client (sent with HTTP Basic). Omit for a public client. */
  readonly clientSecret?: string;
  /** Scopes to ask for (default `openid profile`); `openid` is always included. */
  readonly scopes?: readonly string[];
  /** Extra authorization request parameters (`audience`, `resource`, …) some issuers need. */
  readonly authorizationParams?: Readonly<Record<string, string>>;
}

interface Discovery {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
}

/** What one sign-in attempt keeps between the redirect and the callback. */
export interface LoginAttempt {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  readonly createdAt: number;
  readonly returnTo: string;
}

/** The tokens a successful callback yields. */
export interface SignedIn {
  /** The ID token's claims (signature, issuer, audience, expiry and nonce checked). */
  readonly idClaims: JWTPayload;
  /** The access token, resolved into a principal by the policy's identity section. */
  readonly accessToken: string;
}

const MAX_BODY = 64 * 1024;

/**
 * A minimal OpenID Connect relying party for the console: discovery, the authorization URL
 * (S256 PKCE, state, nonce), the code exchange and ID-token verification. Endpoints must be
 * https, or http on a loopback address.
 */
export class OidcClient {
  readonly #options: ConsoleOidcOptions & { readonly issuer: string };
  readonly #redirectUri: string;
  readonly #fetch: typeof fetch;
  #discovery: Promise<Discovery> | undefined;
  #jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  constructor(
    options: ConsoleOidcOptions & { readonly issuer: string },
    redirectUri: string,
    fetchFn: typeof fetch,
  ) {
    this.#options = options;
    this.#redirectUri = redirectUri;
    this.#fetch = fetchFn;
  }

  /** A new sign-in attempt and the URL to send the browser to. */
  async begin(
    returnTo: string,
    now: number,
  ): Promise<{ readonly attempt: LoginAttempt; readonly url: string }> {
    const d = await this.#discover();
    const attempt: LoginAttempt = {
      state: token(),
      nonce: token(),
      verifier: token(),
      createdAt: now,
      returnTo,
    };
    const url = new URL(d.authorization_endpoint);
    const scopes = new Set(['openid', ...(this.#options.scopes ?? ['profile'])]);
    const params: Record<string, string> = {
      ...this.#options.authorizationParams,
      response_type: 'code',
      client_id: this.#options.clientId,
      redirect_uri: this.#redirectUri,
      scope: [...scopes].join(' '),
      state: attempt.state,
      nonce: attempt.nonce,
      code_challenge: createHash('sha256').update(attempt.verifier).digest('base64url'),
      code_challenge_method: 'S256',
    };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return { attempt, url: url.href };
  }

  /** Exchanges the code and verifies the ID token against the attempt's nonce. */
  async finish(code: string, attempt: LoginAttempt): Promise<SignedIn> {
    const d = await this.#discover();
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.#redirectUri,
      code_verifier: attempt.verifier,
      client_id: this.#options.clientId,
    });
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (this.#options.clientSecret !== undefined) {
      const id = encodeURIComponent(this.#options.clientId);
      const secret = encodeURIComponent(this.#options.clientSecret);
      headers['authorization'] = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    }
    const res = await this.#fetch(d.token_endpoint, {
      method: 'POST',
      headers,
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(10_000),
    });
    const json = await readJson(res, 'the token endpoint');
    if (!res.ok) {
      const error = typeof json['error'] === 'string' ? json['error'] : `HTTP ${String(res.status)}`;
      throw new Error(`the issuer refused the sign-in code (${error})`);
    }
    const idToken = json['id_token'];
    const accessToken = json['access_token'];
    if (typeof idToken !== 'string' || typeof accessToken !== 'string')
      throw new Error('the token endpoint returned no id_token or access_token');
    this.#jwks ??= createRemoteJWKSet(new URL(d.jwks_uri));
    const { payload } = await jwtVerify(idToken, this.#jwks, {
      issuer: d.issuer,
      audience: this.#options.clientId,
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
      requiredClaims: ['exp', 'iat', 'sub', 'nonce'],
      maxTokenAge: '10m',
    });
    if (payload['nonce'] !== attempt.nonce)
      throw new Error('the ID token does not carry this sign-in attempt’s nonce');
    return { idClaims: payload, accessToken };
  }

  #discover(): Promise<Discovery> {
    this.#discovery ??= this.#load().catch((err: unknown) => {
      this.#discovery = undefined; // try again on the next sign-in
      throw err;
    });
    return this.#discovery;
  }

  async #load(): Promise<Discovery> {
    const issuer = this.#options.issuer;
    const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const res = await this.#fetch(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) });
    const json = await readJson(res, url);
    if (!res.ok) throw new Error(`${url} answered HTTP ${String(res.status)}`);
    const field = (name: keyof Discovery): string => {
      const value = json[name];
      if (typeof value !== 'string') throw new Error(`${url} has no ${name}`);
      if (name !== 'issuer') checkEndpointUrl(value, name);
      return value;
    };
    const d: Discovery = {
      issuer: field('issuer'),
      authorization_endpoint: field('authorization_endpoint'),
      token_endpoint: field('token_endpoint'),
      jwks_uri: field('jwks_uri'),
    };
    // OpenID Connect Discovery 1.0 §4.3: the document's issuer must be the one we asked.
    if (d.issuer !== issuer) throw new Error(`${url} names issuer ${d.issuer}, not ${issuer}`);
    return d;
  }
}

function checkEndpointUrl(value: string, name: string): void {
  const url = new URL(value);
  const loopback = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new Error(`the issuer's ${name} must be https (or http on loopback): ${value}`);
}

async function readJson(res: Response, what: string): Promise<Record<string, unknown>> {
  const bytes = await readLimited(res.body, MAX_BODY);
  if (bytes === undefined) throw new Error(`${what} answered with more than ${String(MAX_BODY)} bytes`);
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch {
    throw new Error(`${what} did not answer with a JSON object`);
  }
}

/** 256 random bits, base64url. */
export function token(): string {
  return randomBytes(32).toString('base64url');
}
