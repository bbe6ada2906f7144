// Personal data: email addresses, payment card numbers, IBANs, US social security numbers.
import { ibanFor, withLuhnDigit } from '../lib/example-rng.js';
import type { DetectorDefinition } from '../lib/definition.js';
import { boundaryBefore, plain, scan, token } from '../lib/definition.js';
import { cardSchemeValid, emailValid, ibanValid, luhnValid } from '../lib/validators.js';

// Letters of the scripts used in internationalised addresses (Latin, Greek, Cyrillic, Armenian,
// Hebrew, Arabic, Indic, Thai, Hangul, kana, CJK), as plain ranges: a `u`-flag \p{L} class
// costs more on every @. Punctuation blocks (general, CJK, full-width) are left out, so an
// address after `：` or inside `“…”` starts and ends where it should.
const LETTERS =
  'A-Za-z\\u00AA\\u00B5\\u00BA\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u03FF\\u0400-\\u052F\\u0531-\\u058F\\u05D0-\\u05EA\\u0620-\\u064A\\u0900-\\u0DFF\\u0E00-\\u0E7F\\u1100-\\u11FF\\u1E00-\\u1FFF\\u3040-\\u30FF\\u3400-\\u4DBF\\u4E00-\\u9FFF\\uAC00-\\uD7AF';
const WORD = `${LETTERS}0-9`;

// Numbers printed on sample cards and in documentation, never issued to a person.
const SSN_EXAMPLES = new Set(['078051120', '219099999', '123456789']);

