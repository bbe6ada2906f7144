/* eslint-disable no-control-regex -- matching control characters is what this file is for */
// Text from a recording is written by whoever made the requests. Shown raw in a terminal, a
// control character in it can erase or rewrite what the auditor reads (CR, cursor moves),
// recolour or hide text (SGR), set the clipboard or window title (OSC 52, OSC 0), or make the
// terminal answer on its input (status reports); bidirectional overrides reorder what is read
// (CVE-2021-42574, "Trojan Source"). So every such character is shown as an escape.

/** Options of {@link escapeTerminalText}. */
export interface EscapeTerminalTextOptions {
  /** Keep `\n` and `\t` as they are (default false: they are escaped too, for one-line fields). */
  readonly multiline?: boolean;
}

// C0 controls, DEL, C1 controls, the bidi marks/embeddings/overrides/isolates, and the Unicode
// line and paragraph separators (some terminals and most editors break lines at them).
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
const UNSAFE_KEEPING_LINES =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

const SHORT: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(c: string): string {
  return SHORT[c] ?? `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;
}

/**
 * Makes text safe to show in a terminal: every C0 and C1 control character, DEL, bidirectional
 * control and line/paragraph separator becomes a visible escape (`\r`, `\u001b`, `\u202e`), so
 * the text cannot move the cursor, erase, recolour, retitle, reach the clipboard or reorder what
 * is read. Printable text, including non-ASCII, is unchanged. A literal backslash is not
 * doubled, so `\u001b` typed as text and an escaped ESC look alike; neither does anything.
 *
 * @example
 * ```ts
 * escapeTerminalText('DROP TABLE t;\r\u001b[2KSELECT 1'); // 'DROP TABLE t;\\r\\u001b[2KSELECT 1'
 * escapeTerminalText('line 1\nline 2', { multiline: true }); // newline kept
 * ```
 */
export function escapeTerminalText(text: string, options: EscapeTerminalTextOptions = {}): string {
  return text.replace(options.multiline === true ? UNSAFE_KEEPING_LINES : UNSAFE, escapeOne);
}

/**
 * `JSON.stringify` for terminals: JSON already escapes C0 controls, but not DEL, C1 controls or
 * bidi overrides; those are written as `\uXXXX` escapes too, which is still the same JSON.
 *
 * @example
 * ```ts
 * process.stdout.write(terminalSafeJson(report, 2) + '\n');
 * ```
 */
export function terminalSafeJson(value: unknown, indent?: number): string {
  // Structural newlines of indented JSON stay; newlines inside strings are already `\n`.
  return ((JSON.stringify(value, null, indent) as string | undefined) ?? 'null').replace(
    UNSAFE_KEEPING_LINES,
    escapeOne,
  );
}
