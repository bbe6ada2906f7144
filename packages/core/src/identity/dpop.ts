import { calculateJwkThumbprint, EmbeddedJWK, errors, jwtVerify } from 'jose';
import { TokenError } from '../errors.js';
import { ASYMMETRIC_ALGORITHMS } from './algorithms.js';
import { parseCompactJws } from './compact-jws.js';
import type { DpopReplayCache } from './dpop-replay-cache.js';

/** The request a DPoP proof must match. */
export interface DpopRequest {
  /** The proof: the request's `DPoP` header value. */
  readonly proof: string;
  /** The HTTP method, as sent (`GET`, `POST`). Compared exactly: methods are case-sensitive. */
  readonly method: string;
  /** The request's absolute URL; its query and fragment are ignored. */
  readonly url: string;
}

/** Everything a proof is checked against. */
export interface DpopCheck {
  readonly request: DpopRequest;
  /** base64url(SHA-256(access token)): the proof's `ath` must equal it. */
  readonly accessTokenHash: string;
  /** The token's `cnf.jkt`, when it is bound; the proof key's thumbprint must equal it. */
  readonly jkt: string | undefined;
  readonly nowMs: number;
  readonly maxAgeSeconds: number;
  readonly toleranceSeconds: number;
  readonly maxBytes: number;
  readonly replayCache: DpopReplayCache;
}

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];
const PROOF_KEY_TYPES = ['RSA', 'EC', 'OKP'];
/** A jti is a random id; a long one is only a way to fill the replay cache. */
const MAX_JTI_LENGTH = 256;

/**
 * Checks a DPoP proof (RFC 9449 §4.3) for one request: a `dpop+jwt` signed with an asymmetric
 * algorithm by the public key in its own `jwk` header; `htm`/`htu` matching the request; `iat`
 * no older than the maximum age and not in the future (both with the clock tolerance); `ath`
 * the hash of the access token; the key's RFC 7638 thumbprint equal to the token's `cnf.jkt`
 * when bound; and a `jti` not seen before (recorded last, so only valid proofs use up ids).
 *
 * @throws TokenError `ERR_DPOP_INVALID` saying which check failed; TypeError when the request
 * URL is not an absolute http(s) URL.
 */
