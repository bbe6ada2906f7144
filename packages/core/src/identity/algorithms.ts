/** Asymmetric JWS algorithms accepted by default (RFC 7518, RFC 8037, RFC 9864 `Ed25519`). */
export const ASYMMETRIC_ALGORITHMS: readonly string[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/** HMAC algorithms: accepted only with an explicitly configured shared secret. */
export const HMAC_ALGORITHMS: readonly string[] = ['HS256', 'HS384', 'HS512'];

/** Whether `alg` is one of the HMAC algorithms (its key is the shared secret, never a JWK). */
export function isHmacAlgorithm(alg: string): boolean {
  return HMAC_ALGORITHMS.includes(alg);
}
