// A JWKS server on 127.0.0.1 (ephemeral port) standing in for the IdP: key rotation, the
// unknown-kid refetch limit and an unavailable IdP, counted at the server.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TokenError } from '../errors.js';
import { createIdentityResolver, type IdentityResolverOptions } from './resolve-identity.js';

const ISS = 'https://idp.test/';
const AUD = 'portcullis';
const T = 1_900_000_000;

interface Key {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}
async function key(kid: string): Promise<Key> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' } };
}

const idp = { requests: 0, status: 200, keys: [] as JWK[] };
let server: Server;
let uri: string;
let k1: Key;
let k2: Key;

beforeAll(async () => {
  [k1, k2] = await Promise.all([key('k1'), key('k2')]);
  server = createServer((req, res) => {
    idp.requests++;
    if (idp.status === 302) {
      res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
      return;
    }
    res.writeHead(idp.status, { 'content-type': 'application/jwk-set+json' });
    res.end(idp.status === 200 ? JSON.stringify({ keys: idp.keys }) : 'unavailable');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
});

afterAll(async () => {
  server.close();
  await once(server, 'close');
});

beforeEach(() => {
  idp.requests = 0;
  idp.status = 200;
  idp.keys = [k1.jwk];
});

function token(signer: Key, kid = signer.kid, extra: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ iss: ISS, aud: AUD, sub: 'alice', iat: T, exp: T + 3600, ...extra })
    .setProtectedHeader({ alg: 'ES256', kid })
    .sign(signer.privateKey);
}

function setup(options: IdentityResolverOptions = {}) {
  const clock = { seconds: T };
  const identity = createIdentityResolver(
    { issuer: ISS, audience: AUD, jwks: { uri }, clockTolerance: 0 },
    { now: () => new Date(clock.seconds * 1000), jwksCooldownMs: 30_000, ...options },
  );
  return { identity, clock };
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

describe('remote JWKS (loopback IdP)', () => {
  it('fetches once for concurrent first requests and reuses the set', async () => {
    const { identity } = setup();
    const tokens = await Promise.all([1, 2, 3, 4, 5].map((n) => token(k1, 'k1', { sub: `user-${n}` })));
    const principals = await Promise.all(tokens.map((t) => identity.resolve(t)));
    expect(principals.map((p) => p.subject)).toEqual(['user-1', 'user-2', 'user-3', 'user-4', 'user-5']);
    expect(idp.requests).toBe(1);
  });

  it('key rotation: a token with the new kid verifies after one refetch', async () => {
    const { identity, clock } = setup();
    await identity.resolve(await token(k1));
    expect(idp.requests).toBe(1);
    idp.keys = [k2.jwk]; // the IdP rotates
    clock.seconds += 31; // past the cooldown
    await expect(identity.resolve(await token(k2, 'k2', { sub: 'bob' }))).resolves.toMatchObject({
      subject: 'bob',
    });
    expect(idp.requests).toBe(2);
    // the retired key is gone from the set now
    expect(await code(identity.resolve(await token(k1, 'k1', { sub: 'carol' })))).toBe(
      'ERR_TOKEN_KEY_NOT_FOUND',
    );
    expect(idp.requests).toBe(2);
  });

  it('a flood of 100 unknown kids costs the IdP at most one request per cooldown', async () => {
    const { identity, clock } = setup();
    await identity.resolve(await token(k1));
    expect(idp.requests).toBe(1);

    // within the cooldown of the first fetch: no request at all
    const early = await Promise.all(Array.from({ length: 100 }, (_, i) => token(k2, `bogus-${i}`)));
    expect(new Set(await Promise.all(early.map((t) => code(identity.resolve(t)))))).toEqual(
      new Set(['ERR_TOKEN_KEY_NOT_FOUND']),
    );
    expect(idp.requests).toBe(1);

    // after it: 100 concurrent, then 100 more, trigger exactly one refetch
    clock.seconds += 31;
    const flood = await Promise.all(Array.from({ length: 100 }, (_, i) => token(k2, `flood-${i}`)));
    const codes = await Promise.all(flood.map((t) => code(identity.resolve(t))));
    for (const t of flood) codes.push(await code(identity.resolve(t)));
    expect(new Set(codes)).toEqual(new Set(['ERR_TOKEN_KEY_NOT_FOUND']));
    expect(idp.requests).toBe(2);

    // known keys keep working throughout
    await expect(identity.resolve(await token(k1, 'k1', { sub: 'dave' }))).resolves.toMatchObject({
      subject: 'dave',
    });
    expect(idp.requests).toBe(2);
  });

  it('a rotation inside the cooldown is picked up once the cooldown has passed', async () => {
    const { identity, clock } = setup();
    await identity.resolve(await token(k1));
    idp.keys = [k1.jwk, k2.jwk];
    clock.seconds += 5;
    const fresh = await token(k2);
    expect(await code(identity.resolve(fresh))).toBe('ERR_TOKEN_KEY_NOT_FOUND');
    expect(idp.requests).toBe(1);
    clock.seconds += 30;
    await expect(identity.resolve(fresh)).resolves.toMatchObject({ subject: 'alice' });
    expect(idp.requests).toBe(2);
  });

  it('refetches an expired set (jwksCacheMaxAgeMs)', async () => {
    const { identity, clock } = setup({ jwksCacheMaxAgeMs: 60_000, cacheSize: 0 });
    const t = await token(k1);
    await identity.resolve(t);
    clock.seconds += 59;
    await identity.resolve(t);
    expect(idp.requests).toBe(1);
    clock.seconds += 2;
    await identity.resolve(t);
    expect(idp.requests).toBe(2);
  });

  it('an unavailable IdP fails closed and is not retried within the cooldown', async () => {
    const { identity, clock } = setup();
    idp.status = 503;
    const t = await token(k1);
    expect(await code(identity.resolve(t))).toBe('ERR_JWKS_UNAVAILABLE');
    expect(await code(identity.resolve(t))).toBe('ERR_JWKS_UNAVAILABLE');
    expect(idp.requests).toBe(1);
    idp.status = 200;
    clock.seconds += 31;
    await expect(identity.resolve(t)).resolves.toMatchObject({ subject: 'alice' });
    expect(idp.requests).toBe(2);
  });

  it('a stale set whose refresh fails is not used (fail closed)', async () => {
    const { identity, clock } = setup({ jwksCacheMaxAgeMs: 60_000, cacheSize: 0 });
    const t = await token(k1);
    await identity.resolve(t);
    idp.status = 500;
    clock.seconds += 61;
    expect(await code(identity.resolve(t))).toBe('ERR_JWKS_UNAVAILABLE');
  });

  it('does not follow redirects', async () => {
    const { identity } = setup();
    idp.status = 302;
    expect(await code(identity.resolve(await token(k1)))).toBe('ERR_JWKS_UNAVAILABLE');
    expect(idp.requests).toBe(1);
  });

  it('a document that is not a key set is unavailable, not trusted', async () => {
    const { identity } = setup();
    idp.keys = 'nope' as unknown as JWK[];
    expect(await code(identity.resolve(await token(k1)))).toBe('ERR_JWKS_UNAVAILABLE');
  });
});
