import { createHmac, generateKeyPairSync, randomBytes, sign as cryptoSign, webcrypto } from 'node:crypto';
import fc from 'fast-check';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { TokenError, type TokenErrorCode } from '../errors.js';
import type { IdentityConfig, Principal } from '../types.js';
import { createIdentityResolver, type IdentityResolverOptions } from './resolve-identity.js';

const ISS = 'https://idp.test/';
const AUD = 'portcullis';
const T = 1_900_000_000; // a fixed "now", in seconds
const at =
  (offset = 0) =>
  (): Date =>
    new Date((T + offset) * 1000);

interface Pair {
  publicKey: CryptoKey;
  privateKey: CryptoKey;
  jwk: JWK;
}
let rsa: Pair;
let rsaNoKid: Pair;
let ec: Pair;
let ed: Pair;
let foreign: Pair;
let keys: JWK[];

async function pair(alg: string, extra: JWK): Promise<Pair> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { publicKey, privateKey, jwk: { ...(await exportJWK(publicKey)), ...extra } };
}

beforeAll(async () => {
  rsa = await pair('RS256', { kid: 'rsa-1', alg: 'RS256', use: 'sig' });
  rsaNoKid = await pair('RS256', {});
  ec = await pair('ES256', { kid: 'ec-1' });
  ed = await pair('EdDSA', { kid: 'ed-1' });
  foreign = await pair('RS256', { kid: 'rsa-1' });
  keys = [rsa.jwk, rsaNoKid.jwk, ec.jwk, ed.jwk];
});

const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  iss: ISS,
  aud: AUD,
  sub: 'alice',
  iat: T - 10,
  exp: T + 300,
  ...extra,
});

async function sign(
  payload: Record<string, unknown> = claims(),
  header: Record<string, unknown> = { alg: 'RS256', kid: 'rsa-1' },
  key: CryptoKey = rsa.privateKey,
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key);
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token assembled by hand, for headers jose refuses to produce (crit, none, …). */
async function handSigned(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: CryptoKey,
): Promise<string> {
  const input = `${b64(header)}.${b64(payload)}`;
  const signature = await webcrypto.subtle.sign({ name: 'RSASSA-PKCS1-v1_5' }, key, Buffer.from(input));
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

function hs256(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string | Buffer,
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const config = (extra: Partial<IdentityConfig> = {}): IdentityConfig => ({
  issuer: ISS,
  audience: AUD,
  jwks: { keys },
  clockTolerance: 0,
  ...extra,
});

function resolver(extra: Partial<IdentityConfig> = {}, options: IdentityResolverOptions = {}) {
  return createIdentityResolver(config(extra), { now: at(), ...options });
}

async function rejection(promise: Promise<unknown>): Promise<TokenError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TokenError) return err;
    throw err;
  }
  throw new Error('expected a TokenError, but the token was accepted');
}

/** The message must not quote the token or any recognisable part of it. */
function expectNoTokenIn(message: string, token: string): void {
  if (token.length >= 8) expect(message).not.toContain(token);
  for (const part of token.split('.')) if (part.length >= 8) expect(message).not.toContain(part);
}

