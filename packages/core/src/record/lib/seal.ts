// Sealing: an Ed25519 signature in `session.end` over the hash of that end event computed
// without the signature itself, so the signature covers the whole chain and the end event's
// own data. The signed message is domain-separated so the key's signatures cannot be replayed
// into another protocol that happens to sign 64 hex characters.
import { createHash, createPrivateKey, createPublicKey, KeyObject, sign, verify } from 'node:crypto';
import type { RecordEvent } from '../../types.js';
import type { KeyInput } from '../types.js';
import { canonicalData, eventText, FORMAT_TAG, sha256Hex } from './event-text.js';

/** What `session.start` and `session.end` carry under `data.seal`. */
export interface SealInfo {
  readonly alg: 'Ed25519';
  readonly keyId: string;
  /** Only in `session.end`: base64url Ed25519 signature. */
  readonly signature?: string;
}

function assertEd25519(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new TypeError(`${what} must be an Ed25519 key, got ${key.asymmetricKeyType ?? key.type}`);
  }
}

/** The Ed25519 private key used to seal sessions. */
export function toSigningKey(key: KeyObject | string): KeyObject {
  const k = typeof key === 'string' ? createPrivateKey(key) : key;
  if (!(k instanceof KeyObject) || k.type !== 'private') {
    throw new TypeError('sealingKey must be an Ed25519 private key (KeyObject or PEM)');
  }
  assertEd25519(k, 'sealingKey');
  return k;
}

function rawToPublic(bytes: Uint8Array): KeyObject {
  if (bytes.length !== 32) throw new TypeError(`a raw Ed25519 public key is 32 bytes, got ${bytes.length}`);
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(bytes).toString('base64url') },
    format: 'jwk',
  });
}

/** The Ed25519 public key that checks seals (a private key is reduced to its public half). */
export function toVerifyKey(key: KeyInput): KeyObject {
  let k: KeyObject;
  if (key instanceof KeyObject) {
    k = key.type === 'private' ? createPublicKey(key) : key;
  } else if (typeof key === 'string') {
    const text = key.trim();
    if (text.includes('-----BEGIN')) {
      k = createPublicKey(text); // also derives the public key from a private PEM
    } else if (/^[0-9a-fA-F]{64}$/.test(text)) {
      k = rawToPublic(Buffer.from(text, 'hex'));
    } else if (/^[A-Za-z0-9_-]{43}=?$/.test(text)) {
      k = rawToPublic(Buffer.from(text.replace(/=$/, ''), 'base64url'));
    } else {
      throw new TypeError('publicKey must be PEM, or 32 raw bytes as hex or base64url');
    }
  } else if (key instanceof Uint8Array) {
    k = rawToPublic(key);
  } else {
    throw new TypeError('publicKey must be a KeyObject, a string or a Uint8Array');
  }
  if (k.type !== 'public') throw new TypeError('publicKey must be an asymmetric key');
  assertEd25519(k, 'publicKey');
  return k;
}

/** Key id: the first 16 hex digits of SHA-256 over the raw 32-byte public key. */
export function keyIdOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = pub.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new TypeError('not an Ed25519 key');
  return createHash('sha256').update(Buffer.from(jwk.x, 'base64url')).digest('hex').slice(0, 16);
}

/** The message a seal signs: the format tag and the end event's hash without the signature. */
function sealMessage(unsignedHash: string): Buffer {
  return Buffer.from(`${FORMAT_TAG}:seal:${unsignedHash}`, 'utf8');
}

/** Signs an unsigned end event's hash. */
export function signSeal(key: KeyObject, unsignedHash: string): string {
  return sign(null, sealMessage(unsignedHash), key).toString('base64url');
}

/** `data.seal` of an event, when it is well formed. */
export function sealOf(data: unknown): SealInfo | undefined {
  if (typeof data !== 'object' || data === null || !('seal' in data)) return undefined;
  const seal = data.seal;
  if (typeof seal !== 'object' || seal === null) return undefined;
  const { alg, keyId, signature } = seal as Record<string, unknown>;
  if (alg !== 'Ed25519' || typeof keyId !== 'string') return undefined;
  if (signature !== undefined && typeof signature !== 'string') return undefined;
  return signature === undefined ? { alg, keyId } : { alg, keyId, signature };
}

/** Whether a sealed `session.end` event's signature verifies with `key`. */
export function checkSeal(end: RecordEvent, key: KeyObject): boolean {
  const seal = sealOf(end.data);
  if (seal?.signature === undefined) return false;
  const { signature, ...unsignedSeal } = seal;
  const unsignedData = { ...(end.data as object), seal: unsignedSeal };
  const unsignedHash = sha256Hex(eventText({ ...end, data: unsignedData }, canonicalData(unsignedData)));
  const bytes = Buffer.from(signature, 'base64url');
  if (bytes.length !== 64) return false;
  return verify(null, sealMessage(unsignedHash), key, bytes);
}
