import { createHash } from 'node:crypto';
import {
  errors,
  type CryptoKey,
  jwtVerify,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
  type JWTPayload,
  type JWTVerifyOptions,
} from 'jose';
import { TokenError } from '../errors.js';
import type { IdentityConfig, IssuerKeys, JwksSource, Principal, PrincipalKind } from '../types.js';
import { ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS, isHmacAlgorithm } from './algorithms.js';
import { parseCompactJws } from './compact-jws.js';
import { verifyDpopProof, type DpopRequest } from './dpop.js';
import { createMemoryDpopReplayCache, type DpopReplayCache } from './dpop-replay-cache.js';
import { parseDurationSeconds } from './duration.js';
import { createKeySource, type KeySource } from './jwks.js';
import { principalFromClaims, type ClaimMapping } from './principal-from-claims.js';
import { TokenCache, type VerifiedToken } from './token-cache.js';
import { toTokenError, type TokenErrorContext } from './token-errors.js';

/** Options of {@link createIdentityResolver}: what the resolver is given rather than reaches for. */
export interface IdentityResolverOptions {
  /** The clock (default `() => new Date()`). Every time check uses it. */
  readonly now?: () => Date;
  /** The `fetch` used for a JWKS URI (default the global one). */
  readonly fetch?: typeof fetch;
  /** How many verified tokens are kept (default 1000; 0 disables the cache). */
  readonly cacheSize?: number;
  /**
   * The longest a verified token is reused before it is verified again, in ms (default
   * 600 000), whatever its `exp`: a key withdrawn from the key set stops being honoured for
   * tokens verified with it within this time plus the JWKS refresh time.
   */
  readonly cacheMaxAgeMs?: number;
  /**
   * Least time between two JWKS fetches not due to expiry, in ms (default 30 000): an unknown
   * `kid` refetches at most once per cooldown, and a failed fetch is not retried sooner.
   */
  readonly jwksCooldownMs?: number;
  /** How long a fetched JWKS is used before it is fetched again, in ms (default 600 000). */
  readonly jwksCacheMaxAgeMs?: number;
  /** How long a JWKS fetch may take, in ms (default 5000). */
  readonly jwksTimeoutMs?: number;
  /** Where used DPoP proof ids are remembered (default: in memory, bounded). */
  readonly dpopReplayCache?: DpopReplayCache;
}

/** Per-request options of {@link IdentityResolver.resolve}. */
export interface ResolveOptions {
  /** The request's DPoP proof, method and URL; needed when the token is bound or DPoP is required. */
  readonly dpop?: DpopRequest;
}

/** Turns bearer tokens into principals under one identity configuration. */
export interface IdentityResolver {
  /**
   * Verifies a bearer token (and its DPoP proof when the token is bound or DPoP is required)
   * and returns the principal it names. Pass the token alone, without `Bearer ` or whitespace.
   *
   * @throws TokenError with a stable code saying why the token (or proof) was rejected.
   * @throws TypeError when called with a token that is not a string or malformed `dpop` options.
   */
  resolve(token: string, options?: ResolveOptions): Promise<Principal>;
}

const DEFAULT_MAX_TOKEN_BYTES = 16_384;
const MIN_HMAC_SECRET_BYTES = 32;
const KINDS: readonly PrincipalKind[] = ['human', 'agent', 'service'];
// Header parameters that name or carry a key: a token must never choose its own key.
const KEY_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'];

/**
 * Creates an identity resolver from the policy's `identity` section. Verification is jose's
 * `jwtVerify` under the configured issuer, audience and algorithms, with `exp` required; on top
 * of it the resolver refuses, before any key lookup, tokens that are oversized, malformed,
 * unsecured (`alg: none`), of an algorithm not accepted, carrying their own keys
 * (`jwk`/`jku`/`x5u`/`x5c`) or critical extensions (`crit`), or that are DPoP proofs. Verified
 * tokens are cached by their SHA-256 until they expire; DPoP proofs are checked on every call.
 *
 * @example
 * ```ts
 * const identity = createIdentityResolver({
 *   issuer: 'https://idp.example.com/',
 *   audience: 'portcullis',
 *   jwks: { uri: 'https://idp.example.com/.well-known/jwks.json' },
 *   groupsClaim: 'realm_access.roles',
 *   maxTokenAge: '1h',
 * });
 * const principal = await identity.resolve(bearerToken);
 * ```
 * @throws TypeError when the configuration or options are invalid (no key source, `none` or an
 * unknown algorithm, HMAC without a secret of at least 32 bytes, a bad duration, …).
 */
