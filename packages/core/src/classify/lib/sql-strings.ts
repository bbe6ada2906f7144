// The one lexical setting that changes where statements begin and end:
// standard_conforming_strings. With it on (the default, and how libpg-query lexes), a backslash
// in '…' is an ordinary character; with it off, the server lexes every '…' like E'…', where \'
// escapes the quote. So `SELECT 'a\'' ; DROP TABLE t; --'` is one SELECT to libpg-query but a
// SELECT and a DROP to a server (or session: SET standard_conforming_strings = off) that has it
// off. The classifier therefore also reads the text the other way and keeps both readings'
// actions.
//
// Before the first place the two lexers disagree they agree, and the first disagreement is
// always a backslash inside a plain '…' literal (as the default lexer sees it). Turning that
// literal into E'…' makes the default lexer read it as the other setting would; repeating from
// there until no such literal remains yields the whole text as the other setting reads it.
import { byteToIndex } from './sql-offsets.js';
import type { SqlToken } from './sql-parser.js';

/** How many literals may be rewritten before the text is called ambiguous outright. */
const MAX_REWRITES = 256;

/**
 * The other reading of `sql`: `undefined` when both settings read it the same way, the text
 * rewritten so that the default lexer reads it as the server would with
 * standard_conforming_strings off, or `null` when that could not be worked out (fail closed).
 */
export function offSettingReading(
  sql: string,
  scan: (text: string) => readonly SqlToken[],
): string | null | undefined {
  if (!sql.includes('\\')) return undefined;
  let text = sql;
  let from = 0;
  let changed = false;
  for (let i = 0; i <= MAX_REWRITES; i++) {
    const suffix = text.slice(from);
    let tokens: readonly SqlToken[];
    try {
      tokens = scan(suffix);
    } catch {
      // Does not lex this way: a server with the setting off rejects the whole text, so this
      // reading runs nothing. (If nothing was rewritten, the default reading fails too.)
      return undefined;
    }
    const hit = tokens.find(
      (t) => t.tokenName === 'SCONST' && t.text.startsWith("'") && t.text.includes('\\'),
    );
    if (hit === undefined) return changed ? text : undefined;
    if (i === MAX_REWRITES) return null;
    const at = from + byteToIndex(suffix)(hit.start);
    // A space keeps the E from joining a preceding identifier or number (`date'…'`, `N'…'`).
    text = `${text.slice(0, at)} E${text.slice(at)}`;
    from = at + 1;
    changed = true;
  }
  return null;
}
