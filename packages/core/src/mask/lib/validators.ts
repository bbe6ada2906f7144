// Checksums and plausibility checks that keep false positives low.

/** Whether a string of digits passes the Luhn (mod 10) check. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (d < 0 || d > 9) return false;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * Whether a card number's issuer prefix and length belong to a card scheme (Visa, Mastercard,
 * American Express, Discover, JCB, Diners Club, UnionPay, Maestro, Mir). Numbers that merely pass
 * Luhn (timestamps, ids) rarely also have a scheme's prefix and length.
 */
export function cardSchemeValid(digits: string): boolean {
  const n = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  const p6 = Number(digits.slice(0, 6));
  if (digits.startsWith('4')) return n === 13 || n === 16 || n === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return n === 15; // American Express
  if (p4 >= 2200 && p4 <= 2204) return n >= 16 && n <= 19; // Mir
  if (p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649) || (p6 >= 622126 && p6 <= 622925)) {
    return n >= 16 && n <= 19; // Discover
  }
  if (p2 === 62) return n >= 16 && n <= 19; // UnionPay
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19; // JCB
  if ((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39) return n >= 14 && n <= 19; // Diners
  if (p2 === 50 || (p2 >= 56 && p2 <= 58) || p2 === 67 || p2 === 63) return n >= 13 && n <= 19; // Maestro
  return false;
}

// Lengths from the IBAN registry (ISO 13616), by country code.
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  LY: 25,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MR: 27,
  MT: 31,
  MU: 30,
  NL: 18,
  NO: 15,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  SA: 24,
  SC: 31,
  SD: 18,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
};

/** Whether an IBAN (spaces removed) has its country's length and a valid mod-97 check. */
export function ibanValid(compact: string): boolean {
  const expected = IBAN_LENGTHS[compact.slice(0, 2)];
  if (expected === undefined || compact.length !== expected) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const code = rearranged.charCodeAt(i);
    if (code >= 65 && code <= 90) {
      const v = code - 55;
      remainder = (remainder * 100 + v) % 97;
    } else if (code >= 48 && code <= 57) {
      remainder = (remainder * 10 + (code - 48)) % 97;
    } else {
      return false;
    }
  }
  return remainder === 1;
}

// File extensions that look like top-level domains in `icon@2x.png` or `pkg@1.0.0.tgz`.
const FILE_EXTENSIONS = new Set([
  'png',
  'jpg',
  'jpeg',
  'gif',
  'svg',
  'webp',
  'ico',
  'bmp',
  'css',
  'scss',
  'js',
  'mjs',
  'cjs',
  'ts',
  'tsx',
  'jsx',
  'json',
  'map',
  'html',
  'htm',
  'md',
  'txt',
  'yml',
  'yaml',
  'lock',
  'tgz',
  'gz',
  'zip',
  'tar',
  'pdf',
  'woff',
  'woff2',
  'ttf',
  'otf',
  'wasm',
  'xml',
  'csv',
  'log',
  'py',
  'rb',
  'go',
  'rs',
  'java',
  'kt',
  'swift',
  'vue',
  'svelte',
  'scala',
  'sh',
  'toml',
  'ini',
  'cfg',
  'conf',
]);

/** Whether an `a@b.c` match is plausibly an email address. */
export function emailValid(address: string): boolean {
  // Read in place (no slices, no split): it runs for every address in every result.
  const at = address.lastIndexOf('@');
  const encoded = at === -1 ? address.lastIndexOf('%40') : -1;
  const cut = at === -1 ? encoded : at;
  // The local part is [0, localEnd) and the domain [domainStart, length), as slice() reads them.
  const localEnd = cut < 0 ? Math.max(0, address.length + cut) : cut;
  const domainStart = at === -1 ? encoded + 3 : at + 1;
  if (localEnd > 0 && (address.charCodeAt(0) === 46 || address.charCodeAt(localEnd - 1) === 46)) return false;
  const dots = address.indexOf('..');
  if (dots !== -1 && dots + 1 < localEnd) return false;
  let start = domainStart;
  for (;;) {
    const dot = address.indexOf('.', start);
    const end = dot === -1 ? address.length : dot;
    const length = end - start;
    if (length <= 0 || length > 63 || address.charCodeAt(start) === 45 || address.charCodeAt(end - 1) === 45)
      return false;
    if (dot === -1) break;
    start = dot + 1;
  }
  return !FILE_EXTENSIONS.has(address.slice(start).toLowerCase());
}

// ---- national identifiers and other personal numbers ----

const digitsOf = (s: string): number[] => Array.from(s.replace(/[^0-9]/g, ''), Number);
const weighted = (ds: readonly number[], weights: readonly number[]): number =>
  weights.reduce((sum, w, i) => sum + w * (ds[i] ?? 0), 0);