describe('createIdentityResolver: valid tokens', () => {
  it.each([
    ['RS256', () => sign()],
    ['ES256', () => sign(claims(), { alg: 'ES256', kid: 'ec-1' }, ec.privateKey)],
    ['EdDSA', () => sign(claims(), { alg: 'EdDSA', kid: 'ed-1' }, ed.privateKey)],
    [
      'RS256 without kid, several RSA keys in the set',
      () => sign(claims(), { alg: 'RS256' }, rsaNoKid.privateKey),
    ],
  ])('%s resolves to the principal', async (_name, make) => {
    const principal = await resolver().resolve(await make());
    expect(principal).toEqual({
      subject: 'alice',
      groups: [],
      kind: 'human',
      issuer: ISS,
      expiresAt: T + 300,
    });
    expect(Object.isFrozen(principal)).toBe(true);
  });

  it('maps groups, jti, act chain and kind', async () => {
    const token = await sign(
      claims({
        jti: 'tok-1',
        realm_access: { roles: ['analysts', 'sre'] },
        act: { sub: 'copilot', act: { sub: 'orchestrator' } },
      }),
    );
    const principal = await resolver({ groupsClaim: 'realm_access.roles' }).resolve(token);
    expect(principal).toEqual<Principal>({
      subject: 'alice',
      groups: ['analysts', 'sre'],
      kind: 'agent',
      actor: 'copilot',
      actorChain: ['copilot', 'orchestrator'],
      issuer: ISS,
      tokenId: 'tok-1',
      expiresAt: T + 300,
    });
  });

  it('groups from a space-separated string; custom subject and kind claims', async () => {
    const token = await sign(claims({ scope: 'read  write', email: 'bob@example.com', typ_kind: 'service' }));
    const principal = await resolver({
      groupsClaim: 'scope',
      subjectClaim: 'email',
      kindClaim: 'typ_kind',
    }).resolve(token);
    expect(principal).toMatchObject({
      subject: 'bob@example.com',
      groups: ['read', 'write'],
      kind: 'service',
    });
  });

  it('accepts any of several issuers (each with its own key set) and audiences', async () => {
    const token = await sign(claims({ iss: 'https://other.test/', aud: ['x', 'api'] }));
    const principal = await createIdentityResolver(
      {
        issuers: [
          { issuer: ISS, jwks: { keys } },
          { issuer: 'https://other.test/', jwks: { keys } },
        ],
        audience: ['portcullis', 'api'],
      },
      { now: at() },
    ).resolve(token);
    expect(principal.issuer).toBe('https://other.test/');
  });

  it('HS256 with an explicitly configured secret', async () => {
    const secret = randomBytes(32);
    const token = hs256({ alg: 'HS256', typ: 'JWT' }, claims(), secret);
    const identity = createIdentityResolver(
      { issuer: ISS, audience: AUD, hmacSecret: new Uint8Array(secret) },
      { now: at() },
    );
    expect((await identity.resolve(token)).subject).toBe('alice');
    // an RS256 token has no key here: HMAC-only configuration accepts only HMAC
    expect((await rejection(identity.resolve(await sign()))).code).toBe('ERR_TOKEN_ALGORITHM');
  });

  it('clock tolerance accepts a token that expired within it', async () => {
    const token = await sign(claims({ exp: T - 20 }));
    await expect(resolver({ clockTolerance: '30s' }).resolve(token)).resolves.toMatchObject({
      subject: 'alice',
    });
    expect((await rejection(resolver({ clockTolerance: 10 }).resolve(token))).code).toBe('ERR_TOKEN_EXPIRED');
  });
});

