// Secrets for tests, drawn at random when a test runs, shaped as real ones are: nothing in the
// source looks like a live credential, and nothing looks like a documentation example either
// (masking leaves `…EXAMPLE`, runs of one character and counting sequences alone).
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function draw(alphabet: string, length: number): string {
  return Array.from(randomBytes(length), (b) => alphabet[b % alphabet.length]).join('');
}

/** An AWS access key id: `AKIA` and 16 random base32 letters. */
export function randomAwsKeyId(): string {
  return `AKIA${draw(BASE32, 16)}`;
}

/** A GitHub token: prefix, 30 random base62 characters and their CRC-32 in 6 base62 digits. */
export function randomGithubToken(prefix = 'ghp_'): string {
  const body = draw(BASE62, 30);
  let sum = crc32(body);
  let check = '';
  while (sum > 0) {
    check = BASE62.charAt(sum % 62) + check;
    sum = Math.floor(sum / 62);
  }
  return prefix + body + check.padStart(6, '0');
}
