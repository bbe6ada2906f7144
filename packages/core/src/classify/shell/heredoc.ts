// Here-documents the way bash reads them, to check tree-sitter-bash's reading against. bash
// removes line continuations while it reads the body of a here-document whose delimiter is
// unquoted (so `E\⏎OF` ends the body and `$\⏎(id)` runs id), strips leading tabs for `<<-` after
// joining, and removes continuations from the delimiter word itself before quote removal.
// tree-sitter-bash does none of that, so where the two readings differ the classifier says
// `unknown` or classifies the body bash would expand.

/** A here-document delimiter after bash's quote removal. */
export interface HeredocDelimiter {
  readonly text: string;
  /** Any quoting in the word: the body is then read literally (no continuations, no expansion). */
  readonly quoted: boolean;
}

/**
 * The delimiter bash takes from the word after `<<`, or `undefined` for spellings this module
 * does not model (`$'…'`, `$"…"`, an expansion-like `$`-quote).
 */
export function heredocDelimiter(word: string): HeredocDelimiter | undefined {
  let text = '';
  let quoted = false;
  for (let i = 0; i < word.length; i++) {
    const c = word.charAt(i);
    if (c === '\\') {
      const next = word.charAt(i + 1);
      i++;
      if (next === '\n') continue;
      quoted = true;
      text += next;
    } else if (c === "'") {
      const close = word.indexOf("'", i + 1);
      if (close === -1) return undefined;
      quoted = true;
      text += word.slice(i + 1, close);
      i = close;
    } else if (c === '"') {
      quoted = true;
      let j = i + 1;
      for (; j < word.length && word.charAt(j) !== '"'; j++) {
        const d = word.charAt(j);
        if (d === '\\' && '$`"\\\n'.includes(word.charAt(j + 1))) {
          j++;
          if (word.charAt(j) !== '\n') text += word.charAt(j);
        } else {
          text += d;
        }
      }
      if (j >= word.length) return undefined;
      i = j;
    } else if (c === '$' && (word.charAt(i + 1) === "'" || word.charAt(i + 1) === '"')) {
      return undefined;
    } else {
      text += c;
    }
  }
  return { text, quoted };
}

/** A body as bash reads it. */
export interface HeredocBody {
  /** The text bash expands (unquoted) or passes on (quoted): lines joined and tabs stripped. */
  readonly text: string;
  /** Where the delimiter line ends in the source (its last character + 1), or the source length. */
  readonly end: number;
  /** Whether bash met the delimiter (otherwise the body runs to the end of the input). */
  readonly terminated: boolean;
}

/**
 * Reads a here-document body from `start` (the start of its first line) the way bash does:
 * line by line, joining continuation lines when the delimiter is unquoted, stripping leading
 * tabs for `<<-`, until a line equal to the delimiter.
 */
export function readHeredocBody(
  source: string,
  start: number,
  delimiter: HeredocDelimiter,
  stripTabs: boolean,
): HeredocBody {
  let body = '';
  let pos = start;
  while (pos < source.length) {
    // One logical line: physical lines joined where an unescaped backslash ends one.
    let line = '';
    let p = pos;
    for (;;) {
      const nl = source.indexOf('\n', p);
      const segment = nl === -1 ? source.slice(p) : source.slice(p, nl);
      if (!delimiter.quoted && nl !== -1 && endsWithOddBackslashes(segment)) {
        line += segment.slice(0, -1);
        p = nl + 1;
        continue;
      }
      line += segment;
      p = nl === -1 ? source.length : nl;
      break;
    }
    if (stripTabs) line = line.replace(/^\t+/, '');
    if (line === delimiter.text) return { text: body, end: p, terminated: true };
    body += `${line}\n`;
    pos = p + 1;
  }
  return { text: body, end: source.length, terminated: false };
}

function endsWithOddBackslashes(text: string): boolean {
  let n = 0;
  for (let i = text.length - 1; i >= 0 && text.charAt(i) === '\\'; i--) n++;
  return n % 2 === 1;
}