export function createIdentityResolver(
  config: IdentityConfig,
  options: IdentityResolverOptions = {},
): IdentityResolver {
  if (typeof (config as unknown) !== 'object' || (config as unknown) === null)
    throw new TypeError('identity config must be an object');
  const now = options.now ?? ((): Date => new Date());
  const secret = config.hmacSecret === undefined ? undefined : hmacSecret(config.hmacSecret);
  const jwksOptions = {
    now,
    fetch: options.fetch ?? globalThis.fetch,
    cooldownMs: nonNegative(options.jwksCooldownMs ?? 30_000, 'jwksCooldownMs'),
    cacheMaxAgeMs: nonNegative(options.jwksCacheMaxAgeMs ?? 600_000, 'jwksCacheMaxAgeMs'),
    timeoutMs: nonNegative(options.jwksTimeoutMs ?? 5000, 'jwksTimeoutMs'),
  };
  const trusted = trustedIssuers(config, secret, (source) => createKeySource(source, jwksOptions));
  const issuers = Object.freeze([...trusted.keys()]);
  const algorithms = Object.freeze([...new Set([...trusted.values()].flatMap((t) => t.algorithms))]);
  const audiences = stringList(config.audience, 'identity.audience');
  const toleranceSeconds = parseDurationSeconds(config.clockTolerance ?? 30, 'identity.clockTolerance');
  const maxTokenAgeSeconds =
    config.maxTokenAge === undefined
      ? undefined
      : parseDurationSeconds(config.maxTokenAge, 'identity.maxTokenAge');
  const maxTokenBytes = config.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES;
  if (!Number.isInteger(maxTokenBytes) || maxTokenBytes < 1) {
    throw new TypeError('identity.maxTokenBytes must be a positive integer');
  }
  const mapping = claimMapping(config);
  const dpopRequired = config.dpop?.required ?? false;
  if (typeof dpopRequired !== 'boolean') throw new TypeError('identity.dpop.required must be a boolean');
  const dpopMaxAgeSeconds = parseDurationSeconds(config.dpop?.maxAge ?? 60, 'identity.dpop.maxAge');
  const replayCache = options.dpopReplayCache ?? createMemoryDpopReplayCache();
  const cache = new TokenCache(options.cacheSize ?? 1000);
  const cacheMaxAgeSeconds = nonNegative(options.cacheMaxAgeMs ?? 600_000, 'cacheMaxAgeMs') / 1000;

  const errorContext: TokenErrorContext = { toleranceSeconds, maxTokenAgeSeconds, issuers, audiences };

  const verifyOptions: JWTVerifyOptions = {
    audience: [...audiences],
    clockTolerance: toleranceSeconds,
    requiredClaims: ['exp'],
    ...(maxTokenAgeSeconds === undefined ? {} : { maxTokenAge: maxTokenAgeSeconds }),
  };

  const verifySignedJwt = async (
    token: string,
    currentDate: Date,
    issuer: string,
    trust: TrustedIssuer,
  ): Promise<JWTPayload> => {
    // Only this issuer's keys, and the issuer checked again by jose against the verified claims.
    const opts = { ...verifyOptions, issuer, algorithms: [...trust.algorithms], currentDate };
    try {
      return (await jwtVerify(token, trust.getKey, opts)).payload;
    } catch (err) {
      if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err;
      // A token without `kid` and several keys of its type: try each (jose leaves this to us).
      for await (const key of err) {
        try {
          return (await jwtVerify(token, key, opts)).payload;
        } catch (inner) {
          if (!(inner instanceof errors.JWSSignatureVerificationFailed)) throw inner;
        }
      }
      throw new errors.JWSSignatureVerificationFailed();
    }
  };

  const verify = async (token: string, nowDate: Date): Promise<VerifiedToken> => {
    const { header, alg } = parseCompactJws(token, maxTokenBytes, 'token', 'ERR_TOKEN_INVALID');
    checkHeader(header, alg, algorithms);
    // The issuer picks the key set, so it is read (unverified) before any key lookup; the
    // signature is then checked with that issuer's keys only.
    const issuer = unverifiedIssuer(token, errorContext);
    const trust = trusted.get(issuer);
    if (trust === undefined) throw issuerError(errorContext);
    if (!trust.algorithms.includes(alg)) throw algorithmError(alg);
    let claims: JWTPayload;
    try {
      claims = await verifySignedJwt(token, nowDate, issuer, trust);
    } catch (err) {
      throw toTokenError(err, errorContext);
    }
    checkNumericDates(claims);
    const nowSeconds = Math.floor(nowDate.getTime() / 1000);
    // jose checks iat only with maxTokenAge; a token issued in the future is suspect anyway.
    if (typeof claims.iat === 'number' && claims.iat > nowSeconds + toleranceSeconds) {
      throw new TokenError(
        'ERR_TOKEN_NOT_YET_VALID',
        `token was issued in the future (iat, beyond ${toleranceSeconds}s clock tolerance)`,
      );
    }
    const jkt = boundThumbprint(claims['cnf']);
    const principal = principalFromClaims(claims, mapping);
    let validUntil = Math.min((claims.exp ?? nowSeconds) + toleranceSeconds, nowSeconds + cacheMaxAgeSeconds);
    if (maxTokenAgeSeconds !== undefined && typeof claims.iat === 'number') {
      validUntil = Math.min(validUntil, claims.iat + maxTokenAgeSeconds + toleranceSeconds);
    }
    return jkt === undefined ? { principal, validUntil } : { principal, validUntil, jkt };
  };

  return {
    async resolve(token: string, resolveOptions?: ResolveOptions): Promise<Principal> {
      if (typeof token !== 'string') throw new TypeError('token must be a string');
      const dpop = resolveOptions?.dpop;
      if (dpop !== undefined) checkDpopRequest(dpop);
      // Size first: hashing or parsing an unbounded input is the cost an attacker wants us to pay.
      if (token.length > maxTokenBytes || Buffer.byteLength(token, 'utf8') > maxTokenBytes) {
        throw new TokenError('ERR_TOKEN_INVALID', `token is larger than ${maxTokenBytes} bytes`);
      }
      const nowDate = now();
      const nowMs = nowDate.getTime();
      if (!Number.isFinite(nowMs)) throw new TypeError('options.now() returned an invalid Date');
      // The cache key is the token's hash, never the token; it is also the DPoP `ath` value.
      const hash = createHash('sha256').update(token, 'utf8').digest('base64url');
      let entry = cache.get(hash, Math.floor(nowMs / 1000));
      if (entry === undefined) {
        entry = await verify(token, nowDate);
        cache.set(hash, entry);
      }
      if (entry.jkt !== undefined || dpopRequired) {
        if (dpop === undefined) {
          throw new TokenError(
            'ERR_DPOP_INVALID',
            entry.jkt !== undefined
              ? 'token is bound to a key (cnf.jkt); a DPoP proof must be presented with it'
              : 'a DPoP proof is required (identity.dpop.required)',
          );
        }
        if (entry.jkt === undefined) {
          throw new TokenError(
            'ERR_DPOP_INVALID',
            'DPoP is required (identity.dpop.required) but the token is not bound to a key (no cnf.jkt)',
          );
        }
      }
      if (dpop !== undefined) {
        await verifyDpopProof({
          request: dpop,
          accessTokenHash: hash,
          jkt: entry.jkt,
          nowMs,
          maxAgeSeconds: dpopMaxAgeSeconds,
          toleranceSeconds,
          maxBytes: maxTokenBytes,
          replayCache,
        });
      }
      return entry.principal;
    },
  };
}