export const piiDetectors: readonly DetectorDefinition[] = [
  token({
    id: 'email',
    category: 'pii',
    description:
      'Email addresses in any script and URL-encoded (local part, @ or %40, a dotted domain with a letter or xn-- TLD; not scp-style user@host:path or file names such as icon@2x.png).',
    // `%40` is the @ of a URL-encoded address (`?email=alice%40example.com`). Letters and
    // digits of any script: internationalised addresses (`jörg@bücher.de`).
    keywords: ['@', '%40'],
    // eslint-disable-next-line no-misleading-character-class -- Indic letters include their combining marks, one code unit at a time
    back: { max: 64, chars: new RegExp(`[${WORD}._%+-]`) },
    pre: `(?<![${WORD}._%+-]|://(?:[^\\s/@:]{0,20}:)?)[${WORD}._%+-]{1,64}`,
    body: `[${WORD}.-]{1,253}\\.(?:[A-Za-z]{2,24}|xn--[A-Za-z0-9-]{1,59}|[${LETTERS}]{2,24})`,
    bodyMax: 278,
    charset: /[A-Za-z0-9.\u00e9-]/,
    post: `(?![${WORD}-]|:[^\\s])`,
    ahead: 2,
    validate: emailValid,
    positives: [
      plain((r) => `${r.lower(6)}.${r.lower(5)}@example-corp.com`),
      (r) => {
        const secret = `${r.lower(5)}+tag@mail.${r.lower(6)}.co.uk`;
        return { text: `To: "Jo" <${secret}>`, secret };
      },
      (r) => {
        const secret = `j\u00f6rg.${r.lower(4)}@b\u00fccher.de`;
        return { text: `Kontakt: ${secret}`, secret };
      },
      (r) => {
        const secret = `${r.lower(6)}%40example.org`;
        return { text: `GET /invite?email=${secret}&ref=1 HTTP/1.1`, secret };
      },
    ],
    negatives: [
      'git@github.com:org/repo.git',
      'icon@2x.png',
      'npm install @scope/pkg@1.2.3',
      'ssh deploy@10.0.0.5',
      'alice@host:~$ ',
      'https://registry.npmjs.org/%40scope%2fpkg',
      '\u8054\u7cfb\uff1a',
      'docker pull nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    ],
  }),
  scan({
    id: 'credit-card',
    category: 'pii',
    description:
      'Payment card numbers (13–19 digits, optionally grouped by spaces or dashes) with a card scheme prefix and a valid Luhn check digit.',
    pattern:
      '(?<![A-Za-z0-9_.])(?:[0-9]{13,19}|[0-9]{4}([ -])[0-9]{4}\\1[0-9]{4}\\1[0-9]{1,4}(?:\\1[0-9]{1,3})?|[0-9]{4}([ -])[0-9]{6}\\2[0-9]{4,5})(?![A-Za-z0-9_])',
    maxLength: 23,
    charset: /[0-9 -]/,
    seed: {
      // every card scheme starts with 2 to 6 (cardSchemeValid): a timestamp in milliseconds
      // or nanoseconds since 1970 (`17…`, 13 and 19 digits) is no start
      first: /[2-6]/,
      notAfter: /[A-Za-z0-9_.]/,
      run: /[0-9]/,
      min: 4,
      accept: (n, next) => n >= 13 || (n === 4 && (next === 32 || next === 45)),
      // every form begins with 4 digits, a digit or separator, then 4 more digits
      shape: [/[0-9]/, /[0-9]/, /[0-9]/, /[0-9 -]/, /[0-9]/, /[0-9]/, /[0-9]/, /[0-9]/],
    },
    validate: (secret) => {
      const digits = secret.replace(/[ -]/g, '');
      return luhnValid(digits) && cardSchemeValid(digits);
    },
    positives: [
      plain((r) => withLuhnDigit('4' + r.digits(14))),
      plain((r) => {
        const n = withLuhnDigit('5' + String(1 + r.int(5)) + r.digits(13));
        return `${n.slice(0, 4)} ${n.slice(4, 8)} ${n.slice(8, 12)} ${n.slice(12)}`;
      }),
      plain((r) => {
        const n = withLuhnDigit('37' + r.digits(12));
        return `${n.slice(0, 4)}-${n.slice(4, 10)}-${n.slice(10)}`;
      }),
    ],
    negatives: [
      '4111 1111 1111 1112',
      '1705312200123',
      '1234-5678-9012-3456',
      'order 0000000000000000',
      '3.14159265358979323',
    ],
  }),
  scan({
    id: 'iban',
    category: 'pii',
    description:
      'International bank account numbers with the country’s registered length and a valid mod-97 check.',
    pattern:
      '(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?:(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?|[A-Z0-9]{11,30})(?![A-Za-z0-9])',
    maxLength: 43,
    charset: /[A-Z0-9 ]/,
    seed: {
      first: /[A-Z]/,
      notAfter: /[A-Za-z0-9]/,
      run: /[A-Z0-9]/,
      min: 4,
      accept: (n, next) => n >= 15 || (n === 4 && next === 32),
      // two letters, then two check digits
      shape: [/[A-Z]/, /[0-9]/, /[0-9]/],
    },
    validate: (secret) => ibanValid(secret.replace(/ /g, '')),
    positives: [
      plain((r) => ibanFor(r, 'DE', 18)),
      plain((r) => ibanFor(r, 'NL', 14)),
      plain((r) => ibanFor(r, 'FR', 23).replace(/(.{4})(?=.)/g, '$1 ')),
    ],
    negatives: ['DE89 3704 0044 0532 0130 01', 'AB12 CDEF GHIJ KLMN', 'SHA256 ABCD'],
  }),
  scan({
    id: 'us-ssn',
    category: 'pii',
    description:
      'US social security numbers written AAA-GG-SSSS, excluding never-issued areas (000, 666, 9xx), group 00 and serial 0000.',
    pattern: '(?<![A-Za-z0-9_-])(?!000|666|9)[0-9]{3}-(?!00)[0-9]{2}-(?!0000)[0-9]{4}(?![A-Za-z0-9_-])',
    maxLength: 11,
    charset: /[0-9-]/,
    seed: {
      first: /[0-9]/,
      notAfter: /[A-Za-z0-9_-]/,
      run: /[0-9]/,
      min: 3,
      accept: (n, next) => n === 3 && next === 45,
    },
    validate: (secret) => !SSN_EXAMPLES.has(secret.replace(/[ -]/g, '')),
    positives: [
      plain((r) => `${String(100 + r.int(565))}-${String(10 + r.int(89))}-${String(1000 + r.int(8999))}`),
    ],
    negatives: ['000-12-3456', '666-12-3456', '123-00-4567', '2024-01-15', '555-1234', 'e.g. 078-05-1120'],
  }),
  token({
    id: 'us-ssn-labelled',
    category: 'pii',
    description:
      'US social security numbers written without dashes (123456789, 123 45 6789) where a label says so (SSN, social security number).',
    keywords: ['ssn', 'social security', 'social_security', 'socialsecurity', 'social-security'],
    ignoreCase: true,
    pre: boundaryBefore('A-Za-z0-9'),
    body: '(?:[ _-]?(?:number|num|no\\.?|nr|#))?["\']?[ \\t]{0,4}[:=#]?[ \\t]{0,4}["\']?(?<secret>(?!000|666|9)[0-9]{3}(?<gap>[ ]?)(?!00)[0-9]{2}\\k<gap>(?!0000)[0-9]{4})(?![0-9-])',
    bodyMax: 10 + 2 + 10 + 2 + 11,
    secretInBody: true,
    charset: /[0-9 :=#"'A-Za-z_.-]/,
    validate: (secret) => !SSN_EXAMPLES.has(secret.replace(/[ -]/g, '')),
    post: '',
    positives: [
      (r) => {
        const secret = `${100 + r.int(565)}${10 + r.int(89)}${1000 + r.int(8999)}`;
        return { text: `employee ssn: ${secret}`, secret };
      },
      (r) => {
        const secret = `${100 + r.int(565)} ${10 + r.int(89)} ${1000 + r.int(8999)}`;
        return { text: `{"social_security_number": "${secret}"}`, secret };
      },
    ],
    negatives: ['ssn: 000123456', 'SSN field is required', 'ssn_last4: 1234', 'assn 123456789'],
  }),
];
