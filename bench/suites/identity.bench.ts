// Why the identity resolver caches verified tokens: resolving a token already seen (a hash and a
// map lookup) beside jose.jwtVerify of the same token with a local key set, which is what every
// request would cost without the cache. The uncached resolver shows what the extra checks
// (size, header screening, claim mapping) add on top of jose.
import { createIdentityResolver, type IdentityResolver } from '@portcullis/core';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import type { BenchSuite } from '../harness.js';

const ISS = 'https://idp.bench/';
const AUD = 'portcullis';

function suite(alg: 'RS256' | 'ES256'): BenchSuite {
  let token = '';
  let local: ReturnType<typeof createLocalJWKSet> | undefined;
  let cached: IdentityResolver | undefined;
  let uncached: IdentityResolver | undefined;
  const options = { issuer: ISS, audience: AUD, algorithms: [alg], requiredClaims: ['exp'] };

  return {
    name: `identity: resolve a ${alg} token`,
    description: `A ${alg} bearer token resolved again (cache hit) and without the cache, beside bare jose.jwtVerify with a local key set.`,
    notes: { algorithm: alg, claims: 'iss, aud, sub, groups (3), iat, exp, jti' },
    setup: async () => {
      const { publicKey, privateKey }: { publicKey: CryptoKey; privateKey: CryptoKey } =
        await generateKeyPair(alg);
      const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg };
      const now = Math.floor(Date.now() / 1000);
      token = await new SignJWT({ sub: 'alice', groups: ['analysts', 'sre', 'oncall'], jti: 'bench-token' })
        .setProtectedHeader({ alg, kid: 'bench-1' })
        .setIssuer(ISS)
        .setAudience(AUD)
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(privateKey);
      local = createLocalJWKSet({ keys: [jwk] });
      const config = { issuer: ISS, audience: AUD, jwks: { keys: [jwk] }, groupsClaim: 'groups' };
      cached = createIdentityResolver(config);
      uncached = createIdentityResolver(config, { cacheSize: 0 });
      await cached.resolve(token); // warm the cache (and check the token is good)
      await uncached.resolve(token);
      return undefined;
    },
    baseline: {
      name: 'jose.jwtVerify (local JWKS)',
      fn: () => jwtVerify(token, local!, options),
    },
    tasks: [
      { name: 'resolver.resolve (cached)', fn: () => cached!.resolve(token) },
      { name: 'resolver.resolve (cacheSize 0)', fn: () => uncached!.resolve(token) },
    ],
  };
}

export const suites: readonly BenchSuite[] = [suite('ES256'), suite('RS256')];
