// Which tokens resolve at all: each accepted issuer verifies only with its own keys (with
// several issuers sharing one key set, issuer B's key validated a token claiming issuer A), and
// exp/nbf/iat must be whole seconds in range (`1e400` parses to Infinity: such a token was
// accepted, never expired, and crashed `portcullis whoami`). Keys are generated here.
import { webcrypto } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { TokenError } from '../errors.js';
import type { IdentityConfig } from '../types.js';
import { createIdentityResolver } from './resolve-identity.js';

const A = 'https://a.idp.test/';
const B = 'https://b.idp.test/';
const AUD = 'portcullis';
const T = 1_900_000_000;

interface Issuer {
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}
let a: Issuer;
let b: Issuer;

beforeAll(async () => {
  const make = async (kid: string): Promise<Issuer> => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' } };
  };
  [a, b] = await Promise.all([make('a-1'), make('b-1')]);
});

const token = (iss: string, signer: Issuer, kid = signer.jwk.kid ?? ''): Promise<string> =>
  new SignJWT({ iss, aud: AUD, sub: 'alice', iat: T, exp: T + 600 })
    .setProtectedHeader({ alg: 'ES256', kid })
    .sign(signer.privateKey);

const resolver = (config: Omit<IdentityConfig, 'audience'>) =>
  createIdentityResolver({ audience: AUD, ...config }, { now: () => new Date(T * 1000) });

async function rejection(p: Promise<unknown>): Promise<TokenError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TokenError) return err;
    throw err;
  }
  throw new Error('expected a TokenError');
}

describe('one key source per issuer', () => {
  const twoIssuers = () =>
    resolver({
      issuers: [
        { issuer: A, jwks: { keys: [a.jwk] } },
        { issuer: B, jwks: { keys: [b.jwk] } },
      ],
    });

  it('accepts each issuer’s own tokens', async () => {
    const identity = twoIssuers();
    expect((await identity.resolve(await token(A, a))).issuer).toBe(A);
    expect((await identity.resolve(await token(B, b))).issuer).toBe(B);
  });

  it('rejects a token claiming issuer A signed with issuer B’s key (same kid too)', async () => {
    const identity = twoIssuers();
    expect((await rejection(identity.resolve(await token(A, b)))).code).toBe('ERR_TOKEN_KEY_NOT_FOUND');
    // B's key presented under A's kid: A's key does not verify it.
    expect((await rejection(identity.resolve(await token(A, b, 'a-1')))).code).toBe('ERR_TOKEN_SIGNATURE');
    expect((await rejection(identity.resolve(await token(B, a)))).code).toBe('ERR_TOKEN_KEY_NOT_FOUND');
  });

  it('rejects an issuer that is not configured before looking up any key', async () => {
    const err = await rejection(twoIssuers().resolve(await token('https://c.idp.test/', a)));
    expect(err.code).toBe('ERR_TOKEN_ISSUER');
  });

  it('refuses several issuers sharing one key set (the configuration that allowed the forgery)', () => {
    expect(() => resolver({ issuer: [A, B], jwks: { keys: [a.jwk, b.jwk] } })).toThrow(
      /share one key set.*identity\.issuers/,
    );
  });

  it('refuses issuer and issuers together, duplicates, and an issuer without keys', () => {
    expect(() => resolver({ issuer: A, issuers: [{ issuer: B, jwks: { keys: [b.jwk] } }] })).toThrow(
      /either identity\.issuer .* or identity\.issuers/,
    );
    expect(() =>
      resolver({
        issuers: [
          { issuer: A, jwks: { keys: [a.jwk] } },
          { issuer: A, jwks: { keys: [b.jwk] } },
        ],
      }),
    ).toThrow(/more than once/);
    expect(() =>
      resolver({ issuers: [{ issuer: A } as never, { issuer: B, jwks: { keys: [b.jwk] } }] }),
    ).toThrow(/needs jwks/);
  });

  it('a single issuer in a list keeps working with the shared jwks field', async () => {
    const identity = resolver({ issuer: [A], jwks: { keys: [a.jwk] } });
    expect((await identity.resolve(await token(A, a))).subject).toBe('alice');
  });
});

/** Signs a payload given as JSON *text*, so numbers like 1e400 reach the verifier verbatim. */
async function signJsonText(payloadJson: string, key: CryptoKey = a.privateKey): Promise<string> {
  const enc = (s: string): string => Buffer.from(s).toString('base64url');
  const input = `${enc(JSON.stringify({ alg: 'ES256', kid: 'a-1' }))}.${enc(payloadJson)}`;
  const sig = await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, Buffer.from(input));
  return `${input}.${Buffer.from(sig).toString('base64url')}`;
}

const payload = (times: string): string => `{"iss":"${A}","aud":"${AUD}","sub":"alice",${times}}`;

const resolve = (token: string) => resolver({ issuer: A, jwks: { keys: [a.jwk] } }).resolve(token);

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
