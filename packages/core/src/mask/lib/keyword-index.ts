// The prefilter: one pass of an Aho-Corasick automaton over the text finds every position where
// some detector's keyword starts, for all keywords at once (case-sensitive ones are matched
// case-folded, then checked exactly). Only there does any detector pattern run.

/** One keyword of the automaton, with the detectors that own it. */
export interface KeywordEntry {
  readonly keyword: string;
  /** Lower-cased keyword for case-insensitive entries. */
  readonly folded: string;
  readonly ignoreCase: boolean;
  /** Indexes of the detectors that own this keyword. */
  readonly owners: number[];
}

const fold = (code: number): number => (code >= 65 && code <= 90 ? code | 0x20 : code);

/** Called for each keyword occurrence: position in the scanned text, owners, keyword length. */
export type KeywordHit = (position: number, owners: readonly number[], length: number) => void;

/** Finds keyword occurrences in a text. Built once per masker. */
export class KeywordIndex {
  /** The longest keyword, in characters. */
  readonly maxLength: number;
  // The automaton: characters map to classes (a character and its case-folded form share one;
  // characters in no keyword are class 0), states × classes give the next state, and each
  // state lists the keywords that end there (its own and those of its failure chain). Read
  // by the candidate index (candidate-index.ts), which walks it beside the seed pre-pass.
  readonly classOf: Uint16Array;
  readonly classes: number;
  readonly next: Int32Array;
  readonly outputs: readonly (readonly KeywordEntry[] | undefined)[];
  // Entries by the (folded) code of their first character, for partialAt.
  private readonly exactBuckets = new Map<number, KeywordEntry[]>();
  private readonly foldedBuckets = new Map<number, KeywordEntry[]>();

  constructor(
    keywords: readonly { readonly keyword: string; readonly ignoreCase: boolean; readonly owner: number }[],
  ) {
    const entries = new Map<string, KeywordEntry>();
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
    for (const e of all) {
      if (e.ignoreCase) push(this.foldedBuckets, fold(e.folded.charCodeAt(0)), e);
      else push(this.exactBuckets, e.keyword.charCodeAt(0), e);
    }

    // Character classes over the folded keywords.
    this.classOf = new Uint16Array(65536);
    let classes = 1;
    for (const e of all) {
      for (let i = 0; i < e.folded.length; i++) {
        const lower = e.folded.charCodeAt(i);
        if (this.classOf[lower] !== 0) continue;
        const cls = classes++;
        this.classOf[lower] = cls;
        const upper = String.fromCharCode(lower).toUpperCase();
        if (upper.length === 1 && this.classOf[upper.charCodeAt(0)] === 0)
          this.classOf[upper.charCodeAt(0)] = cls;
      }
    }
    this.classes = classes;

    // The trie, then failure links breadth-first, resolved into a full transition table.
    const goto: Map<number, number>[] = [new Map<number, number>()];
    const own: KeywordEntry[][] = [[]];
    for (const e of all) {
      let state = 0;
      for (let i = 0; i < e.folded.length; i++) {
        const cls = this.classOf[e.folded.charCodeAt(i)] ?? 0;
        let to = goto[state]?.get(cls);
        if (to === undefined) {
          to = goto.length;
          goto.push(new Map<number, number>());
          own.push([]);
          goto[state]?.set(cls, to);
        }
        state = to;
      }
      own[state]?.push(e);
    }
    const next = new Int32Array(goto.length * classes);
    const fail = new Int32Array(goto.length);
    const outputs: (KeywordEntry[] | undefined)[] = new Array<KeywordEntry[] | undefined>(goto.length);
    const queue: number[] = [];
    for (const [cls, to] of goto[0] ?? []) {
      next[cls] = to;
      queue.push(to);
    }
    outputs[0] = undefined;
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] ?? 0;
      const f = fail[state] ?? 0;
      const list = [...(own[state] ?? []), ...(outputs[f] ?? [])];
      outputs[state] = list.length === 0 ? undefined : list;
      for (let cls = 0; cls < classes; cls++) {
        const to = goto[state]?.get(cls);
        if (to === undefined) {
          next[state * classes + cls] = next[f * classes + cls] ?? 0;
        } else {
          next[state * classes + cls] = to;
          fail[to] = next[f * classes + cls] ?? 0;
          queue.push(to);
        }
      }
    }
    this.next = next;
    this.outputs = outputs;
  }

  /** Reports every keyword occurrence that starts in [from, to) and ends within `text`. */
  scan(text: string, from: number, to: number, onHit: KeywordHit): void {
    const { classOf, classes, next, outputs } = this;
    const stop = Math.min(text.length, to + this.maxLength - 1);
    let state = 0;
    for (let i = from; i < stop; i++) {
      state = next[state * classes + (classOf[text.charCodeAt(i)] ?? 0)] ?? 0;
      const out = outputs[state];
      if (out === undefined) continue;
      for (const e of out) {
        const p = i + 1 - e.keyword.length;
        if (p < from || p >= to) continue;
        if (
          e.ignoreCase
            ? matchesAt(text, p, e, e.keyword.length, true)
            : matchesAt(text, p, e, e.keyword.length, false)
        ) {
          onHit(p, e.owners, e.keyword.length);
        }
      }
    }
  }

  /**
   * Whether a keyword longer than what remains could start at `position`: `text` from there
   * to its end is a proper prefix of some keyword.
   */
  partialAt(text: string, position: number): boolean {
    const rest = text.length - position;
    const first = text.charCodeAt(position);
    const check = (list: KeywordEntry[] | undefined, ignoreCase: boolean): boolean => {
      if (list === undefined) return false;
      for (const e of list) {
        if (e.keyword.length <= rest) continue;
        if (matchesAt(text, position, e, rest, ignoreCase)) return true;
      }
      return false;
    };
    return check(this.exactBuckets.get(first), false) || check(this.foldedBuckets.get(fold(first)), true);
  }
}

function push(map: Map<number, KeywordEntry[]>, key: number, entry: KeywordEntry): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [entry]);
  else list.push(entry);
}

/** Whether the keyword of `e` occurs at `p` in `text` (folded when it ignores case). */
export function keywordAt(text: string, p: number, e: KeywordEntry): boolean {
  return matchesAt(text, p, e, e.keyword.length, e.ignoreCase);
}

function matchesAt(text: string, p: number, e: KeywordEntry, n: number, ignoreCase: boolean): boolean {
  if (!ignoreCase) {
    for (let i = 0; i < n; i++) if (text.charCodeAt(p + i) !== e.keyword.charCodeAt(i)) return false;
    return true;
  }
  for (let i = 0; i < n; i++) if (fold(text.charCodeAt(p + i)) !== e.folded.charCodeAt(i)) return false;
  return true;
}
