import { X509Certificate, createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTlsIdentity } from './self-signed.js';

describe('createTlsIdentity', () => {
  it('makes a certificate OpenSSL parses, for 127.0.0.1 and localhost, signed by its own key', () => {
    const { key, cert } = createTlsIdentity(30);
    const x509 = new X509Certificate(cert);
    expect(x509.subjectAltName).toBe('IP Address:127.0.0.1, DNS:localhost');
    expect(x509.checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect(x509.verify(x509.publicKey)).toBe(true);
    const days = (Date.parse(x509.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThan(31);
  });

  // The serial number is random; a DER INTEGER must not start with a needless zero byte (a serial
  // whose first byte is 0x00 followed by one below 0x80), or OpenSSL refuses the certificate with
  // "illegal padding" — about one gate start in 256 before this was fixed.
  it('encodes every random serial number as DER allows (1,000 certificates)', () => {
    for (let i = 0; i < 1000; i++) {
      const { cert } = createTlsIdentity();
      const serial = new X509Certificate(cert).serialNumber;
      expect(serial).toMatch(/^[0-9A-F]{32}$/);
    }
  });
});
