// Quote removal, brace expansion and glob detection on tree-sitter-bash word nodes: what a word
// becomes in argv before the shell runs anything. Private to the shell classifier.
import type { Node } from 'web-tree-sitter';

/**
 * One argv word. `literal` words are the exact text bash would pass after quote removal (and
 * brace expansion); other words contain an expansion and keep their source text.
 */
export interface ShellWord {
  readonly text: string;
  readonly literal: boolean;
  /** An unquoted `*`, `?` or `[` is left: pathname expansion may turn it into other words. */
  readonly glob: boolean;
  /**
   * Whatever the word expands to at run time, it is one or more non-empty words none of which
   * starts with `-` or `+`: its first character is fixed text, and any expansion in it is
   * double-quoted (no word splitting). A word that is not literal can then still be told from an
   * option (`printf "go: $(which go)"`, `cp dist/* /srv/`).
   */
  readonly notOption?: boolean;
  /** Brace expansion would take more words or work than the classifier allows: unresolvable. */
  readonly overflow?: boolean;
  /**
   * A word that is not literal but is known to name paths under these directories (find's `{}`:
   * the files it found under its starting points). Writing it writes inside them.
   */
  readonly within?: readonly string[];
}

/** One character after quote removal, remembering whether it was quoted (or escaped). */
interface Char {
  readonly c: string;
  readonly q: boolean;
}

/** The most words one brace expression may produce before the word counts as unresolvable. */
const MAX_BRACE_WORDS = 256;

/**
 * The argv words one argument node becomes. A literal word may become several through brace
 * expansion (`{-rf,/}` → `-rf`, `/`); a word with any expansion stays one word of source text.
 */
export function wordsOf(node: Node): ShellWord[] {
  return wordsOfParts([node]);
}

/**
 * The argv words of several nodes that touch in the source and so form one shell word.
 * tree-sitter-bash sometimes splits such a word (`"/"\-` is a string then a word); bash
 * does not.
 */
export function wordsOfParts(nodes: readonly Node[]): ShellWord[] {
  const source = nodes.map((n) => n.text).join('');
  const chars: Char[] = [];
  for (const node of nodes) {
    const part = literalChars(node);
    if (part === undefined) {
      // Only wrappers' option parsing asks, so the tree is only walked for it then.
      let notOption: boolean | undefined;
      const word: ShellWord = {
        text: source,
        literal: false,
        glob: false,
        get notOption() {
          notOption ??= fixedStart(nodes) && !splits(nodes);
          return notOption;
        },
      };
      return [word];
    }
    chars.push(...part);
  }
  const expanded = braceExpand(chars, { left: BRACE_BUDGET });
  if (expanded === undefined) return [{ text: source, literal: false, glob: false, overflow: true }];
  return expanded.map((w) => {
    const first = w[0];
    return {
      text: w.map((ch) => ch.c).join(''),
      literal: true,
      glob: w.some(isGlobChar),
      notOption: first !== undefined && !isGlobChar(first) && first.c !== '-' && first.c !== '+',
    };
  });
}

function isGlobChar(ch: Char): boolean {
  return !ch.q && (ch.c === '*' || ch.c === '?' || ch.c === '[');
}

/** Whether the word's first character is fixed text other than `-`, `+` or a glob character. */
function fixedStart(nodes: readonly Node[]): boolean {
  for (const node of nodes) {
    const parts = node.type === 'concatenation' ? node.children : [node];
    for (const part of parts) {
      const chars = part.type === 'string' ? stringPrefix(part) : literalChars(part);
      if (chars === undefined) return false;
      const first = chars[0];
      if (first === undefined) {
        // An empty literal (`''`) or a string that starts with an expansion.
        if (part.type === 'string' && part.namedChildren[0]?.type !== 'string_content') return false;
        continue;
      }
      return !isGlobChar(first) && first.c !== '-' && first.c !== '+';
    }
  }
  return false;
}

/** The fixed text a double-quoted string starts with (before its first expansion). */
function stringPrefix(node: Node): Char[] | undefined {
  const first = node.namedChildren[0];
  if (first === undefined) return [];
  if (first.type !== 'string_content') return [];
  return quoted(unescapeDoubleQuoted(first.text));
}

/** Unquoted expansions in a word are split into several words at run time. */
function splits(nodes: readonly Node[]): boolean {
  for (const node of nodes) {
    const parts = node.type === 'concatenation' ? node.children : [node];
    for (const part of parts) {
      if (SPLIT_EXPANSIONS.has(part.type)) return true;
    }
  }
  return false;
}

const SPLIT_EXPANSIONS: ReadonlySet<string> = new Set([
  'simple_expansion',
  'expansion',
  'command_substitution',
  'arithmetic_expansion',
  'process_substitution',
  'brace_expression',
]);

/**
 * The literal value of a word node after quote removal, without brace expansion (assignment
 * values and heredoc delimiters are not brace-expanded), or `undefined` when it has expansions.
 */
