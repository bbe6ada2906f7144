import type { KeyInput } from './types.js';
import { keyIdOf, toVerifyKey } from './lib/seal.js';

/**
 * The key id a sealed recording names for an Ed25519 key: the first 16 hex digits of SHA-256
 * over the raw 32-byte public key. Accepts the private or the public key.
 *
 * @example
 * ```ts
 * const { privateKey, publicKey } = generateKeyPairSync('ed25519');
 * sealKeyId(privateKey) === sealKeyId(publicKey); // true
 * ```
 * @throws TypeError when the key is not an Ed25519 key.
 */
export function sealKeyId(key: KeyInput): string {
  return keyIdOf(toVerifyKey(key));
}