export async function verifyDpopProof(check: DpopCheck): Promise<void> {
  const { request } = check;
  const expectedHtu = normaliseRequestUrl(request.url);
  const { header, alg } = parseCompactJws(request.proof, check.maxBytes, 'DPoP proof', 'ERR_DPOP_INVALID');
  if (typeof header['typ'] !== 'string' || header['typ'].toLowerCase() !== 'dpop+jwt') {
    throw invalid('its typ header is not dpop+jwt');
  }
  if (!ASYMMETRIC_ALGORITHMS.includes(alg)) throw invalid('it is not signed with an asymmetric algorithm');
  if (header['crit'] !== undefined) throw invalid('it has a crit header, and no extension is understood');
  const jwk = header['jwk'];
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw invalid('it has no jwk header');
  const jwkRecord = jwk as Record<string, unknown>;
  if (!PROOF_KEY_TYPES.includes(String(jwkRecord['kty'])))
    throw invalid('its jwk is not an RSA, EC or OKP key');
  if (PRIVATE_JWK_MEMBERS.some((member) => Object.hasOwn(jwkRecord, member))) {
    throw invalid('its jwk contains private key material');
  }

  let claims: Readonly<Record<string, unknown>>;
  try {
    ({ payload: claims } = await jwtVerify(request.proof, EmbeddedJWK, {
      algorithms: [...ASYMMETRIC_ALGORITHMS],
      typ: 'dpop+jwt',
      requiredClaims: ['jti', 'htm', 'htu', 'iat'],
      currentDate: new Date(check.nowMs),
      clockTolerance: check.toleranceSeconds,
    }));
  } catch (err) {
    throw proofError(err);
  }

  if (claims['htm'] !== request.method) throw invalid('its htm does not match the request method');
  if (typeof claims['htu'] !== 'string' || normaliseHtu(claims['htu']) !== expectedHtu) {
    throw invalid('its htu does not match the request URL');
  }
  const iat = claims['iat'];
  const nowSeconds = Math.floor(check.nowMs / 1000);
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalid('its iat is not a number');
  if (iat > nowSeconds + check.toleranceSeconds) throw invalid('its iat is in the future');
  if (nowSeconds - iat > check.maxAgeSeconds + check.toleranceSeconds) {
    throw invalid(`it is older than ${check.maxAgeSeconds}s (iat)`);
  }
  if (claims['ath'] !== check.accessTokenHash) throw invalid('its ath does not match the access token');
  const jti = claims['jti'];
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
    throw invalid(`its jti is not a non-empty string of at most ${MAX_JTI_LENGTH} characters`);
  }

  let thumbprint: string;
  try {
    thumbprint = await calculateJwkThumbprint(jwkRecord, 'sha256');
  } catch {
    throw invalid('its jwk has no RFC 7638 thumbprint');
  }
  if (check.jkt !== undefined && thumbprint !== check.jkt) {
    throw invalid('its key is not the key the token is bound to (cnf.jkt)');
  }

  // Scoped by key: two clients' random ids never collide and one client cannot burn another's.
  // Partitioned by access token (its SHA-256): a flood of proofs for one token — even each with
  // a fresh key, which an unbound token allows — uses up only that token's quota.
  const expiresAt = (iat + check.maxAgeSeconds + check.toleranceSeconds) * 1000 + 1000;
  let fresh: boolean;
  try {
    fresh = await check.replayCache.useOnce(
      `${thumbprint}:${jti}`,
      expiresAt,
      check.nowMs,
      check.accessTokenHash,
    );
  } catch (cause) {
    throw new TokenError('ERR_DPOP_INVALID', 'DPoP proof rejected: the replay cache could not record it', {
      cause,
    });
  }
  if (!fresh) throw invalid('it was already used (jti replayed)');
}

function invalid(reason: string): TokenError {
  return new TokenError('ERR_DPOP_INVALID', `DPoP proof rejected: ${reason}`);
}

function proofError(err: unknown): TokenError {
  if (err instanceof TokenError) return err;
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return invalid('its signature does not verify with its jwk');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'typ') return invalid('its typ header is not dpop+jwt');
    if (err.reason === 'missing') return invalid(`it has no ${err.claim} claim`);
    return invalid(`its ${err.claim} claim is not valid`);
  }
  if (err instanceof errors.JWTExpired) return invalid('it has expired (exp)');
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return invalid('its algorithm or key is not supported');
  }
  if (err instanceof errors.JOSEError) return invalid('it is not a well-formed signed JWT with a public jwk');
  return new TokenError('ERR_DPOP_INVALID', 'DPoP proof rejected: it could not be verified', { cause: err });
}

/** The htu in a proof: an http(s) URL compared without query and fragment (RFC 9449 §4.3). */
function normaliseHtu(htu: string): string | undefined {
  let url: URL;
  try {
    url = new URL(htu);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  // WHATWG URL parsing already lower-cases scheme and host, drops default ports and resolves
  // dot segments (RFC 3986 §6.2.2 and §6.2.3 normalisation).
  return `${url.protocol}//${url.host}${normalisePercentEncoding(url.pathname)}`;
}

/** RFC 3986 §6.2.2.1-2: upper-case hex digits, decode encoded unreserved characters. */
function normalisePercentEncoding(path: string): string {
  return path.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}

function normaliseRequestUrl(requestUrl: string): string {
  const normalised = normaliseHtu(requestUrl);
  if (normalised === undefined) {
    throw new TypeError('dpop.url must be the absolute http(s) URL of the request');
  }
  return normalised;
}