function checkHeader(
  header: Readonly<Record<string, unknown>>,
  alg: string,
  algorithms: readonly string[],
): void {
  if (!algorithms.includes(alg)) throw algorithmError(alg);
  for (const name of KEY_HEADERS) {
    if (Object.hasOwn(header, name)) {
      throw new TokenError(
        'ERR_TOKEN_INVALID',
        `token header carries its own key (${name}); keys are taken only from the configured key set`,
      );
    }
  }
  if (Object.hasOwn(header, 'crit')) {
    throw new TokenError(
      'ERR_TOKEN_INVALID',
      'token header has critical extensions (crit), and none is understood',
    );
  }
  if (header['kid'] !== undefined && typeof header['kid'] !== 'string') {
    throw new TokenError('ERR_TOKEN_INVALID', 'token header kid is not a string');
  }
  if (typeof header['typ'] === 'string' && header['typ'].toLowerCase() === 'dpop+jwt') {
    throw new TokenError('ERR_TOKEN_INVALID', 'a DPoP proof is not an access token');
  }
}

function algorithmError(alg: string): TokenError {
  if (alg.toLowerCase() === 'none') {
    return new TokenError('ERR_TOKEN_ALGORITHM', 'unsecured tokens (alg none) are never accepted');
  }
  if (isHmacAlgorithm(alg)) {
    return new TokenError(
      'ERR_TOKEN_ALGORITHM',
      'token is HMAC-signed, which is accepted only with identity.hmacSecret and an algorithm list that allows it',
    );
  }
  return new TokenError(
    'ERR_TOKEN_ALGORITHM',
    'token is signed with an algorithm that is not accepted (identity.algorithms)',
  );
}

