// The pinned host key: the only server the gate talks to. ssh2 calls the verifier during key
// exchange, before any user authentication is sent, so a mismatch never offers a credential.
import { Buffer } from 'node:buffer';
import { createHash, timingSafeEqual } from 'node:crypto';

/** One pinned key: its raw public key blob, or only the SHA-256 of it. */
type Pin = { readonly blob: Buffer } | { readonly sha256: Buffer };

/**
 * Parses pins (`ssh-ed25519 AAAA… [comment]` lines as in known_hosts or a `.pub` file, or
 * `SHA256:…` fingerprints as `ssh-keygen -l` prints them) into a verifier for ssh2's
 * `hostVerifier` (called with the server's raw key blob).
 *
 * @example
 * ```ts
 * const verify = hostKeyVerifier('ssh-ed25519 AAAAC3Nza… host');
 * verify(keyBlob); // true only for that key
 * ```
 * @throws TypeError when no pin is given or one cannot be read.
 */
export function hostKeyVerifier(pins: unknown): (key: Buffer) => boolean {
  const list = typeof pins === 'string' ? [pins] : pins;
  if (!Array.isArray(list) || list.length === 0) {
    throw new TypeError(
      'connect.hostKey is required: pin the server\'s host key ("ssh-ed25519 AAAA…" or "SHA256:…"); no pin, no connection',
    );
  }
  const parsed = list.map(parsePin);
  return (key) => {
    if (!Buffer.isBuffer(key)) return false;
    const digest = createHash('sha256').update(key).digest();
    return parsed.some((pin) =>
      'blob' in pin
        ? pin.blob.length === key.length && timingSafeEqual(pin.blob, key)
        : timingSafeEqual(pin.sha256, digest),
    );
  };
}

function parsePin(pin: unknown): Pin {
  if (typeof pin !== 'string') throw new TypeError('connect.hostKey: each pin is a string');
  const text = pin.trim();
  const fingerprint = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(text);
  if (fingerprint !== null) {
    const sha256 = Buffer.from(fingerprint[1] ?? '', 'base64');
    if (sha256.length === 32) return { sha256 };
  }
  const [type, data] = text.split(/\s+/);
  if (type !== undefined && data !== undefined && /^[A-Za-z0-9+/]+={0,2}$/.test(data)) {
    const blob = Buffer.from(data, 'base64');
    // The blob starts with its own key type: `ssh-ed25519 <blob of an RSA key>` is no pin.
    if (blob.length > 4) {
      const length = blob.readUInt32BE(0);
      if (length === Buffer.byteLength(type) && blob.subarray(4, 4 + length).toString('latin1') === type) {
        return { blob };
      }
    }
  }
  throw new TypeError(
    `connect.hostKey: cannot read the pin ${JSON.stringify(text.slice(0, 40))}: give "<type> <base64>" (a .pub line) or "SHA256:<fingerprint>"`,
  );
}