describe('createIdentityResolver: rejections', () => {
  const cases: readonly {
    readonly name: string;
    readonly token: () => Promise<string> | string;
    readonly code: TokenErrorCode;
    readonly config?: () => Partial<IdentityConfig>;
  }[] = [
    {
      name: 'alg none',
      token: () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`,
      code: 'ERR_TOKEN_ALGORITHM',
    },
    {
      name: 'alg NONE',
      token: () => `${b64({ alg: 'NONE' })}.${b64(claims())}.`,
      code: 'ERR_TOKEN_ALGORITHM',
    },
    {
      name: 'HS256 keyed with the RSA public key PEM (algorithm confusion)',
      token: async () => hs256({ alg: 'HS256', kid: 'rsa-1' }, claims(), await exportSPKI(rsa.publicKey)),
      code: 'ERR_TOKEN_ALGORITHM',
    },
    {
      name: 'HS256 keyed with the public JWK JSON',
      token: () => hs256({ alg: 'HS256', kid: 'rsa-1' }, claims(), JSON.stringify(rsa.jwk)),
      code: 'ERR_TOKEN_ALGORITHM',
    },
    {
      name: 'HS256 keyed with the public key PEM while an HMAC secret is configured',
      token: async () => hs256({ alg: 'HS256', kid: 'rsa-1' }, claims(), await exportSPKI(rsa.publicKey)),
      config: () => ({ hmacSecret: 'a'.repeat(16) + 'b'.repeat(16) }),
      code: 'ERR_TOKEN_SIGNATURE',
    },
    {
      name: 'an algorithm not in the configured list',
      token: () => sign(claims(), { alg: 'ES256', kid: 'ec-1' }, ec.privateKey),
      config: () => ({ algorithms: ['RS256'] }),
      code: 'ERR_TOKEN_ALGORITHM',
    },
    { name: 'expired', token: () => sign(claims({ exp: T - 1 })), code: 'ERR_TOKEN_EXPIRED' },
    { name: 'expiring exactly now', token: () => sign(claims({ exp: T })), code: 'ERR_TOKEN_EXPIRED' },
    {
      name: 'not yet valid (nbf)',
      token: () => sign(claims({ nbf: T + 60 })),
      code: 'ERR_TOKEN_NOT_YET_VALID',
    },
    {
      name: 'issued in the future (iat)',
      token: () => sign(claims({ iat: T + 60 })),
      code: 'ERR_TOKEN_NOT_YET_VALID',
    },
    {
      name: 'issued in the future with maxTokenAge',
      token: () => sign(claims({ iat: T + 60 })),
      config: () => ({ maxTokenAge: '1h' }),
      code: 'ERR_TOKEN_NOT_YET_VALID',
    },
    {
      name: 'wrong issuer',
      token: () => sign(claims({ iss: 'https://evil.test/' })),
      code: 'ERR_TOKEN_ISSUER',
    },
    { name: 'no issuer', token: () => sign(claims({ iss: undefined })), code: 'ERR_TOKEN_ISSUER' },
    {
      name: 'wrong audience',
      token: () => sign(claims({ aud: 'someone-else' })),
      code: 'ERR_TOKEN_AUDIENCE',
    },
    { name: 'no audience', token: () => sign(claims({ aud: undefined })), code: 'ERR_TOKEN_AUDIENCE' },
    { name: 'missing exp', token: () => sign(claims({ exp: undefined })), code: 'ERR_TOKEN_CLAIM' },
    { name: 'exp not a number', token: () => sign(claims({ exp: 'tomorrow' })), code: 'ERR_TOKEN_CLAIM' },
    {
      name: 'tampered payload',
      token: async () => {
        const [h, , s] = (await sign()).split('.');
        return `${h}.${b64(claims({ sub: 'admin' }))}.${s}`;
      },
      code: 'ERR_TOKEN_SIGNATURE',
    },
    {
      name: 'tampered signature',
      token: async () => {
        const token = await sign();
        return token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      },
      code: 'ERR_TOKEN_SIGNATURE',
    },
    {
      name: 'unknown kid',
      token: () => sign(claims(), { alg: 'RS256', kid: 'nobody' }),
      code: 'ERR_TOKEN_KEY_NOT_FOUND',
    },
    {
      name: 'kid of a key of another type',
      token: () => sign(claims(), { alg: 'RS256', kid: 'ec-1' }),
      code: 'ERR_TOKEN_KEY_NOT_FOUND',
    },
    {
      name: 'foreign signature under a trusted kid',
      token: () => sign(claims(), { alg: 'RS256', kid: 'rsa-1' }, foreign.privateKey),
      code: 'ERR_TOKEN_SIGNATURE',
    },
    {
      name: 'embedded jwk header (self-signed)',
      token: () => sign(claims(), { alg: 'RS256', kid: 'rsa-1', jwk: foreign.jwk }, foreign.privateKey),
      code: 'ERR_TOKEN_INVALID',
    },
    {
      name: 'embedded jwk header, even with a trusted signature',
      token: () => sign(claims(), { alg: 'RS256', kid: 'rsa-1', jwk: rsa.jwk }),
      code: 'ERR_TOKEN_INVALID',
    },
    {
      name: 'jku header',
      token: () => sign(claims(), { alg: 'RS256', kid: 'rsa-1', jku: 'https://evil.test/jwks' }),
      code: 'ERR_TOKEN_INVALID',
    },
    {
      name: 'x5u header',
      token: () => sign(claims(), { alg: 'RS256', kid: 'rsa-1', x5u: 'https://evil.test/cert' }),
      code: 'ERR_TOKEN_INVALID',
    },
    {
      name: 'x5c header',
      token: () => sign(claims(), { alg: 'RS256', kid: 'rsa-1', x5c: ['MIIB'] }),
      code: 'ERR_TOKEN_INVALID',
    },
    {
      name: 'iat older than maxTokenAge',
      token: () => sign(claims({ iat: T - 3601 })),
      config: () => ({ maxTokenAge: '1h' }),
      code: 'ERR_TOKEN_TOO_OLD',
    },
    {
      name: 'no iat while maxTokenAge is set',
      token: () => sign(claims({ iat: undefined })),
      config: () => ({ maxTokenAge: 3600 }),
      code: 'ERR_TOKEN_CLAIM',
    },
    {
      name: 'unknown crit header',
      token: () =>
        handSigned({ alg: 'RS256', kid: 'rsa-1', crit: ['exp2'], exp2: 1 }, claims(), rsa.privateKey),
      code: 'ERR_TOKEN_INVALID',
    },
    {
      name: 'a DPoP proof presented as the access token',
      token: () => sign(claims(), { alg: 'RS256', kid: 'rsa-1', typ: 'dpop+jwt' }),
      code: 'ERR_TOKEN_INVALID',
    },
    {
      name: 'kid that is not a string',
      token: () => handSigned({ alg: 'RS256', kid: 7 }, claims(), rsa.privateKey),
      code: 'ERR_TOKEN_INVALID',
    },
    { name: 'garbage: empty', token: () => '', code: 'ERR_TOKEN_INVALID' },
    { name: 'garbage: words', token: () => 'not a token', code: 'ERR_TOKEN_INVALID' },
    {
      name: 'garbage: two parts',
      token: () => 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0',
      code: 'ERR_TOKEN_INVALID',
    },
    { name: 'garbage: three parts, not JSON', token: () => 'abc.def.ghi', code: 'ERR_TOKEN_INVALID' },
    {
      name: 'garbage: header is an array',
      token: () => `${b64(['RS256'])}.${b64(claims())}.sig`,
      code: 'ERR_TOKEN_INVALID',
    },
    {
      name: 'garbage: header without alg',
      token: () => `${b64({ typ: 'JWT' })}.${b64(claims())}.sig`,
      code: 'ERR_TOKEN_INVALID',
    },
    {
      name: 'garbage: payload is not JSON (trusted signature)',
      token: async () => {
        const header = b64({ alg: 'RS256', kid: 'rsa-1' });
        const payload = Buffer.from('not json').toString('base64url');
        const sig = await webcrypto.subtle.sign(
          { name: 'RSASSA-PKCS1-v1_5' },
          rsa.privateKey,
          Buffer.from(`${header}.${payload}`),
        );
        return `${header}.${payload}.${Buffer.from(sig).toString('base64url')}`;
      },
      code: 'ERR_TOKEN_INVALID',
    },
    { name: 'garbage: JWE shape', token: () => 'aaaa.bbbb.cccc.dddd.eeee', code: 'ERR_TOKEN_INVALID' },
    {
      name: 'garbage: Bearer prefix',
      token: async () => `Bearer ${await sign()}`,
      code: 'ERR_TOKEN_INVALID',
    },
    { name: 'garbage: trailing newline', token: async () => `${await sign()}\n`, code: 'ERR_TOKEN_INVALID' },
    { name: 'oversized (default 16384 bytes)', token: () => 'a'.repeat(16_385), code: 'ERR_TOKEN_INVALID' },
    {
      name: 'oversized by multi-byte characters',
      token: () => 'é'.repeat(9000),
      code: 'ERR_TOKEN_INVALID',
    },
    {
      name: 'a valid token above a configured maxTokenBytes',
      token: () => sign(claims({ pad: 'x'.repeat(600) })),
      config: () => ({ maxTokenBytes: 512 }),
      code: 'ERR_TOKEN_INVALID',
    },
    { name: 'no subject', token: () => sign(claims({ sub: undefined })), code: 'ERR_TOKEN_CLAIM' },
    {
      name: 'groups of the wrong shape',
      token: () => sign(claims({ groups: [1, 2] })),
      code: 'ERR_TOKEN_CLAIM',
    },
    {
      name: 'kind claim with an unknown value',
      token: () => sign(claims({ kind: 'robot' })),
      config: () => ({ kindClaim: 'kind' }),
      code: 'ERR_TOKEN_CLAIM',
    },
    { name: 'act without sub', token: () => sign(claims({ act: { iss: ISS } })), code: 'ERR_TOKEN_CLAIM' },
    { name: 'act that is a string', token: () => sign(claims({ act: 'copilot' })), code: 'ERR_TOKEN_CLAIM' },
    { name: 'jti that is not a string', token: () => sign(claims({ jti: 42 })), code: 'ERR_TOKEN_CLAIM' },
    {
      name: 'bound by mTLS (cnf x5t#S256), which cannot be checked',
      token: () => sign(claims({ cnf: { 'x5t#S256': 'abc' } })),
      code: 'ERR_TOKEN_CLAIM',
    },
  ];

  it.each(cases)('$name → $code', async ({ token: make, code, config: extra }) => {
    const token = await make();
    const err = await rejection(resolver(extra?.() ?? {}).resolve(token));
    expect(err.code).toBe(code);
    expect(err).toBeInstanceOf(TokenError);
    expectNoTokenIn(err.message, token);
  });

  it('a key set RSA key under 2048 bits is not used', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }); // jose will not make one
    const jwk = { ...weak.publicKey.export({ format: 'jwk' }), kid: 'weak' };
    const input = `${b64({ alg: 'RS256', kid: 'weak' })}.${b64(claims())}`;
    const token = `${input}.${cryptoSign('sha256', Buffer.from(input), weak.privateKey).toString('base64url')}`;
    const err = await rejection(resolver({ jwks: { keys: [jwk] } }).resolve(token));
    expect(err.code).toBe('ERR_TOKEN_INVALID');
    expect(err.message).toMatch(/2048/);
  });

  it('messages never echo claim values', async () => {
    const err = await rejection(resolver().resolve(await sign(claims({ iss: 'https://evil.test/' }))));
    expect(err.message).not.toContain('evil');
    expect(err.message).toContain(ISS);
  });

  it('a non-string token is misuse (TypeError)', async () => {
    await expect(resolver().resolve(42 as unknown as string)).rejects.toThrow(TypeError);
  });
});

describe('createIdentityResolver: properties', () => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';

  it('any one-character change to a valid token is rejected with a TokenError', async () => {
    const token = await sign(claims({ groups: ['analysts'] }));
    const identity = resolver({}, { cacheSize: 0 });
    // The last character is left alone: its low bits are base64url padding, so some changes
    // there decode to the same signature bytes (harmless, and not a change of the token).
    await fc.assert(
      fc.asyncProperty(
        fc.nat(token.length - 2),
        fc.constantFrom(...Array.from(alphabet)),
        async (index, char) => {
          fc.pre(token[index] !== char);
          const mutated = token.slice(0, index) + char + token.slice(index + 1);
          const err = await rejection(identity.resolve(mutated));
          expectNoTokenIn(err.message, mutated);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('arbitrary input is rejected with a TokenError, never accepted or thrown otherwise', async () => {
    const identity = resolver();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc
            .array(fc.stringMatching(/^[A-Za-z0-9_-]{0,40}$/), { minLength: 1, maxLength: 6 })
            .map((p) => p.join('.')),
          fc.tuple(fc.jsonValue(), fc.jsonValue()).map(([h, p]) => `${b64(h)}.${b64(p)}.c2ln`),
        ),
        async (input) => {
          await rejection(identity.resolve(input));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('createIdentityResolver: configuration errors are TypeErrors', () => {
  const valid = (): IdentityConfig => ({ issuer: ISS, audience: AUD, jwks: { keys } });
  it.each<[string, () => IdentityConfig]>([
    ['no key source', () => ({ issuer: ISS, audience: AUD })],
    ['algorithm none', () => ({ ...valid(), algorithms: ['RS256', 'none'] })],
    ['HS256 without a secret', () => ({ ...valid(), algorithms: ['HS256'] })],
    ['an unknown algorithm', () => ({ ...valid(), algorithms: ['RS257'] })],
    [
      'an RSA algorithm without a key set',
      () => ({ issuer: ISS, audience: AUD, hmacSecret: 'x'.repeat(32), algorithms: ['RS256'] }),
    ],
    ['a short HMAC secret', () => ({ ...valid(), hmacSecret: 'too short' })],
    ['an empty issuer', () => ({ ...valid(), issuer: '' })],
    ['an empty audience list', () => ({ ...valid(), audience: [] })],
    ['a bad duration', () => ({ ...valid(), maxTokenAge: '1 fortnight' })],
    ['a negative tolerance', () => ({ ...valid(), clockTolerance: -1 })],
    ['a zero maxTokenBytes', () => ({ ...valid(), maxTokenBytes: 0 })],
    ['a bad defaultKind', () => ({ ...valid(), defaultKind: 'robot' as 'human' })],
    ['inline keys that are not a JWKS', () => ({ ...valid(), jwks: { keys: 'nope' as unknown as [] } })],
    ['an http JWKS URI off loopback', () => ({ ...valid(), jwks: { uri: 'http://idp.example.com/jwks' } })],
    ['a JWKS URI that is not a URL', () => ({ ...valid(), jwks: { uri: 'idp/jwks' } })],
  ])('%s', (_name, make) => {
    expect(() => createIdentityResolver(make())).toThrow(TypeError);
  });

  it('a bad cache size', () => {
    expect(() =>
      createIdentityResolver({ issuer: ISS, audience: AUD, jwks: { keys } }, { cacheSize: -1 }),
    ).toThrow(TypeError);
  });
});

describe('createIdentityResolver: verified-token cache', () => {
  /** A JWKS URI served by an injected fetch: every verification fetches (cache max age 0). */
  function counting(extra: Partial<IdentityConfig> = {}, clock = { offset: 0 }) {
    const state = { fetches: 0 };
    const fetchJwks = (() => {
      state.fetches++;
      return Promise.resolve(new Response(JSON.stringify({ keys: [rsa.jwk] }), { status: 200 }));
    }) as typeof fetch;
    const identity = createIdentityResolver(
      { issuer: ISS, audience: AUD, jwks: { uri: 'https://idp.test/jwks' }, clockTolerance: 0, ...extra },
      { now: () => new Date((T + clock.offset) * 1000), fetch: fetchJwks, jwksCacheMaxAgeMs: 0 },
    );
    return { identity, state };
  }

  it('returns the same principal without verifying again, until exp', async () => {
    const clock = { offset: 0 };
    const { identity, state } = counting({}, clock);
    const token = await sign(claims({ exp: T + 100 }));
    const first = await identity.resolve(token);
    expect(state.fetches).toBe(1);
    clock.offset = 99;
    expect(await identity.resolve(token)).toBe(first);
    expect(state.fetches).toBe(1);
    clock.offset = 100; // exp reached: verified again, and now rejected
    expect((await rejection(identity.resolve(token))).code).toBe('ERR_TOKEN_EXPIRED');
    expect(state.fetches).toBe(2);
  });

  it('verifies a long-lived token again after cacheMaxAgeMs', async () => {
    const state = { fetches: 0 };
    const clock = { offset: 0 };
    const identity = createIdentityResolver(
      { issuer: ISS, audience: AUD, jwks: { uri: 'https://idp.test/jwks' }, clockTolerance: 0 },
      {
        now: () => new Date((T + clock.offset) * 1000),
        cacheMaxAgeMs: 60_000,
        jwksCacheMaxAgeMs: 0,
        fetch: () => {
          state.fetches++;
          return Promise.resolve(new Response(JSON.stringify({ keys: [rsa.jwk] }), { status: 200 }));
        },
      },
    );
    const token = await sign(claims({ exp: T + 86_400 * 365 }));
    await identity.resolve(token);
    clock.offset = 59;
    await identity.resolve(token);
    expect(state.fetches).toBe(1);
    clock.offset = 60;
    await identity.resolve(token);
    expect(state.fetches).toBe(2);
  });

  it('respects maxTokenAge on a cache hit', async () => {
    const clock = { offset: 0 };
    const { identity, state } = counting({ maxTokenAge: 60 }, clock);
    const token = await sign(claims({ iat: T - 50 }));
    await identity.resolve(token);
    clock.offset = 9;
    await identity.resolve(token);
    expect(state.fetches).toBe(1);
    clock.offset = 11;
    expect((await rejection(identity.resolve(token))).code).toBe('ERR_TOKEN_TOO_OLD');
  });

  it('does not cache rejections and keeps different tokens apart', async () => {
    const { identity, state } = counting();
    const alice = await sign(claims());
    const bob = await sign(claims({ sub: 'bob' }));
    expect((await identity.resolve(alice)).subject).toBe('alice');
    expect((await identity.resolve(bob)).subject).toBe('bob');
    expect((await identity.resolve(alice)).subject).toBe('alice');
    expect(state.fetches).toBe(2);
    const bad = await sign(claims({ aud: 'x' }));
    await rejection(identity.resolve(bad));
    await rejection(identity.resolve(bad));
    expect(state.fetches).toBe(4);
  });

  it('is bounded: the least recently used token is verified again', async () => {
    const state = { fetches: 0 };
    const identity = createIdentityResolver(
      { issuer: ISS, audience: AUD, jwks: { uri: 'https://idp.test/jwks' }, clockTolerance: 0 },
      {
        now: at(),
        cacheSize: 2,
        jwksCacheMaxAgeMs: 0,
        fetch: () => {
          state.fetches++;
          return Promise.resolve(new Response(JSON.stringify({ keys: [rsa.jwk] }), { status: 200 }));
        },
      },
    );
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((sub) => sign(claims({ sub }))));
    for (const token of [a!, b!, a!, c!]) await identity.resolve(token); // c evicts b
    expect(state.fetches).toBe(3);
    await identity.resolve(a!);
    expect(state.fetches).toBe(3);
    await identity.resolve(b!);
    expect(state.fetches).toBe(4);
  });
});
