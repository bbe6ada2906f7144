// Deterministic generators for detector examples. Test secrets are assembled here at run
// time so the repository never holds a literal a secret scanner would flag.

/** A seeded generator of random strings over an alphabet. */
export interface ExampleRng {
  /** An integer in [0, n). */
  int(n: number): number;
  /** `n` characters drawn from `alphabet`. */
  chars(alphabet: string, n: number): string;
  base62(n: number): string;
  hex(n: number): string;
  digits(n: number): string;
  upper(n: number): string;
  lower(n: number): string;
  /** Base64 (standard alphabet, no padding). */
  b64(n: number): string;
  /** Base64url (no padding). */
  b64url(n: number): string;
}

export const ALPHABETS = {
  base62: '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
  hex: '0123456789abcdef',
  digits: '0123456789',
  upper: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  lower: 'abcdefghijklmnopqrstuvwxyz',
  b64: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
  b64url: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
} as const;

/** A small, fast PRNG (mulberry32): reproducible examples from a seed. */
export function createExampleRng(seed: number): ExampleRng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const chars = (alphabet: string, n: number): string => {
    let out = '';
    for (let i = 0; i < n; i++) out += alphabet.charAt(int(alphabet.length));
    return out;
  };
  return {
    int,
    chars,
    base62: (n) => chars(ALPHABETS.base62, n),
    hex: (n) => chars(ALPHABETS.hex, n),
    digits: (n) => chars(ALPHABETS.digits, n),
    upper: (n) => chars(ALPHABETS.upper, n),
    lower: (n) => chars(ALPHABETS.lower, n),
    b64: (n) => chars(ALPHABETS.b64, n),
    b64url: (n) => chars(ALPHABETS.b64url, n),
  };
}

const CRC_TABLE = ((): Uint32Array => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE) of an ASCII string. */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++)
    crc = (CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** `value` in base 62, left-padded with `0` to `width`. */
export function toBase62(value: number, width: number): string {
  let out = '';
  let v = value;
  while (v > 0) {
    out = ALPHABETS.base62.charAt(v % 62) + out;
    v = Math.floor(v / 62);
  }
  return out.padStart(width, '0');
}

/** A GitHub-style token: prefix, 30 random base62 characters and a 6-character CRC-32 checksum. */
export function githubStyleToken(rng: ExampleRng, prefix: string): string {
  const random = rng.base62(30);
  return prefix + random + toBase62(crc32(random), 6);
}

/** Appends the Luhn check digit to a string of digits. */
export function withLuhnDigit(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits + String((10 - (sum % 10)) % 10);
}

/** An IBAN for `country` with a random BBAN of `bbanLength` digits and valid check digits. */
export function ibanFor(rng: ExampleRng, country: string, bbanLength: number): string {
  const bban = rng.digits(bbanLength);
  const rearranged = bban + country + '00';
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const part = code >= 65 ? String(code - 55) : ch;
    for (const digit of part) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  const check = String(98 - remainder).padStart(2, '0');
  return country + check + bban;
}
