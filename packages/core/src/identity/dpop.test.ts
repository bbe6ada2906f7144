import { createHash, createHmac, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { TokenError } from '../errors.js';
import type { IdentityConfig } from '../types.js';
import { createMemoryDpopReplayCache } from './dpop-replay-cache.js';
import { createIdentityResolver, type IdentityResolverOptions } from './resolve-identity.js';

const ISS = 'https://idp.test/';
const AUD = 'portcullis';
const T = 1_900_000_000;
const URL_ = 'https://api.test/v1/query';

let idp: { privateKey: CryptoKey; jwk: JWK };
let client: { privateKey: CryptoKey; jwk: JWK; jkt: string };
let other: { privateKey: CryptoKey; jwk: JWK };
let otherEc: JWK;

beforeAll(async () => {
  const a = await generateKeyPair('ES256', { extractable: true });
  idp = { privateKey: a.privateKey, jwk: { ...(await exportJWK(a.publicKey)), kid: 'idp-1' } };
  const b = await generateKeyPair('ES256', { extractable: true });
  const clientJwk = await exportJWK(b.publicKey);
  client = { privateKey: b.privateKey, jwk: clientJwk, jkt: await calculateJwkThumbprint(clientJwk) };
  const c = await generateKeyPair('EdDSA', { extractable: true });
  other = { privateKey: c.privateKey, jwk: await exportJWK(c.publicKey) };
  otherEc = await exportJWK((await generateKeyPair('ES256')).publicKey);
});

function accessToken(extra: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({
    iss: ISS,
    aud: AUD,
    sub: 'alice',
    iat: T - 5,
    exp: T + 300,
    cnf: { jkt: client.jkt },
    ...extra,
  })
    .setProtectedHeader({ alg: 'ES256', kid: 'idp-1', typ: 'at+jwt' })
    .sign(idp.privateKey);
}

const ath = (token: string): string => createHash('sha256').update(token).digest('base64url');

interface ProofOptions {
  readonly claims?: Record<string, unknown>;
  readonly header?: Record<string, unknown>;
  readonly key?: { privateKey: CryptoKey; jwk: JWK };
  readonly alg?: string;
}

function proof(token: string, options: ProofOptions = {}): Promise<string> {
  const key = options.key ?? client;
  return new SignJWT({
    htm: 'POST',
    htu: URL_,
    iat: T,
    jti: randomUUID(),
    ath: ath(token),
    ...options.claims,
  })
    .setProtectedHeader({ alg: options.alg ?? 'ES256', typ: 'dpop+jwt', jwk: key.jwk, ...options.header })
    .sign(key.privateKey);
}

/** An HS256 "proof" keyed with the bound key's thumbprint: symmetric proofs are never accepted. */
function hs256Proof(token: string): string {
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: 'HS256', typ: 'dpop+jwt', jwk: client.jwk })}.${b64({ htm: 'POST', htu: URL_, iat: T, jti: randomUUID(), ath: ath(token) })}`;
  return `${input}.${createHmac('sha256', client.jkt).update(input).digest('base64url')}`;
}

function resolver(extra: Partial<IdentityConfig> = {}, options: IdentityResolverOptions = {}) {
  return createIdentityResolver(
    { issuer: ISS, audience: AUD, jwks: { keys: [idp.jwk] }, clockTolerance: 5, ...extra },
    { now: () => new Date(T * 1000), ...options },
  );
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TokenError) return err.code;
    throw err;
  }
  return 'accepted';
}

describe('DPoP (RFC 9449)', () => {
  it('accepts a valid proof for a bound token', async () => {
    const token = await accessToken();
    const principal = await resolver().resolve(token, {
      dpop: { proof: await proof(token), method: 'POST', url: URL_ },
    });
    expect(principal.subject).toBe('alice');
  });

  it('ignores the request URL query and fragment, and normalises scheme, host, port and encoding', async () => {
    const token = await accessToken();
    const identity = resolver();
    const p1 = await proof(token);
    await identity.resolve(token, { dpop: { proof: p1, method: 'POST', url: `${URL_}?limit=10#frag` } });
    const p2 = await proof(token, { claims: { htu: 'HTTPS://API.test:443/v1/%71uery' } });
    await identity.resolve(token, { dpop: { proof: p2, method: 'POST', url: URL_ } });
  });

  const rejected: readonly [
    string,
    (token: string) => Promise<string>,
    { method?: string; url?: string }?,
  ][] = [
    ['wrong htm', (t) => proof(t, { claims: { htm: 'GET' } })],
    ['lower-case method against an upper-case htm', (t) => proof(t), { method: 'post' }],
    ['wrong htu path', (t) => proof(t, { claims: { htu: 'https://api.test/v1/admin' } })],
    ['wrong htu host', (t) => proof(t, { claims: { htu: 'https://evil.test/v1/query' } })],
    ['htu scheme differs', (t) => proof(t, { claims: { htu: 'http://api.test/v1/query' } })],
    ['stale iat', (t) => proof(t, { claims: { iat: T - 66 } })],
    ['iat in the future', (t) => proof(t, { claims: { iat: T + 30 } })],
    ['no iat', (t) => proof(t, { claims: { iat: undefined } })],
    ['bad ath', (t) => proof(t, { claims: { ath: ath(`${t}x`) } })],
    ['no ath', (t) => proof(t, { claims: { ath: undefined } })],
    ['no jti', (t) => proof(t, { claims: { jti: undefined } })],
    ['an over-long jti', (t) => proof(t, { claims: { jti: 'j'.repeat(300) } })],
    ['wrong key thumbprint (another key signs its own proof)', (t) => proof(t, { key: other, alg: 'EdDSA' })],
    ['typ is not dpop+jwt', (t) => proof(t, { header: { typ: 'JWT' } })],
    ['signed by a key other than its jwk', (t) => proof(t, { header: { jwk: otherEc } })],
    ['jwk of a type that does not fit its alg', (t) => proof(t, { header: { jwk: other.jwk } })],
    ['HMAC-signed', (t) => Promise.resolve(hs256Proof(t))],
    ['jwk with private parts', async (t) => proof(t, { header: { jwk: { ...client.jwk, d: 'AAAA' } } })],
    ['garbage proof', () => Promise.resolve('not-a-proof')],
    ['the access token itself as proof', (t) => Promise.resolve(t)],
  ];

  it.each(rejected)('%s → ERR_DPOP_INVALID', async (_name, make, request) => {
    const token = await accessToken();
    const dpop = { proof: await make(token), method: request?.method ?? 'POST', url: request?.url ?? URL_ };
    expect(await code(resolver().resolve(token, { dpop }))).toBe('ERR_DPOP_INVALID');
  });

  it('a replayed jti is refused, also on a cache hit', async () => {
    const token = await accessToken();
    const identity = resolver();
    const p = await proof(token);
    const dpop = { proof: p, method: 'POST', url: URL_ };
    await identity.resolve(token, { dpop });
    expect(await code(identity.resolve(token, { dpop }))).toBe('ERR_DPOP_INVALID');
    // a fresh proof on the cached token is checked and accepted
    await expect(
      identity.resolve(token, { dpop: { ...dpop, proof: await proof(token) } }),
    ).resolves.toMatchObject({
      subject: 'alice',
    });
  });

  it('a bound token without a proof is refused, also when cached', async () => {
    const token = await accessToken();
    const identity = resolver();
    expect(await code(identity.resolve(token))).toBe('ERR_DPOP_INVALID');
    await identity.resolve(token, { dpop: { proof: await proof(token), method: 'POST', url: URL_ } });
    expect(await code(identity.resolve(token))).toBe('ERR_DPOP_INVALID');
  });

  it('dpop.required refuses unbound tokens and missing proofs', async () => {
    const unbound = await accessToken({ cnf: undefined });
    const identity = resolver({ dpop: { required: true } });
    expect(await code(identity.resolve(unbound))).toBe('ERR_DPOP_INVALID');
    const dpop = { proof: await proof(unbound), method: 'POST', url: URL_ };
    expect(await code(identity.resolve(unbound, { dpop }))).toBe('ERR_DPOP_INVALID');
  });

  it('an unbound token without DPoP required needs no proof, but a presented proof is still checked', async () => {
    const unbound = await accessToken({ cnf: undefined });
    const identity = resolver();
    await expect(identity.resolve(unbound)).resolves.toMatchObject({ subject: 'alice' });
    const bad = { proof: await proof(unbound, { claims: { htm: 'GET' } }), method: 'POST', url: URL_ };
    expect(await code(identity.resolve(unbound, { dpop: bad }))).toBe('ERR_DPOP_INVALID');
  });

  it('dpop.maxAge widens the window', async () => {
    const token = await accessToken();
    const dpop = { proof: await proof(token, { claims: { iat: T - 100 } }), method: 'POST', url: URL_ };
    await expect(resolver({ dpop: { maxAge: '2m' } }).resolve(token, { dpop })).resolves.toMatchObject({
      subject: 'alice',
    });
  });

  it('a failing replay cache refuses the proof (fail closed)', async () => {
    const token = await accessToken();
    const identity = resolver(
      {},
      {
        dpopReplayCache: {
          useOnce: () => Promise.reject(new Error('store down')),
        },
      },
    );
    const dpop = { proof: await proof(token), method: 'POST', url: URL_ };
    expect(await code(identity.resolve(token, { dpop }))).toBe('ERR_DPOP_INVALID');
  });

  it('a malformed request URL is misuse (TypeError)', async () => {
    const token = await accessToken();
    const dpop = { proof: await proof(token), method: 'POST', url: '/v1/query' };
    await expect(resolver().resolve(token, { dpop })).rejects.toThrow(TypeError);
  });
});

describe('createMemoryDpopReplayCache', () => {
  it('accepts an id once until it expires', () => {
    const cache = createMemoryDpopReplayCache();
    expect(cache.useOnce('a', 2000, 1000)).toBe(true);
    expect(cache.useOnce('a', 2000, 1500)).toBe(false);
    expect(cache.useOnce('b', 2000, 1500)).toBe(true);
    expect(cache.useOnce('a', 3000, 2000)).toBe(true);
  });

  it('refuses new ids when full of live ones, and frees expired ones', () => {
    const cache = createMemoryDpopReplayCache({ maxEntries: 2 });
    expect(cache.useOnce('a', 2000, 0)).toBe(true);
    expect(cache.useOnce('b', 5000, 0)).toBe(true);
    expect(() => cache.useOnce('c', 5000, 100)).toThrow(/full/);
    expect(cache.useOnce('c', 5000, 2000)).toBe(true); // 'a' expired
    expect(cache.useOnce('b', 5000, 2500)).toBe(false);
  });

  it('rejects a bad size', () => {
    expect(() => createMemoryDpopReplayCache({ maxEntries: 0 })).toThrow(TypeError);
  });
});
