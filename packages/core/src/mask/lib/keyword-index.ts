// The prefilter: one pass of a literal alternation (case-sensitive keywords and, separately,
// case-insensitive ones) finds every position where some detector's keyword starts. Only
// there does any detector pattern run.

interface Entry {
  readonly keyword: string;
  /** Lower-cased keyword for case-insensitive entries. */
  readonly folded: string;
  readonly ignoreCase: boolean;
  /** Indexes of the detectors that own this keyword. */
  readonly owners: number[];
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

// A regex source matching any of `words`, shaped as a trie (`A(?:KIA|SIA)|sk-`) so the regex
// engine rejects most positions after one character. It stops at the shortest word on a path:
// the scanner only needs where some keyword starts, then checks them all there.
function trieSource(words: readonly string[]): string {
  const groups = new Map<string, string[]>();
  for (const w of words) {
    if (w.length === 0) return '';
    const head = w.charAt(0);
    const list = groups.get(head);
    if (list === undefined) groups.set(head, [w.slice(1)]);
    else list.push(w.slice(1));
  }
  const parts: string[] = [];
  for (const [head, rests] of groups) {
    const rest = rests.some((r) => r.length === 0) ? '' : trieSource(rests);
    const single = rests.length === 1 || rest === '' ? rest : `(?:${rest})`;
    parts.push(escapeRegExp(head) + (rests.length === 1 ? escapeRegExp(rests[0] ?? '') : single));
  }
  return parts.join('|');
}
const fold = (code: number): number => (code >= 65 && code <= 90 ? code | 0x20 : code);

/** Called for each keyword occurrence: position in the scanned text, owners, keyword length. */
export type KeywordHit = (position: number, owners: readonly number[], length: number) => void;

/** Finds keyword occurrences in a text. Built once per masker. */
export class KeywordIndex {
  /** The longest keyword, in characters. */
  readonly maxLength: number;
  private readonly exact: readonly RegExp[];
  private readonly folded: RegExp | undefined;
  // Entries by the (folded) code of their first character.
  private readonly exactBuckets = new Map<number, Entry[]>();
  private readonly foldedBuckets = new Map<number, Entry[]>();

  constructor(
    keywords: readonly { readonly keyword: string; readonly ignoreCase: boolean; readonly owner: number }[],
  ) {
    const entries = new Map<string, Entry>();
    for (const { keyword, ignoreCase, owner } of keywords) {
      if (keyword.length === 0) throw new TypeError('empty keyword');
      const id = `${ignoreCase ? 'i' : 'c'}:${ignoreCase ? keyword.toLowerCase() : keyword}`;
      let entry = entries.get(id);
      if (entry === undefined) {
        entry = { keyword, folded: keyword.toLowerCase(), ignoreCase, owners: [] };
        entries.set(id, entry);
      }
      if (!entry.owners.includes(owner)) entry.owners.push(owner);
    }
    const all = [...entries.values()];
    this.maxLength = Math.max(1, ...all.map((e) => e.keyword.length));
    const build = (list: Entry[], flags: string): RegExp | undefined =>
      list.length === 0
        ? undefined
        : new RegExp(trieSource(list.map((e) => (e.ignoreCase ? e.folded : e.keyword))), flags);
    const exact = all.filter((e) => !e.ignoreCase);
    const folded = all.filter((e) => e.ignoreCase);
    // Two alternations (keywords starting with a lower-case letter, and the rest) scan several
    // times faster than one: each has fewer possible first characters to try at a position.
    const lowerStart = exact.filter((e) => /^[a-z]/.test(e.keyword));
    const otherStart = exact.filter((e) => !/^[a-z]/.test(e.keyword));
    this.exact = [build(lowerStart, 'g'), build(otherStart, 'g')].filter((re) => re !== undefined);
    this.folded = build(folded, 'gi');
    for (const e of exact) push(this.exactBuckets, e.keyword.charCodeAt(0), e);
    for (const e of folded) push(this.foldedBuckets, fold(e.folded.charCodeAt(0)), e);
  }

  /** Reports every keyword occurrence that starts in [from, to) and ends within `text`. */
  scan(text: string, from: number, to: number, onHit: KeywordHit): void {
    for (const re of this.exact) this.run(re, this.exactBuckets, false, text, from, to, onHit);
    if (this.folded !== undefined) this.run(this.folded, this.foldedBuckets, true, text, from, to, onHit);
  }

  /** Whether any keyword occurs anywhere in `text`. */
  occursIn(text: string): boolean {
    for (const re of this.exact) {
      re.lastIndex = 0;
      if (re.test(text)) return true;
    }
    if (this.folded !== undefined) {
      this.folded.lastIndex = 0;
      if (this.folded.test(text)) return true;
    }
    return false;
  }

  /**
   * Whether a keyword longer than what remains could start at `position`: `text` from there
   * to its end is a proper prefix of some keyword.
   */
  partialAt(text: string, position: number): boolean {
    const rest = text.length - position;
    const first = text.charCodeAt(position);
    const check = (list: Entry[] | undefined, ignoreCase: boolean): boolean => {
      if (list === undefined) return false;
      for (const e of list) {
        if (e.keyword.length <= rest) continue;
        if (matchesAt(text, position, e, rest, ignoreCase)) return true;
      }
      return false;
    };
    return check(this.exactBuckets.get(first), false) || check(this.foldedBuckets.get(fold(first)), true);
  }

  private run(
    re: RegExp,
    buckets: Map<number, Entry[]>,
    ignoreCase: boolean,
    text: string,
    from: number,
    to: number,
    onHit: KeywordHit,
  ): void {
    re.lastIndex = from;
    for (;;) {
      const m = re.exec(text);
      if (m === null || m.index >= to) return;
      const p = m.index;
      const first = text.charCodeAt(p);
      const list = buckets.get(ignoreCase ? fold(first) : first);
      if (list !== undefined) {
        for (const e of list) {
          if (p + e.keyword.length <= text.length && matchesAt(text, p, e, e.keyword.length, ignoreCase)) {
            onHit(p, e.owners, e.keyword.length);
          }
        }
      }
      // Step one character, not past the match, so overlapping keywords are all seen.
      re.lastIndex = p + 1;
    }
  }
}

function push(map: Map<number, Entry[]>, key: number, entry: Entry): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [entry]);
  else list.push(entry);
}

function matchesAt(text: string, p: number, e: Entry, n: number, ignoreCase: boolean): boolean {
  if (!ignoreCase) {
    for (let i = 0; i < n; i++) if (text.charCodeAt(p + i) !== e.keyword.charCodeAt(i)) return false;
    return true;
  }
  for (let i = 0; i < n; i++) if (fold(text.charCodeAt(p + i)) !== e.folded.charCodeAt(i)) return false;
  return true;
}
