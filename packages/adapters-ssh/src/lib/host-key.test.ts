import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hostKeyVerifier } from './host-key.js';

/** An ssh-ed25519 public key blob and its .pub line, generated for the test. */
function ed25519(): { blob: Buffer; line: string } {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const type = Buffer.from('ssh-ed25519');
  const blob = Buffer.concat([u32(type.length), type, u32(raw.length), raw]);
  return { blob, line: `ssh-ed25519 ${blob.toString('base64')} test@host` };
}
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

describe('hostKeyVerifier', () => {
  const a = ed25519();
  const b = ed25519();

  it('accepts exactly the pinned key, by .pub line or SHA256 fingerprint', () => {
    expect(hostKeyVerifier(a.line)(a.blob)).toBe(true);
    expect(hostKeyVerifier(a.line)(b.blob)).toBe(false);
    const fingerprint = `SHA256:${createHash('sha256').update(a.blob).digest('base64').replace(/=+$/, '')}`;
    expect(hostKeyVerifier(fingerprint)(a.blob)).toBe(true);
    expect(hostKeyVerifier(fingerprint)(b.blob)).toBe(false);
    expect(hostKeyVerifier([b.line, a.line])(a.blob)).toBe(true);
  });

  it('refuses what is not a key', () => {
    const verify = hostKeyVerifier(a.line);
    expect(verify(a.blob.subarray(0, 20))).toBe(false);
    expect(verify('x' as unknown as Buffer)).toBe(false);
  });

  it.each([
    undefined,
    '',
    [],
    'ssh-ed25519',
    'ssh-rsa ' + ed25519().blob.toString('base64'),
    'SHA256:abc',
    42,
    ['x'],
  ])('no usable pin (%j) is a TypeError', (pin) => {
    expect(() => hostKeyVerifier(pin)).toThrow(TypeError);
  });
});
