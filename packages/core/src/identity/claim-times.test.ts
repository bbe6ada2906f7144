// exp, nbf and iat must be whole numbers of seconds in a sane range. `1e400` parses to
// Infinity: such a token was accepted (it never expires) and crashed `portcullis whoami`.
import { webcrypto } from 'node:crypto';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { TokenError } from '../errors.js';
import { createIdentityResolver } from './resolve-identity.js';

const ISS = 'https://idp.test/';
const AUD = 'portcullis';
const T = 1_900_000_000;
let privateKey: CryptoKey;
let jwk: JWK;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateKey = pair.privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' };
});

/** Signs a payload given as JSON *text*, so numbers like 1e400 reach the verifier verbatim. */
async function signJsonText(payloadJson: string, key: CryptoKey = privateKey): Promise<string> {
  const enc = (s: string): string => Buffer.from(s).toString('base64url');
  const input = `${enc(JSON.stringify({ alg: 'ES256', kid: 'k1' }))}.${enc(payloadJson)}`;
  const sig = await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, Buffer.from(input));
  return `${input}.${Buffer.from(sig).toString('base64url')}`;
}

const payload = (times: string): string => `{"iss":"${ISS}","aud":"${AUD}","sub":"alice",${times}}`;

const resolve = (token: string) =>
  createIdentityResolver(
    { issuer: ISS, audience: AUD, jwks: { keys: [jwk] } },
    { now: () => new Date(T * 1000) },
  ).resolve(token);

async function rejection(p: Promise<unknown>): Promise<TokenError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TokenError) return err;
    throw err;
  }
  throw new Error('expected a TokenError');
}

describe('exp, nbf and iat are whole seconds in range', () => {
  it.each([
    ['exp', `"iat":${T},"exp":1e400`],
    ['exp', `"iat":${T},"exp":${T + 60}.5`],
    ['exp', `"iat":${T},"exp":1e300`],
    ['exp', `"iat":${T},"exp":253402300800`],
    ['nbf', `"iat":${T},"exp":${T + 60},"nbf":-1e400`],
    ['nbf', `"iat":${T},"exp":${T + 60},"nbf":-1`],
    ['iat', `"iat":-1e400,"exp":${T + 60}`],
    ['iat', `"iat":${T}.25,"exp":${T + 60}`],
  ])('rejects %s in %s with ERR_TOKEN_CLAIM and a message naming the claim', async (claim, times) => {
    const err = await rejection(resolve(await signJsonText(payload(times))));
    expect(err.code).toBe('ERR_TOKEN_CLAIM');
    expect(err.message).toContain(`token claim ${claim} is not a whole number of seconds`);
  });

  it('accepts ordinary values and the year-9999 edge', async () => {
    const ok = await resolve(await signJsonText(payload(`"iat":${T},"nbf":${T - 5},"exp":${T + 60}`)));
    expect(ok.expiresAt).toBe(T + 60);
    const edge = await resolve(await signJsonText(payload(`"iat":${T},"exp":253402300799`)));
    expect(edge.expiresAt).toBe(253402300799);
  });
});
