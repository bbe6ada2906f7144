// Each accepted issuer verifies only with its own keys: with several issuers sharing one key
// set, issuer B's key validated a token claiming to come from issuer A. Keys are generated here.
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
