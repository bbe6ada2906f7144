// A fresh TLS identity for the gate's loopback listener: an ECDSA P-256 key and a self-signed
// X.509 certificate for 127.0.0.1, made in memory when the gate starts. Clients trust exactly
// this certificate (it is in their KubeConfig), so no TLS verification is ever turned off; kubectl
// (client-go) would not send a bearer token over plain HTTP anyway. Node has no API that issues
// certificates, so the DER is assembled here (RFC 5280 §4.1).
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

/** A key and its certificate, PEM-encoded. */
export interface TlsIdentity {
  readonly key: string;
  readonly cert: string;
}

const tlv = (tag: number, ...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  let length: Buffer;
  if (body.length < 0x80) length = Buffer.from([body.length]);
  else {
    const bytes: number[] = [];
    for (let n = body.length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, body]);
};
const seq = (...parts: Buffer[]): Buffer => tlv(0x30, ...parts);
const oid = (text: string): Buffer => {
  const arcs = text.split('.').map(Number);
  const bytes = [40 * (arcs[0] ?? 0) + (arcs[1] ?? 0)];
  for (const arc of arcs.slice(2)) {
    const chunk = [arc & 0x7f];
    for (let n = arc >> 7; n > 0; n >>= 7) chunk.unshift((n & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
};
const utcTime = (date: Date): Buffer =>
  tlv(0x17, Buffer.from(`${date.toISOString().slice(2, 19).replace(/[-T:]/g, '')}Z`, 'ascii'));
const name = (cn: string): Buffer => seq(tlv(0x31, seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));
const pem = (label: string, der: Buffer): string =>
  `-----BEGIN ${label}-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END ${label}-----\n`;

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

/**
 * A new key and a certificate valid for `127.0.0.1` and `localhost` for `days` days.
 *
 * @example
 * ```ts
 * const { key, cert } = createTlsIdentity();
 * https.createServer({ key, cert });
 * ```
 */
export function createTlsIdentity(days = 366): TlsIdentity {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const serial = randomBytes(16);
  // Positive and minimal as DER demands: a first byte in 0x40–0x7f needs no sign byte and is
  // never a padding zero (a zero byte ahead of one below 0x80 makes OpenSSL refuse the cert).
  serial[0] = ((serial[0] as number) & 0x3f) | 0x40;
  const now = Date.now();
  const san = seq(tlv(0x87, Buffer.from([127, 0, 0, 1])), tlv(0x82, Buffer.from('localhost', 'ascii')));
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, serial),
    ECDSA_SHA256,
    name('portcullis-kube-gate'),
    seq(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + days * 86_400_000))),
    name('portcullis-kube-gate'),
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(
      0xa3,
      seq(
        seq(oid('2.5.29.17'), tlv(0x04, san)),
        seq(oid('2.5.29.19'), tlv(0x01, Buffer.from([0xff])), tlv(0x04, seq(tlv(0x01, Buffer.from([0xff]))))),
      ),
    ),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const cert = seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.from([0]), signature));
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    cert: pem('CERTIFICATE', cert),
  };
}