/** The token's `cnf.jkt`, or undefined when it is not bound. Other binding methods fail closed. */
function boundThumbprint(cnf: unknown): string | undefined {
  if (cnf === undefined) return undefined;
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) {
    throw new TokenError('ERR_TOKEN_CLAIM', 'token cnf claim is not an object');
  }
  const members = Object.keys(cnf);
  if (members.some((m) => m !== 'jkt')) {
    // e.g. mTLS `x5t#S256`: the token is bound to something this resolver cannot check.
    throw new TokenError(
      'ERR_TOKEN_CLAIM',
      'token is bound by a confirmation method other than DPoP (cnf.jkt), which cannot be checked here',
    );
  }
  const jkt = (cnf as Record<string, unknown>)['jkt'];
  if (jkt === undefined) return undefined;
  if (typeof jkt !== 'string' || jkt === '')
    throw new TokenError('ERR_TOKEN_CLAIM', 'token cnf.jkt is not a string');
  return jkt;
}

function checkDpopRequest(dpop: DpopRequest): void {
  if (typeof (dpop as unknown) !== 'object' || (dpop as unknown) === null)
    throw new TypeError('dpop must be { proof, method, url }');
  if (typeof dpop.proof !== 'string') throw new TypeError('dpop.proof must be a string');
  if (typeof dpop.method !== 'string' || dpop.method === '')
    throw new TypeError('dpop.method must be the HTTP method');
  if (typeof dpop.url !== 'string')
    throw new TypeError('dpop.url must be the absolute http(s) URL of the request');
}

function stringList(value: string | readonly string[], name: string): readonly string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'string' && v !== '')) {
    throw new TypeError(`${name} must be a non-empty string or a non-empty list of them`);
  }
  return Object.freeze([...(list as readonly string[])]);
}

