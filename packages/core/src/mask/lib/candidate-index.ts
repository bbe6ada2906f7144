// One walk over the text for both prefilters: each character steps the keyword automaton
// (keyword-index.ts) and is tested as a possible start of a scan detector's match
// (seed-index.ts). It reports exactly what the two separate scans report; walking once reads
// each character once, and the automaton's table is laid out for that walk: states are
// numbered so that those where some keyword ends come last, and each is stored multiplied by
// the number of character classes, so a step is one load and most steps need no other test.
import { Buffer } from 'node:buffer';
import type { KeywordEntry, KeywordHit, KeywordIndex } from './keyword-index.js';
import { keywordAt } from './keyword-index.js';
import type { SeedHit, SeedIndex } from './seed-index.js';
import { AHEAD } from './seed-index.js';

/** Characters walked between two looks at what the walk noted. */
const BLOCK = 4096;

/** Finds keyword occurrences and possible scan starts in one pass. Built once per masker. */
// occursIn's answer, set by a callback made once (a closure per call costs more than the scan of
// a short value). Scans are synchronous and never start another scan, so one flag serves all.
let occurred = false;
const noteOccurrence = (): void => {
  occurred = true;
};

// Up to this many code units, a block is copied with charCodeAt rather than Buffer#write.
const SHORT_COPY = 64;

export class CandidateIndex {
  /** The longest keyword, in characters. */
  readonly maxLength: number;
  private readonly classOf: Uint16Array;
  /** By state (times the class count), then class: the next state (times the class count). */
  private readonly next: Int32Array;
  /** States (times the class count) at or past this one end a keyword. */
  private readonly outBase: number;
  private readonly classes: number;
  /** By state number past `outBase / classes`: the keywords that end there. */
  private readonly outputs: readonly (readonly KeywordEntry[])[];
  // What one block of the walk noted: where a keyword ends and the state there; where a scan
  // detector may start and which ones. Reused: a scan finishes with them before it returns,
  // and the callbacks never scan.
  private readonly kwAt = new Int32Array(BLOCK);
  private readonly kwState = new Int32Array(BLOCK);
  private readonly seedAt = new Int32Array(BLOCK);
  private readonly seedMask = new Int32Array(BLOCK);
  private readonly unitBytes: Buffer;
  private readonly units: Uint16Array;

  constructor(
    readonly keywords: KeywordIndex,
    readonly seeds: SeedIndex,
  ) {
    this.maxLength = keywords.maxLength;
    this.unitBytes = Buffer.alloc((BLOCK + seeds.reach) * 2);
    this.units = new Uint16Array(this.unitBytes.buffer, this.unitBytes.byteOffset, BLOCK + seeds.reach);
    this.classOf = keywords.classOf;
    const classes = keywords.classes;
    this.classes = classes;
    const states = keywords.next.length / classes;
    // Renumber: states without output first (the start state stays 0: it has none), then the
    // others, each group breadth-first from the start, so the shallow states the walk is
    // mostly in sit together in the table (and in the cache).
    const byDepth: number[] = [0];
    const seen = new Uint8Array(states);
    seen[0] = 1;
    for (let head = 0; head < byDepth.length; head++) {
      const from = byDepth[head] ?? 0;
      for (let c = 0; c < classes; c++) {
        const to = keywords.next[from * classes + c] ?? 0;
        if (seen[to] === 0) {
          seen[to] = 1;
          byDepth.push(to);
        }
      }
    }
    if (byDepth.length !== states) throw new Error('keyword automaton: unreachable state');
    const order = byDepth.filter((s) => keywords.outputs[s] === undefined);
    const quiet = order.length;
    order.push(...byDepth.filter((s) => keywords.outputs[s] !== undefined));
    const renumbered = new Int32Array(states);
    order.forEach((old, i) => {
      renumbered[old] = i;
    });
    const next = new Int32Array(states * classes);
    for (let i = 0; i < states; i++) {
      const old = order[i] ?? 0;
      for (let c = 0; c < classes; c++) {
        next[i * classes + c] = (renumbered[keywords.next[old * classes + c] ?? 0] ?? 0) * classes;
      }
    }
    this.next = next;
    this.outBase = quiet * classes;
    this.outputs = order.slice(quiet).map((old) => keywords.outputs[old] ?? []);
  }

