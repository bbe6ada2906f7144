import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';

/** A token issuer for the demo: a key pair made now and its JWKS served on 127.0.0.1. */
export interface LocalIssuer {
  /** The `iss` of every token it mints. */
  readonly issuer: string;
  /** Where its JSON Web Key Set is served. */
  readonly jwksUri: string;
  /** Mints a short-lived token for `subject` with `groups`, acting through `actor` when given (RFC 8693 `act`). */
  mint(subject: string, groups: readonly string[], actor?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Generates an ES256 key pair and serves its public half as a JWKS on a free loopback port, the
 * way an identity provider would — so the demo's tokens are verified exactly as real ones are.
 *
 * @example
 * ```ts
 * const idp = await startLocalIssuer({ issuer: 'https://issuer.example/', audience: 'portcullis' });
 * const token = await idp.mint('alice', ['analysts'], 'copilot');
 * ```
 */
export async function startLocalIssuer(options: { issuer: string; audience: string }): Promise<LocalIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const kid = `demo-${Date.now().toString(36)}`;
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] });
  const server: Server = createServer((req, res) => {
    if (req.url === '/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const sign = (key: CryptoKey, claims: Record<string, unknown>, subject: string): Promise<string> =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer(options.issuer)
      .setAudience(options.audience)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(key);
  return {
    issuer: options.issuer,
    jwksUri: `http://127.0.0.1:${port}/jwks.json`,
    mint: (subject, groups, actor) =>
      sign(
        privateKey,
        { groups: [...groups], ...(actor === undefined ? {} : { act: { sub: actor } }) },
        subject,
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
