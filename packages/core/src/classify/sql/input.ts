// Texts the classifier refuses before parsing, because the parser would read something other
// than what the server reads, or would take far too long to read it. One pass over the text.
//
// PostgreSQL's scanner (scan.l, which libpg-query runs) is quadratic in two shapes of operator
// characters, and the classifier is synchronous, so a few tens of kilobytes of either would
// block every request of the process for seconds (80,000 characters of `/*` take ten):
// - an operator ending in `+` or `-` is trimmed back one character at a time and the rest read
//   again, so a run of `+`/`-` (`1 +-+-+-… 1`) costs the square of its length;
// - a comment opener `/*` first matches every operator character after it, then backs up to
//   two, so a run holding many openers (`/*/*/*…`, nested) costs openers × run length.
// Every other run of operator characters is read once (and one longer than 63 is an error).

/** The longest run of `+` and `-` (without `--`, which starts a comment) accepted. */
export const MAX_SIGN_RUN = 256;

/** The most comment openers (`/*`) accepted in one run of operator characters. */
export const MAX_COMMENT_OPENERS = 128;

// PostgreSQL's op_chars (scan.l): ~ ! @ # ^ & | ` ? + - * / % < > =
const operatorChars = new Uint8Array(128);
for (const c of '~!@#^&|`?+-*/%<>=') operatorChars[c.charCodeAt(0)] = 1;

// Any NUL or UTF-16 surrogate (a pair too: the loop tells pairs from lone ones).
const surrogateOrNul = /[\0\ud800-\udfff]/;
// A run of operator characters long enough for either limit.
const longOperatorRun = new RegExp(
  `[~!@#^&|\`?+\\-*/%<>=]{${Math.min(MAX_SIGN_RUN + 1, 2 * MAX_COMMENT_OPENERS + 2)}}`,
);

const PLUS = 0x2b;
const MINUS = 0x2d;
const SLASH = 0x2f;
const STAR = 0x2a;

/**
 * Why `sql` cannot be classified as written, or undefined when it can:
 * - a NUL character: libpg-query reads a C string and would not see past it;
 * - a lone UTF-16 surrogate: the parser and the driver encode it differently (the driver sends
 *   U+FFFD), so names containing one are not the names the server sees;
 * - more than {@link MAX_SIGN_RUN} `+`/`-` in a row, or more than {@link MAX_COMMENT_OPENERS}
 *   `/*` in one run of operator characters (see above). Such runs could only be ordinary in a
 *   literal or comment, and even there they are not.
 */
export function unreadableText(sql: string): string | undefined {
  // Nearly every text has none of these: two native scans say so faster than the loop below.
  // Without a run of 257 operator characters neither limit can be passed (a run of n holds at
  // most n signs in a row and n / 2 openers), so only a NUL or a surrogate needs the loop.
  if (!surrogateOrNul.test(sql) && !longOperatorRun.test(sql)) return undefined;
  let signs = 0;
  let openers = 0;
  let previous = 0;
  for (let i = 0; i < sql.length; i++) {
    const unit = sql.charCodeAt(i);
    if (unit < 128 && operatorChars[unit] === 1) {
      if (unit === PLUS || unit === MINUS) {
        signs = unit === MINUS && previous === MINUS ? 0 : signs + 1;
        if (signs > MAX_SIGN_RUN) return `the text holds more than ${MAX_SIGN_RUN} + and - in a row`;
      } else {
        signs = 0;
      }
      if (unit === STAR && previous === SLASH && ++openers > MAX_COMMENT_OPENERS) {
        return `the text holds more than ${MAX_COMMENT_OPENERS} comment openers in one run of operator characters`;
      }
      previous = unit;
      continue;
    }
    signs = 0;
    openers = 0;
    previous = 0;
    if (unit === 0) return 'the text contains a NUL character';
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = sql.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return 'the text contains a lone UTF-16 surrogate';
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) return 'the text contains a lone UTF-16 surrogate';
  }
  return undefined;
}