export function literalValue(node: Node): string | undefined {
  const chars = literalChars(node);
  return chars?.map((ch) => ch.c).join('');
}

function literalChars(node: Node): Char[] | undefined {
  switch (node.type) {
    case 'word':
    case 'number':
    case 'brace_expression':
      return unquotedChars(node.text);
    case 'raw_string':
      return quoted(node.text.slice(1, -1));
    case 'ansi_c_string':
      return quoted(decodeAnsiC(node.text.slice(2, -1)));
    case 'string':
      return stringChars(node, node.text.slice(1, -1));
    case 'translated_string': {
      const inner = node.namedChildren[0];
      return inner?.type === 'string' && node.namedChildCount === 1
        ? stringChars(inner, inner.text.slice(1, -1))
        : undefined;
    }
    case 'concatenation': {
      const out: Char[] = [];
      for (const child of node.children) {
        const part = literalChars(child);
        if (part === undefined) return undefined;
        out.push(...part);
      }
      return out;
    }
    default:
      // An operator-like token the grammar keeps as its own node inside a command (`==` in
      // `test a == b`): bash reads it as a plain word.
      return node.isNamed ? undefined : unquotedChars(node.text);
  }
}

/** A double-quoted string is literal only when it holds nothing but text. */
function stringChars(node: Node, inner: string): Char[] | undefined {
  for (const child of node.namedChildren) if (child.type !== 'string_content') return undefined;
  return quoted(unescapeDoubleQuoted(inner));
}

function quoted(text: string): Char[] {
  return Array.from(text, (c) => ({ c, q: true }));
}

/** Unquoted word text: a backslash quotes the next character; backslash-newline vanishes. */
function unquotedChars(text: string): Char[] {
  const out: Char[] = [];
  const chars = Array.from(text);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] ?? '';
    if (c === '\\' && i + 1 < chars.length) {
      const next = chars[++i] ?? '';
      if (next !== '\n') out.push({ c: next, q: true });
    } else {
      out.push({ c, q: false });
    }
  }
  return out;
}

/**
 * Inside double quotes a backslash only escapes `$`, `` ` ``, `"`, `\` and newline (which
 * vanishes with it); elsewhere it stays.
 */
