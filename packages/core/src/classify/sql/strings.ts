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
import { byteToIndex } from './offsets.js';
import type { SqlToken } from './parser.js';

/**
 * How many times the text may be lexed again (once per literal whose end moves) before it is
 * called ambiguous outright: each pass costs a scan of the rest of the text.
 */
const MAX_RESCANS = 64;

/**
 * How many characters all passes together may lex, as a multiple of the text's length (plus a
 * little for short texts). Each pass lexes the rest of the text, so literals whose end moves,
 * spread through a long text, would otherwise cost up to 64 lexes of it: 450 kB with ten of
 * them took 4.5 seconds. One such literal anywhere fits; a text needing more is ambiguous.
 */
const SCAN_BUDGET_FACTOR = 3;
const SCAN_BUDGET_MINIMUM = 10_000;

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
  let rescans = 0;
  let budget = SCAN_BUDGET_FACTOR * sql.length + SCAN_BUDGET_MINIMUM;
  for (;;) {
    const suffix = text.slice(from);
    budget -= suffix.length;
    if (budget < 0) return null;
    let tokens: readonly SqlToken[];
    try {
      tokens = scan(suffix);
    } catch {
      // Does not lex this way: a server with the setting off rejects the whole text, so this
      // reading runs nothing. (If nothing was rewritten, the default reading fails too.)
      return undefined;
    }
    const index = byteToIndex(suffix);
    // Literals whose end does not move (no odd run of backslashes before a quote) leave every
    // later token where it was, so they are rewritten together; the first whose end moves is
    // rewritten last, and lexing starts again from it.
    const hits: number[] = [];
    let moved = false;
    for (const t of tokens) {
      if (t.tokenName !== 'SCONST' || !t.text.startsWith("'") || !t.text.includes('\\')) continue;
      hits.push(from + index(t.start));
      if (ESCAPED_QUOTE.test(t.text)) {
        moved = true;
        break;
      }
    }
    if (hits.length === 0) return changed ? text : undefined;
    if (++rescans > MAX_RESCANS) return null;
    // A space keeps the E from joining a preceding identifier or number (`date'…'`, `N'…'`).
    const pieces: string[] = [];
    let last = 0;
    for (const at of hits) {
      pieces.push(text.slice(last, at), ' E');
      last = at;
    }
    pieces.push(text.slice(last));
    text = pieces.join('');
    changed = true;
    if (!moved) return text;
    // Start again at the E of the last literal rewritten, which sits two characters further on
    // for each literal rewritten before it.
    from = (hits.at(-1) ?? 0) + 2 * (hits.length - 1) + 1;
  }
}

// An odd number of backslashes before a quote: with the setting off, that quote is escaped.
const ESCAPED_QUOTE = /(?<!\\)(?:\\\\)*\\'/;