const VERHOEFF_D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/** Whether a digit string passes the Verhoeff check (India's Aadhaar). */
export function verhoeffValid(value: string): boolean {
  const ds = digitsOf(value).reverse();
  let c = 0;
  ds.forEach((d, i) => {
    c = VERHOEFF_D[c]?.[VERHOEFF_P[i % 8]?.[d] ?? 0] ?? 0;
  });
  return ds.length > 0 && c === 0;
}

/** India's Aadhaar: 12 digits, not starting with 0 or 1, Verhoeff check digit. */
export const aadhaarValid = (v: string): boolean =>
  /^[2-9]/.test(v) && digitsOf(v).length === 12 && verhoeffValid(v);

/** Canada's SIN: 9 digits, Luhn, first digit not 0 or 8. */
export const sinValid = (v: string): boolean => {
  const d = v.replace(/[^0-9]/g, '');
  return d.length === 9 && !/^[08]/.test(d) && luhnValid(d);
};

/** Spain's DNI (8 digits and a letter) and NIE (X/Y/Z, 7 digits, a letter): mod-23 letter. */
export function spanishIdValid(v: string): boolean {
  const s = v.toUpperCase().replace(/[\s-]/g, '');
  const m = /^([XYZ]?)([0-9]{7,8})([A-Z])$/.exec(s);
  if (m === null) return false;
  const prefix = m[1] === '' ? '' : String('XYZ'.indexOf(m[1] ?? ''));
  const n = Number(prefix + (m[2] ?? ''));
  if ((m[1] === '' && m[2]?.length !== 8) || (m[1] !== '' && m[2]?.length !== 7)) return false;
  return 'TRWAGMYFPDXBNJZSQVHLCKE'[n % 23] === m[3];
}

const CF_ODD: Readonly<Record<string, number>> = Object.fromEntries(
  [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23].map(
    (v, i) => [String.fromCharCode(65 + i), v],
  ),
);
/** Italy's codice fiscale: 16 characters with a check letter. */
export function codiceFiscaleValid(v: string): boolean {
  const s = v.toUpperCase();
  if (!/^[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$/.test(s))
    return false;
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    const ch = s[i] ?? 'A';
    const isDigit = ch >= '0' && ch <= '9';
    const letter = isDigit ? String.fromCharCode(65 + Number(ch)) : ch;
    sum += i % 2 === 0 ? (CF_ODD[letter] ?? 0) : letter.charCodeAt(0) - 65;
  }
  return String.fromCharCode(65 + (sum % 26)) === s[15];
}

/** France's NIR (social security number): 13 digits and a 2-digit key, 97 − n mod 97. */
export function nirValid(v: string): boolean {
  const s = v.replace(/\s/g, '');
  if (!/^[12][0-9]{2}(?:0[1-9]|1[0-2]|[2-9][0-9])[0-9]{8}[0-9]{2}$/.test(s)) return false;
  return 97 - Number(BigInt(s.slice(0, 13)) % 97n) === Number(s.slice(13));
}

/** Brazil's CPF: 11 digits with two mod-11 check digits, not all equal. */
export function cpfValid(v: string): boolean {
  const d = digitsOf(v);
  if (d.length !== 11 || new Set(d).size === 1) return false;
  const check = (n: number): number => {
    const r =
      (weighted(
        d,
        Array.from({ length: n }, (_x, i) => n + 1 - i),
      ) *
        10) %
      11;
    return r === 10 ? 0 : r;
  };
  return check(9) === d[9] && check(10) === d[10];
}

/** Brazil's CNPJ: 14 digits with two weighted mod-11 check digits. */
export function cnpjValid(v: string): boolean {
  const d = digitsOf(v);
  if (d.length !== 14 || new Set(d).size === 1) return false;
  const check = (weights: readonly number[]): number => {
    const r = weighted(d, weights) % 11;
    return r < 2 ? 0 : 11 - r;
  };
  return (
    check([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]) === d[12] &&
    check([6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]) === d[13]
  );
}

/** China's resident identity card number: 17 digits and an ISO 7064 MOD 11-2 check (0–9 or X). */
export function chinaIdValid(v: string): boolean {
  const s = v.toUpperCase();
  if (!/^[1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9X]$/.test(s))
    return false;
  const sum = weighted(digitsOf(s.slice(0, 17)), [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]);
  return '10X98765432'[sum % 11] === s[17];
}

/** Singapore's NRIC / FIN: S, T, F or G, 7 digits and a check letter. */
export function nricValid(v: string): boolean {
  const s = v.toUpperCase();
  const m = /^([STFG])([0-9]{7})([A-Z])$/.exec(s);
  if (m === null) return false;
  let sum = weighted(digitsOf(m[2] ?? ''), [2, 7, 6, 5, 4, 3, 2]);
  if (m[1] === 'T' || m[1] === 'G') sum += 4;
  const letters = m[1] === 'S' || m[1] === 'T' ? 'JZIHGFEDCBA' : 'XWUTRQPNMLK';
  return letters[sum % 11] === m[3];
}