function nonNegative(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${name} must be a non-negative number of milliseconds`);
  }
  return value;
}

function hmacSecret(value: string | Uint8Array): Uint8Array {
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
  if (!(bytes instanceof Uint8Array)) throw new TypeError('identity.hmacSecret must be a string or bytes');
  // RFC 7518 §3.2: a key at least as long as the hash output; 32 bytes covers HS256.
  if (bytes.length < MIN_HMAC_SECRET_BYTES) {
    throw new TypeError(`identity.hmacSecret must be at least ${MIN_HMAC_SECRET_BYTES} bytes`);
  }
  return new Uint8Array(bytes);
}

function acceptedAlgorithms(
  configured: readonly string[] | undefined,
  hasKeySet: boolean,
  hasSecret: boolean,
): readonly string[] {
  if (configured === undefined) {
    const defaults = [...(hasKeySet ? ASYMMETRIC_ALGORITHMS : []), ...(hasSecret ? HMAC_ALGORITHMS : [])];
    if (defaults.length === 0) throw new TypeError('identity needs jwks (public keys) or hmacSecret');
    return Object.freeze(defaults);
  }
  if (!Array.isArray(configured) || configured.length === 0) {
    throw new TypeError('identity.algorithms must be a non-empty list');
  }
  for (const alg of configured) {
    if (typeof alg !== 'string') throw new TypeError('identity.algorithms must be strings');
    if (alg.toLowerCase() === 'none') throw new TypeError('identity.algorithms must not include none');
    if (isHmacAlgorithm(alg)) {
      if (!hasSecret)
        throw new TypeError(`identity.algorithms includes ${alg}, which needs identity.hmacSecret`);
    } else if (ASYMMETRIC_ALGORITHMS.includes(alg)) {
      if (!hasKeySet) throw new TypeError(`identity.algorithms includes ${alg}, which needs identity.jwks`);
    } else {
      throw new TypeError(
        `identity.algorithms includes unknown algorithm ${JSON.stringify(alg)}; known: ${[...ASYMMETRIC_ALGORITHMS, ...HMAC_ALGORITHMS].join(', ')}`,
      );
    }
  }
  return Object.freeze([...new Set<string>(configured)]);
}

function claimMapping(config: IdentityConfig): ClaimMapping {
  const claimName = <F extends string | undefined>(
    value: string | undefined,
    fallback: F,
    name: string,
  ): string | F => {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || value === '')
      throw new TypeError(`${name} must be a non-empty claim name`);
    return value;
  };
  const kindClaim = claimName(config.kindClaim, undefined, 'identity.kindClaim');
  if (config.defaultKind !== undefined && !KINDS.includes(config.defaultKind)) {
    throw new TypeError('identity.defaultKind must be human, agent or service');
  }
  return {
    subjectClaim: claimName(config.subjectClaim, 'sub', 'identity.subjectClaim'),
    groupsClaim: claimName(config.groupsClaim, 'groups', 'identity.groupsClaim'),
    ...(kindClaim === undefined ? {} : { kindClaim }),
    ...(config.defaultKind === undefined ? {} : { defaultKind: config.defaultKind }),
  };
}

/** One accepted issuer: how its keys are found and which algorithms it may sign with. */
interface TrustedIssuer {
  readonly getKey: (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey | Uint8Array>;
  readonly algorithms: readonly string[];
}

/**
 * The accepted issuers, each with its own key source. Several issuers never share one: a key
 * set (or HMAC secret) trusted for two issuers lets either sign tokens claiming to be the other.
 */
function trustedIssuers(
  config: IdentityConfig,
  secret: Uint8Array | undefined,
  keySource: (source: JwksSource) => KeySource,
): ReadonlyMap<string, TrustedIssuer> {
  const entries: { issuer: string; jwks: JwksSource | undefined }[] = [];
  if (config.issuers !== undefined) {
    if (config.issuer !== undefined || config.jwks !== undefined) {
      throw new TypeError(
        'identity: set either identity.issuer (with identity.jwks) or identity.issuers (each with its own jwks), not both',
      );
    }
    if (!Array.isArray(config.issuers) || config.issuers.length === 0) {
      throw new TypeError('identity.issuers must be a non-empty list of { issuer, jwks }');
    }
    for (const [i, entry] of config.issuers.entries()) {
      const e = entry as Partial<IssuerKeys> | null;
      if (typeof e !== 'object' || e === null || typeof e.issuer !== 'string' || e.issuer === '') {
        throw new TypeError(`identity.issuers[${i}].issuer must be a non-empty string`);
      }
      if (e.jwks === undefined && !(secret !== undefined && config.issuers.length === 1)) {
        throw new TypeError(`identity.issuers[${i}] (${e.issuer}) needs jwks: its own key set`);
      }
      entries.push({ issuer: e.issuer, jwks: e.jwks });
    }
  } else {
    if (config.issuer === undefined) throw new TypeError('identity needs issuer (or issuers)');
    const list = stringList(config.issuer, 'identity.issuer');
    if (list.length > 1) {
      throw new TypeError(
        `identity.issuer lists ${list.length} issuers that would share one key set, so each could sign tokens for the others: give each its own with identity.issuers: [{ issuer, jwks }, …]`,
      );
    }
    entries.push({ issuer: list[0] as string, jwks: config.jwks });
  }
  if (secret !== undefined && entries.length > 1) {
    throw new TypeError('identity.hmacSecret belongs to one issuer: it cannot be used with several issuers');
  }
  const out = new Map<string, TrustedIssuer>();
  for (const { issuer, jwks } of entries) {
    if (out.has(issuer)) throw new TypeError(`identity.issuers names ${issuer} more than once`);
    const keys = jwks === undefined ? undefined : keySource(jwks);
    const getKey = async (
      header: JWSHeaderParameters,
      token: FlattenedJWSInput,
    ): Promise<CryptoKey | Uint8Array> => {
      // The HMAC secret and the public keys never stand in for each other: an HS token verified
      // with a public key is the classic algorithm-confusion forgery.
      if (header.alg !== undefined && isHmacAlgorithm(header.alg)) {
        if (secret === undefined) throw algorithmError(header.alg);
        return secret;
      }
      if (keys === undefined) throw algorithmError(header.alg ?? '');
      return keys(header, token);
    };
    const algorithms = acceptedAlgorithms(config.algorithms, keys !== undefined, secret !== undefined);
    out.set(issuer, { getKey, algorithms });
  }
  return out;
}

/** The `iss` of a compact JWS whose shape was already checked, read without verifying it. */
function unverifiedIssuer(token: string, context: TokenErrorContext): string {
  const start = token.indexOf('.') + 1;
  let payload: unknown;
  try {
    payload = JSON.parse(
      Buffer.from(token.slice(start, token.indexOf('.', start)), 'base64url').toString('utf8'),
    );
  } catch {
    throw new TokenError('ERR_TOKEN_INVALID', 'token is not a well-formed signed JWT');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new TokenError('ERR_TOKEN_INVALID', 'token is not a well-formed signed JWT');
  }
  const iss = (payload as Record<string, unknown>)['iss'];
  if (iss === undefined) throw new TokenError('ERR_TOKEN_ISSUER', 'token has no issuer (iss)');
  if (typeof iss !== 'string') throw issuerError(context);
  return iss;
}

function issuerError(context: TokenErrorContext): TokenError {
  const expected =
    context.issuers.length === 1
      ? JSON.stringify(context.issuers[0])
      : `one of ${context.issuers.map((v) => JSON.stringify(v)).join(', ')}`;
  return new TokenError('ERR_TOKEN_ISSUER', `token issuer is not accepted (expected ${expected})`);
}

/** 9999-12-31T23:59:59Z: later times are not dates any identity provider issues. */
const MAX_NUMERIC_DATE = 253_402_300_799;

/**
 * `exp`, `nbf` and `iat` must be whole seconds between 1970 and the year 9999. JSON `1e400`
 * parses to Infinity, which jose accepts (a token that never expires) and which breaks every
 * later date computation.
 */
function checkNumericDates(claims: JWTPayload): void {
  for (const name of ['exp', 'nbf', 'iat'] as const) {
    const value: unknown = claims[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_NUMERIC_DATE) {
      throw new TokenError(
        'ERR_TOKEN_CLAIM',
        `token claim ${name} is not a whole number of seconds between 0 and ${MAX_NUMERIC_DATE} (the year 9999)`,
      );
    }
  }
}
