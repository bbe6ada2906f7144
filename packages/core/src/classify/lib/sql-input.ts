// Texts the classifier refuses before parsing, because the parser would read something other
// than what the server reads, or would take far too long to read it. One pass over the text.

/**
 * The longest run of PostgreSQL operator characters (`~!@#^&|`?+-*\/%<>=`) accepted. The
 * scanner re-reads an operator run once per operator it splits off, and a comment opener
 * `/*` scans the whole run after it before backing up, so its cost grows with the square of a
 * run's length: 80,000 characters of `/*` take about ten seconds, during which a synchronous
 * classifier blocks every request of the process. No operator is longer than 63 characters;
 * longer runs occur only in comments and literals, and this many in a row is not ordinary SQL.
 */
export const MAX_OPERATOR_RUN = 256;

// PostgreSQL's op_chars (scan.l): ~ ! @ # ^ & | ` ? + - * / % < > =
const operatorChars = new Uint8Array(128);
for (const c of '~!@#^&|`?+-*/%<>=') operatorChars[c.charCodeAt(0)] = 1;

/**
 * Why `sql` cannot be classified as written, or undefined when it can:
 * - a NUL character: libpg-query reads a C string and would not see past it;
 * - a lone UTF-16 surrogate: the parser and the driver encode it differently (the driver sends
 *   U+FFFD), so names containing one are not the names the server sees;
 * - a run of more than {@link MAX_OPERATOR_RUN} operator characters (see there).
 */
export function unreadableText(sql: string): string | undefined {
  let run = 0;
  for (let i = 0; i < sql.length; i++) {
    const unit = sql.charCodeAt(i);
    if (unit < 128) {
      if (operatorChars[unit] === 1) {
        if (++run > MAX_OPERATOR_RUN) {
          return `the text holds more than ${MAX_OPERATOR_RUN} operator characters in a row`;
        }
        continue;
      }
      run = 0;
      if (unit === 0) return 'the text contains a NUL character';
      continue;
    }
    run = 0;
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