/** South Korea's resident registration number: 13 digits with a weighted mod-11 check. */
export function rrnValid(v: string): boolean {
  const d = digitsOf(v);
  if (d.length !== 13) return false;
  const sum = weighted(d, [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]);
  return (11 - (sum % 11)) % 10 === d[12];
}

/** Finland's henkilötunnus: DDMMYY, a century sign, 3 digits and a mod-31 check character. */
export function hetuValid(v: string): boolean {
  const m = /^([0-9]{6})[-+A-FU-Y]([0-9]{3})([0-9A-Y])$/.exec(v.toUpperCase());
  if (m === null) return false;
  return '0123456789ABCDEFHJKLMNPRSTUVWXY'[Number((m[1] ?? '') + (m[2] ?? '')) % 31] === m[3];
}

/** Sweden's personnummer: (YY)YYMMDD, - or +, 4 digits, Luhn over the last 10. */
export function personnummerValid(v: string): boolean {
  const d = v.replace(/[^0-9]/g, '');
  const ten = d.length === 12 ? d.slice(2) : d;
  return (
    ten.length === 10 &&
    /^[0-9]{2}(?:0[1-9]|1[0-2])(?:[06][1-9]|[1-27-8][0-9]|[39][01])/.test(ten) &&
    luhnValid(ten)
  );
}

/** Norway's fødselsnummer: 11 digits with two weighted mod-11 check digits. */
export function fodselsnummerValid(v: string): boolean {
  const d = digitsOf(v);
  if (d.length !== 11) return false;
  const k = (weights: readonly number[]): number => {
    const r = 11 - (weighted(d, weights) % 11);
    return r === 11 ? 0 : r;
  };
  return k([3, 7, 6, 1, 8, 9, 4, 5, 2]) === d[9] && k([5, 4, 3, 2, 7, 6, 5, 4, 3, 2]) === d[10];
}

/** Poland's PESEL: 11 digits with a weighted mod-10 check digit. */
export function peselValid(v: string): boolean {
  const d = digitsOf(v);
  return d.length === 11 && (10 - (weighted(d, [1, 3, 7, 9, 1, 3, 7, 9, 1, 3]) % 10)) % 10 === d[10];
}

/** The Netherlands' BSN: 9 digits passing the 11-test. */
export function bsnValid(v: string): boolean {
  const d = digitsOf(v);
  return (
    d.length === 9 &&
    ((weighted(d, [9, 8, 7, 6, 5, 4, 3, 2, -1]) % 11) + 11) % 11 === 0 &&
    d.some((x) => x !== 0)
  );
}

/** Belgium's national register number: 9 digits and a mod-97 check (also for births from 2000). */
export function belgianNationalNumberValid(v: string): boolean {
  const d = v.replace(/[^0-9]/g, '');
  if (d.length !== 11) return false;
  const base = BigInt(d.slice(0, 9));
  const check = Number(d.slice(9));
  return 97 - Number(base % 97n) === check || 97 - Number((2000000000n + base) % 97n) === check;
}

/** Australia's tax file number: 9 digits with a weighted mod-11 check. */
export const tfnValid = (v: string): boolean => {
  const d = digitsOf(v);
  return d.length === 9 && weighted(d, [1, 4, 3, 7, 5, 8, 6, 9, 10]) % 11 === 0;
};

/** Australia's business number: 11 digits with a weighted mod-89 check. */
export const abnValid = (v: string): boolean => {
  const d = digitsOf(v);
  if (d.length !== 11 || d[0] === 0) return false;
  const adjusted = [(d[0] ?? 0) - 1, ...d.slice(1)];
  return weighted(adjusted, [10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19]) % 89 === 0;
};

/** A US bank routing (ABA) number: 9 digits with the 3-7-1 checksum. */
export const abaValid = (v: string): boolean => {
  const d = digitsOf(v);
  return (
    d.length === 9 && weighted(d, [3, 7, 1, 3, 7, 1, 3, 7, 1]) % 10 === 0 && /^[0-3]|^[67]|^8[0]/.test(v)
  );
};

/** Chile's RUT: digits with a mod-11 check (0–9 or K). */
export function rutValid(v: string): boolean {
  const m = /^([0-9]{1,2}(?:\.?[0-9]{3}){2})-([0-9Kk])$/.exec(v);
  if (m === null) return false;
  const body = digitsOf(m[1] ?? '').reverse();
  const sum = body.reduce((acc, d, i) => acc + d * (2 + (i % 6)), 0);
  const r = 11 - (sum % 11);
  const dv = r === 11 ? '0' : r === 10 ? 'K' : String(r);
  return dv === (m[2] ?? '').toUpperCase();
}