  /**
   * Reports, as the separate scans would: every keyword occurrence that starts in [from, to)
   * and ends within `text` ({@link KeywordIndex.scan}), and every possible scan start in
   * [from, to) ({@link SeedIndex.scan}, with the same `end` and `partial`; `end` is at most
   * the text's length).
   */
  scan(
    text: string,
    from: number,
    to: number,
    end: number,
    partial: boolean,
    onKeyword: KeywordHit,
    onSeed: SeedHit,
  ): void {
    const { classOf, next, outBase, seeds, kwAt, kwState, seedAt, seedMask } = this;
    const { firstMask, blockMask, blockNonAscii, ahead } = seeds;
    if (end > text.length) throw new RangeError('the end is past the text');
    const seedStop = Math.min(to, text.length);
    const stop = Math.min(text.length, to + this.maxLength - 1);
    let state = 0;
    // The detectors the previous character keeps from starting here (its `notAfter`).
    let block = 0;
    if (from > 0 && from <= text.length) {
      const prev = text.charCodeAt(from - 1);
      block = prev < 128 ? (blockMask[prev] ?? 0) : blockNonAscii;
    }
    // The walk only notes where something may be (keyword ends, possible starts), a block at
    // a time; what was noted is looked at between blocks. A call inside the walk would cost
    // more than the walk itself.
    const units = this.units;
    for (let i = from; i < stop;) {
      const blockEnd = Math.min(stop, i + BLOCK);
      const seedEnd = Math.min(seedStop, blockEnd);
      let kw = 0;
      let starts = 0;
      // The block's UTF-16 code units (and the few after it that a possible start's run and
      // shape are read from), copied natively: reading a typed array is cheaper than asking
      // the string for each character.
      // A short text is copied by hand: a native copy's fixed cost is higher there.
      const copyEnd = Math.min(text.length, blockEnd + seeds.reach);
      if (copyEnd - i <= SHORT_COPY) for (let j = i; j < copyEnd; j++) units[j - i] = text.charCodeAt(j);
      else this.unitBytes.write(text.slice(i, copyEnd), 0, 'utf16le');
      const at = i;
      for (; i < seedEnd; i++) {
        const c = units[i - at] ?? 0;
        state = next[state + (classOf[c] ?? 0)] ?? 0;
        if (state >= outBase) {
          kwAt[kw] = i;
          kwState[kw++] = state;
        }
        if (c < 128) {
          const mask = (firstMask[c] ?? 0) & ~block;
          block = blockMask[c] ?? 0;
          if (mask !== 0) {
            // The next few characters already rule most detectors out (a digit after a letter
            // followed by a letter, `200 ` for a bot id's ten digits); past the end, startsAt
            // decides.
            let kept = mask;
            const last = Math.min(AHEAD, end - 1 - i);
            for (let k = 1; k <= last && kept !== 0; k++) {
              const ck = units[i + k - at] ?? 0;
              if (ck < 128) kept &= ahead[k * 128 + ck] ?? 0;
            }
            if (kept !== 0) {
              seedAt[starts] = i;
              seedMask[starts++] = kept;
            }
          }
        } else {
          block = blockNonAscii;
        }
      }
      // Past `to`, only keywords that started before it are still completing.
      for (; i < blockEnd; i++) {
        state = next[state + (classOf[units[i - at] ?? 0] ?? 0)] ?? 0;
        if (state >= outBase) {
          kwAt[kw] = i;
          kwState[kw++] = state;
        }
      }
      for (let k = 0; k < kw; k++) {
        this.reportKeywords(text, kwAt[k] ?? 0, kwState[k] ?? 0, from, to, onKeyword);
      }
      for (let k = 0; k < starts; k++) {
        const p = seedAt[k] ?? 0;
        const owners = seeds.startsAt(units, at, p, seedMask[k] ?? 0, end, partial);
        if (owners !== undefined) onSeed(p, owners);
      }
    }
  }

  /** Whether any keyword occurs in `text`, or a match of some scan detector could start there. */
  occursIn(text: string): boolean {
    occurred = false;
    this.scan(text, 0, text.length, text.length, false, noteOccurrence, noteOccurrence);
    return occurred;
  }

  // The keywords ending at `i` (in state `state`) that start in [from, to) and occur there.
  private reportKeywords(
    text: string,
    i: number,
    state: number,
    from: number,
    to: number,
    onKeyword: KeywordHit,
  ): void {
    const out = this.outputs[(state - this.outBase) / this.classes];
    if (out === undefined) return;
    for (const e of out) {
      const p = i + 1 - e.keyword.length;
      if (p >= from && p < to && keywordAt(text, p, e)) onKeyword(p, e.owners, e.keyword.length);
    }
  }
}
