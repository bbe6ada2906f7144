import { errors } from 'jose';
import { TokenError } from '../errors.js';

/** What the mapper needs to say in its messages (configuration only, never token content). */
export interface TokenErrorContext {
  readonly toleranceSeconds: number;
  readonly maxTokenAgeSeconds: number | undefined;
  readonly issuers: readonly string[];
  readonly audiences: readonly string[];
}

/**
 * Turns whatever verifying an access token threw into a {@link TokenError} with a stable code.
 * jose's own errors are not chained as causes: some carry the decoded claims, and a rejected
 * token's content must not reach logs through an error.
 */
export function toTokenError(err: unknown, context: TokenErrorContext): TokenError {
  if (err instanceof TokenError) return err;
  if (err instanceof errors.JWTExpired) {
    if (err.claim === 'iat') {
      return new TokenError(
        'ERR_TOKEN_TOO_OLD',
        `token was issued more than ${context.maxTokenAgeSeconds ?? 0}s ago (identity.maxTokenAge)`,
      );
    }
    return new TokenError(
      'ERR_TOKEN_EXPIRED',
      `token has expired (exp is past, with ${context.toleranceSeconds}s clock tolerance)`,
    );
  }
  if (err instanceof errors.JWTClaimValidationFailed) return claimError(err, context);
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return new TokenError('ERR_TOKEN_ALGORITHM', 'token is signed with an algorithm that is not accepted');
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return new TokenError('ERR_TOKEN_SIGNATURE', 'token signature does not verify with the configured key');
  }
  if (err instanceof errors.JWKSNoMatchingKey) {
    return new TokenError(
      'ERR_TOKEN_KEY_NOT_FOUND',
      'no key in the configured key set matches the token (kid and alg)',
    );
  }
  if (err instanceof errors.JWKSInvalid || err instanceof errors.JWKInvalid) {
    return new TokenError(
      'ERR_JWKS_UNAVAILABLE',
      'the key set entry for this token is not a usable public key',
    );
  }
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) {
    return new TokenError('ERR_TOKEN_INVALID', 'token is not a well-formed signed JWT');
  }
  if (err instanceof errors.JOSEError) {
    return new TokenError('ERR_TOKEN_INVALID', 'token could not be verified');
  }
  // Not jose's: e.g. a key jose refuses to use (an RSA modulus under 2048 bits) or a crypto
  // failure. Those carry no token content, so keep them as the cause for whoever debugs it.
  const detail = err instanceof TypeError ? `: ${err.message}` : '';
  return new TokenError('ERR_TOKEN_INVALID', `token could not be verified${detail}`, { cause: err });
}

function claimError(
  err: InstanceType<typeof errors.JWTClaimValidationFailed>,
  context: TokenErrorContext,
): TokenError {
  const missing = err.reason === 'missing';
  switch (err.claim) {
    case 'iss':
      return new TokenError(
        'ERR_TOKEN_ISSUER',
        missing
          ? 'token has no issuer (iss)'
          : `token issuer is not accepted (expected ${list(context.issuers)})`,
      );
    case 'aud':
      return new TokenError(
        'ERR_TOKEN_AUDIENCE',
        missing
          ? 'token has no audience (aud)'
          : `token audience is not accepted (expected ${list(context.audiences)})`,
      );
    case 'nbf':
      return err.reason === 'check_failed'
        ? new TokenError(
            'ERR_TOKEN_NOT_YET_VALID',
            `token is not valid yet (nbf is in the future, beyond ${context.toleranceSeconds}s clock tolerance)`,
          )
        : new TokenError('ERR_TOKEN_CLAIM', 'token claim nbf is not a number');
    case 'iat':
      if (err.reason === 'check_failed') {
        return new TokenError(
          'ERR_TOKEN_NOT_YET_VALID',
          `token was issued in the future (iat, beyond ${context.toleranceSeconds}s clock tolerance)`,
        );
      }
      return new TokenError(
        'ERR_TOKEN_CLAIM',
        missing
          ? 'token has no issued-at time (iat), which identity.maxTokenAge requires'
          : 'token claim iat is not a number',
      );
    case 'exp':
      return new TokenError(
        'ERR_TOKEN_CLAIM',
        missing
          ? 'token has no expiry (exp); tokens without one are not accepted'
          : 'token claim exp is not a number',
      );
    default:
      return new TokenError(
        'ERR_TOKEN_CLAIM',
        `token claim ${err.claim} is ${missing ? 'missing' : 'not accepted'}`,
      );
  }
}

function list(values: readonly string[]): string {
  return values.length === 1
    ? JSON.stringify(values[0])
    : `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
}