/** Mexico's CURP: 18 characters with a check digit over the first 17. */
export function curpValid(v: string): boolean {
  const s = v.toUpperCase();
  if (!/^[A-Z][AEIOUX][A-Z]{2}[0-9]{6}[HMX][A-Z]{5}[A-Z0-9][0-9]$/.test(s)) return false;
  const dict = '0123456789ABCDEFGHIJKLMN\u00d1OPQRSTUVWXYZ';
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += dict.indexOf(s[i] ?? '0') * (18 - i);
  return (10 - (sum % 10)) % 10 === Number(s[17]);
}

/** Japan's My Number: 12 digits with a weighted mod-11 check digit. */
export function myNumberValid(v: string): boolean {
  const d = digitsOf(v);
  if (d.length !== 12) return false;
  let sum = 0;
  for (let n = 1; n <= 11; n++) sum += (d[11 - n] ?? 0) * (n <= 6 ? n + 1 : n - 5);
  const r = sum % 11;
  return (r <= 1 ? 0 : 11 - r) === d[11];
}

/** Germany's tax id (Steuer-IdNr.): 11 digits with an ISO 7064 MOD 11,10 check digit. */
export function steuerIdValid(v: string): boolean {
  const d = digitsOf(v);
  if (d.length !== 11 || d[0] === 0) return false;
  let product = 10;
  for (let i = 0; i < 10; i++) {
    let sum = ((d[i] ?? 0) + product) % 10;
    if (sum === 0) sum = 10;
    product = (sum * 2) % 11;
  }
  const check = 11 - product;
  return (check === 10 ? 0 : check) === d[10];
}

/** Hong Kong's HKID: one or two letters, 6 digits and a check digit or A. */
export function hkidValid(v: string): boolean {
  const m = /^([A-Z]{1,2})([0-9]{6})\(?([0-9A])\)?$/.exec(v.toUpperCase().replace(/\s/g, ''));
  if (m === null) return false;
  const letters = (m[1] ?? '').padStart(2, ' ');
  const value = (ch: string): number => (ch === ' ' ? 36 : ch.charCodeAt(0) - 55);
  let sum = value(letters[0] ?? ' ') * 9 + value(letters[1] ?? ' ') * 8;
  sum += weighted(digitsOf(m[2] ?? ''), [7, 6, 5, 4, 3, 2]);
  const r = (11 - (sum % 11)) % 11;
  return (r === 10 ? 'A' : String(r)) === m[3];
}

/** Whether an IPv4 or IPv6 address is public (not private, loopback, link-local or documentation). */
export function publicIpValid(v: string): boolean {
  if (v.includes('.') && !v.includes(':')) {
    const p = v.split('.').map(Number);
    const [a = 0, b = 0, c = 0] = p;
    if (p.length !== 4 || p.some((x) => x > 255)) return false;
    if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
    if ((a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254))
      return false;
    if (a === 100 && b >= 64 && b <= 127) return false;
    if (
      (a === 192 && b === 0 && c === 2) ||
      (a === 198 && b === 51 && c === 100) ||
      (a === 203 && b === 0 && c === 113)
    )
      return false;
    if (a === 198 && (b === 18 || b === 19)) return false;
    return true;
  }
  const s = v.toLowerCase();
  if (!/^[0-9a-f:]+$/.test(s) || (s.match(/:/g) ?? []).length < 2 || s.includes(':::')) return false;
  if (s === '::' || s === '::1' || /^(?:fe[89ab]|fc|fd|ff|2001:db8|2001:0db8|::ffff)/.test(s)) return false;
  const groups = s.split(':');
  return (
    groups.length <= 8 && groups.every((g) => g.length <= 4) && (s.includes('::') || groups.length === 8)
  );
}

/** Whether digits look like a phone number: 7–15 digits, not a fictional 555-01xx number. */
export function phoneValid(v: string): boolean {
  const d = v.replace(/[^0-9]/g, '');
  if (d.length < 7 || d.length > 15 || /^(.)\1+$/.test(d)) return false;
  if (/555[ .-]?01[0-9]{2}$/.test(v)) return false;
  return !/^(?:19|20)[0-9]{2}-[01][0-9]-[0-3][0-9]$/.test(v);
}

/** Whether a date is a plausible date of birth (year 1900–2099, real month and day). */
export function birthDateValid(v: string): boolean {
  const p = v.split(/[-/. ]/).map(Number);
  if (p.length !== 3) return false;
  const [x = 0, y = 0, z = 0] = p;
  const [year, month, day] = x > 31 ? [x, y, z] : z > 31 ? (y > 12 ? [z, x, y] : [z, y, x]) : [0, 0, 0];
  return year >= 1900 && year <= 2099 && month >= 1 && month <= 12 && day >= 1 && day <= 31;
}