export function unescapeDoubleQuoted(text: string): string {
  return text.replace(/\\([$`"\\\n])/g, (_, c: string) => (c === '\n' ? '' : c));
}

/**
 * The text of an unquoted heredoc body as the shell reads it: like double quotes, but `"`
 * keeps its backslash.
 */
export function unescapeHeredoc(text: string): string {
  return text.replace(/\\([$`\\\n])/g, (_, c: string) => (c === '\n' ? '' : c));
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/**
 * Decodes the body of a `$'…'` string the way bash does. A NUL (`\0`, `\x00`, `\c@`, …) ends
 * the string's text there (bash's strings are C strings); the word goes on after the quote.
 */
export function decodeAnsiC(body: string): string {
  const decoded = decodeAnsiCEscapes(body);
  const nul = decoded.indexOf('\0');
  return nul === -1 ? decoded : decoded.slice(0, nul);
}

function decodeAnsiCEscapes(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body.charAt(i);
    if (c !== '\\' || i + 1 >= body.length) {
      out += c;
      continue;
    }
    const e = body.charAt(++i);
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
    } else if (e >= '0' && e <= '7') {
      const m = /^[0-7]{1,3}/.exec(body.slice(i))?.[0] ?? e;
      out += String.fromCharCode(parseInt(m, 8) & 0xff);
      i += m.length - 1;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const max = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const m = new RegExp(`^[0-9a-fA-F]{1,${max}}`).exec(body.slice(i + 1))?.[0];
      if (m === undefined) {
        out += `\\${e}`;
      } else {
        const code = parseInt(m, 16);
        out += code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
        i += m.length;
      }
    } else if (e === 'c' && i + 1 < body.length) {
      out += String.fromCharCode(body.charCodeAt(++i) & 0x1f);
    } else {
      out += `\\${e}`;
    }
  }
  return out;
}

/**
 * Character steps one word's brace expansion may take (scanning, copying, producing). Checked
 * before each step, so neither time nor memory can grow past it: `{a,b}` repeated thousands of
 * times, or braces nested thousands deep, give up early instead of exhausting the heap.
 */
const BRACE_BUDGET = 1 << 18;

/** What is left of a word's brace-expansion budget. */
interface Budget {
  left: number;
}

/** Spends `n` steps; `false` when the budget is exhausted. */
function spend(budget: Budget, n: number): boolean {
  budget.left -= n;
  return budget.left >= 0;
}

/**
 * Bash brace expansion over quote-aware characters: `a{b,c}d` → `abd acd`, `{1..3}`,
 * `{a..e..2}`. Quoted braces and commas are text. `undefined` when it would produce more than
 * {@link MAX_BRACE_WORDS} words or take more than the budget's steps (the word then counts as
 * unresolvable).
 */
function braceExpand(chars: readonly Char[], budget: Budget, produced = 0): Char[][] | undefined {
  for (let open = 0; open < chars.length; open++) {
    if (!isUnquoted(chars[open], '{')) continue;
    // `${` is a parameter expansion, never a brace expression.
    if (open > 0 && isUnquoted(chars[open - 1], '$')) continue;
    const close = matchingBrace(chars, open, budget);
    if (close === undefined) {
      if (budget.left < 0) return undefined;
      continue;
    }
    const alternatives = braceAlternatives(chars.slice(open + 1, close), budget);
    if (budget.left < 0) return undefined;
    if (alternatives === undefined) continue;
    const prefix = chars.slice(0, open);
    const suffix = chars.slice(close + 1);
    const out: Char[][] = [];
    for (const alt of alternatives) {
      // Each alternative copies the whole word before expanding the rest of it.
      if (!spend(budget, prefix.length + alt.length + suffix.length)) return undefined;
      const words = braceExpand([...prefix, ...alt, ...suffix], budget, produced + out.length);
      if (words === undefined) return undefined;
      out.push(...words);
      if (produced + out.length > MAX_BRACE_WORDS) return undefined;
    }
    return out;
  }
  return spend(budget, chars.length) ? [chars.slice()] : undefined;
}

function isUnquoted(ch: Char | undefined, c: string): boolean {
  return ch !== undefined && !ch.q && ch.c === c;
}

function matchingBrace(chars: readonly Char[], open: number, budget: Budget): number | undefined {
  let depth = 0;
  for (let i = open; i < chars.length; i++) {
    if (isUnquoted(chars[i], '{')) depth++;
    else if (isUnquoted(chars[i], '}') && --depth === 0) {
      spend(budget, i - open);
      return i;
    }
  }
  spend(budget, chars.length - open);
  return undefined;
}

/** The alternatives of a brace body (`a,b` or a sequence), or `undefined` if it is plain text. */
function braceAlternatives(body: readonly Char[], budget: Budget): Char[][] | undefined {
  if (!spend(budget, body.length)) return undefined;
  const parts: Char[][] = [];
  let current: Char[] = [];
  let depth = 0;
  for (const ch of body) {
    if (isUnquoted(ch, '{')) depth++;
    else if (isUnquoted(ch, '}')) depth--;
    if (depth === 0 && isUnquoted(ch, ',')) {
      parts.push(current);
      current = [];
    } else {
      current.push(ch);
    }
  }
  parts.push(current);
  if (parts.length > 1) return parts;
  if (body.some((ch) => ch.q)) return undefined;
  return sequence(body.map((ch) => ch.c).join(''));
}

function sequence(text: string): Char[][] | undefined {
  const m = /^(-?\d+|[a-zA-Z])\.\.(-?\d+|[a-zA-Z])(?:\.\.(-?\d+))?$/.exec(text);
  if (m === null) return undefined;
  const [, from, to, stepText] = m as unknown as [string, string, string, string | undefined];
  const numeric = /\d/.test(from);
  if (numeric !== /\d/.test(to)) return undefined;
  const a = numeric ? parseInt(from, 10) : from.charCodeAt(0);
  const b = numeric ? parseInt(to, 10) : to.charCodeAt(0);
  const step = Math.abs(stepText === undefined ? 1 : parseInt(stepText, 10)) || 1;
  const width = numeric && (/^-?0\d/.test(from) || /^-?0\d/.test(to)) ? Math.max(from.length, to.length) : 0;
  const out: Char[][] = [];
  // Past the limit the caller gives up on the word, so one extra alternative is enough to say so.
  for (let v = a; (a <= b ? v <= b : v >= b) && out.length <= MAX_BRACE_WORDS; v += a <= b ? step : -step) {
    const text = numeric ? pad(v, width) : String.fromCharCode(v);
    out.push(Array.from(text, (c) => ({ c, q: true })));
  }
  return out;
}

function pad(v: number, width: number): string {
  const digits = String(Math.abs(v)).padStart(width - (v < 0 ? 1 : 0), '0');
  return v < 0 ? `-${digits}` : digits;
}

/** Control characters (C0, DEL, C1) and Unicode line and paragraph separators. */
function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
}

/**
 * An argv word as it appears in a resource. A word holding a control character is shown the way
 * bash would quote it, `$'…'` with escapes, so no resource ever holds a newline or another control
 * character: a policy glob's `*` cannot run from one argument into what looks like a second
 * command line, and an approver's terminal shows what is there. A word that already starts with
 * `$'` is shown quoted too, so the two spellings never meet.
 */
export function displayWord(text: string): string {
  let plain = !text.startsWith("$'");
  for (let i = 0; plain && i < text.length; i++) plain = !isControl(text.charCodeAt(i));
  if (plain) return text;
  let out = "$'";
  for (const c of text) {
    const code = c.codePointAt(0) ?? 0;
    if (c === '\\' || c === "'") out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\r') out += '\\r';
    else if (isControl(code))
      out += code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
    else out += c;
  }
  return `${out}'`;
}
