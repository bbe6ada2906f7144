// The DPoP replay cache is shared by every token a resolver sees. One token's flood of proofs
// filled it and every other token's proofs were refused ("the cache is full"): one client locked
// all others out. Each access token now has its own quota, and nothing is ever evicted.
import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { TokenError } from '../errors.js';
import { createMemoryDpopReplayCache } from './dpop-replay-cache.js';
import { createIdentityResolver } from './resolve-identity.js';

const ISS = 'https://idp.test/';
const AUD = 'portcullis';
const T = 1_900_000_000;
const URL_ = 'https://api.test/v1/query';

interface Key {
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
  readonly jkt: string;
}
let idp: Key;
let mallory: Key;
let alice: Key;

beforeAll(async () => {
  const key = async (): Promise<Key> => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
  };
  [idp, mallory, alice] = await Promise.all([key(), key(), key()]);
});

const accessToken = (sub: string, client: Key): Promise<string> =>
  new SignJWT({ iss: ISS, aud: AUD, sub, iat: T - 5, exp: T + 300, cnf: { jkt: client.jkt } })
    .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
    .sign(idp.privateKey);

const proof = (token: string, client: Key): Promise<string> =>
  new SignJWT({
    htm: 'POST',
    htu: URL_,
    iat: T,
    jti: randomUUID(),
    ath: createHash('sha256').update(token).digest('base64url'),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: client.jwk })
    .sign(client.privateKey);

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'accepted';
  } catch (err) {
    if (err instanceof TokenError) return err.code;
    throw err;
  }
}

describe('the DPoP replay cache is partitioned by access token', () => {
  it('a flood of proofs for one token cannot lock another token out', async () => {
    const identity = createIdentityResolver(
      { issuer: ISS, audience: AUD, jwks: { keys: [{ ...idp.jwk, kid: 'idp-1' }] } },
      {
        now: () => new Date(T * 1000),
        dpopReplayCache: createMemoryDpopReplayCache({ maxEntries: 40, maxEntriesPerToken: 10 }),
      },
    );
    const malloryToken = await accessToken('mallory', mallory);
    const aliceToken = await accessToken('alice', alice);
    const dpop = async (token: string, client: Key) => ({
      proof: await proof(token, client),
      method: 'POST',
      url: URL_,
    });

    const results: string[] = [];
    for (let i = 0; i < 60; i++)
      results.push(
        await outcome(identity.resolve(malloryToken, { dpop: await dpop(malloryToken, mallory) })),
      );
    expect(results.filter((r) => r === 'accepted')).toHaveLength(10); // mallory's own quota
    expect(new Set(results.slice(10))).toEqual(new Set(['ERR_DPOP_INVALID']));

    // alice is unaffected, for as many proofs as her own quota allows
    for (let i = 0; i < 10; i++) {
      expect(await outcome(identity.resolve(aliceToken, { dpop: await dpop(aliceToken, alice) }))).toBe(
        'accepted',
      );
    }
  });

  it('a flood in one partition never evicts (reopens) another partition’s used ids', () => {
    const cache = createMemoryDpopReplayCache({ maxEntries: 100, maxEntriesPerToken: 5 });
    expect(cache.useOnce('alice:1', 10_000, 0, 'alice')).toBe(true);
    for (let i = 0; i < 1000; i++) {
      try {
        void cache.useOnce(`mallory:${i}`, 10_000, 1, 'mallory');
      } catch {
        // mallory's quota is full: refused
      }
    }
    expect(cache.useOnce('alice:1', 10_000, 2, 'alice')).toBe(false); // still a replay
    expect(cache.useOnce('alice:2', 10_000, 2, 'alice')).toBe(true);
  });

  it('quotas free up as proofs expire', () => {
    const cache = createMemoryDpopReplayCache({ maxEntries: 100, maxEntriesPerToken: 2 });
    expect(cache.useOnce('k:1', 1_000, 0, 'k')).toBe(true);
    expect(cache.useOnce('k:2', 5_000, 0, 'k')).toBe(true);
    expect(() => cache.useOnce('k:3', 5_000, 10, 'k')).toThrow(/quota/);
    expect(cache.useOnce('k:3', 5_000, 1_000, 'k')).toBe(true);
  });

  it('an unbound token cannot escape its quota by signing each proof with a fresh key', async () => {
    const identity = createIdentityResolver(
      { issuer: ISS, audience: AUD, jwks: { keys: [{ ...idp.jwk, kid: 'idp-1' }] } },
      {
        now: () => new Date(T * 1000),
        dpopReplayCache: createMemoryDpopReplayCache({ maxEntries: 40, maxEntriesPerToken: 10 }),
      },
    );
    const unbound = await new SignJWT({ iss: ISS, aud: AUD, sub: 'mallory', iat: T - 5, exp: T + 300 })
      .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
      .sign(idp.privateKey);
    const results: string[] = [];
    for (let i = 0; i < 50; i++) {
      const { publicKey, privateKey } = await generateKeyPair('ES256');
      const fresh = { privateKey, jwk: await exportJWK(publicKey), jkt: '' };
      results.push(
        await outcome(
          identity.resolve(unbound, {
            dpop: { proof: await proof(unbound, fresh), method: 'POST', url: URL_ },
          }),
        ),
      );
    }
    expect(results.filter((r) => r === 'accepted')).toHaveLength(10);
    const aliceToken = await accessToken('alice', alice);
    const dpop = { proof: await proof(aliceToken, alice), method: 'POST', url: URL_ };
    expect(await outcome(identity.resolve(aliceToken, { dpop }))).toBe('accepted');
  });

  it('rejects a bad per-token quota', () => {
    expect(() => createMemoryDpopReplayCache({ maxEntriesPerToken: 0 })).toThrow(TypeError);
  });
});
