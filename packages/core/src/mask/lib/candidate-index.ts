// One walk over the text for both prefilters: each character steps the keyword automaton
// (keyword-index.ts) and is tested as a possible start of a scan detector's match
// (seed-index.ts). It reports exactly what the two separate scans report; walking once reads
// each character once, and the automaton's table is laid out for that walk: states are
// numbered so that those where some keyword ends come last, and each is stored multiplied by
// the number of character classes, so a step is one load and most steps need no other test.
// The character classes serve both: two characters share one only when the automaton and
// every seed test treat them alike, so the seed tests are read by class from one small table
// (no branch on ASCII, and few arrays for the walk to keep at hand).
import { Buffer } from 'node:buffer';
import type { KeywordEntry, KeywordHit, KeywordIndex } from './keyword-index.js';
import { keywordAt } from './keyword-index.js';
import type { SeedHit, SeedIndex } from './seed-index.js';
import { AHEAD } from './seed-index.js';
import { type BlockWalk, buildBlockWalk, NEEDS_JS } from './walk-wasm.js';

// The walk tests the four characters after a possible start unrolled (keepAhead): this stops
// compiling if AHEAD changes.
const UNROLLED: 8 = AHEAD;

/** Characters walked between two looks at what the walk noted. */
const BLOCK = 4096;

// Where each kind of note begins in CandidateIndex.notes (each has room for 2 * BLOCK).
const KW_STATE = 2 * BLOCK;
const SEED_AT = 4 * BLOCK;
const SEED_MASK = 6 * BLOCK;

/** The shortest half of a block that is walked beside the other half. */
const LANE_MIN = 256;

// occursIn's answer, set by a callback made once (a closure per call costs more than the scan of
// a short value). Scans are synchronous and never start another scan, so one flag serves all.
let occurred = false;
const noteOccurrence = (): void => {
  occurred = true;
};

// Up to this many code units, a block is copied with charCodeAt rather than Buffer#write.
const SHORT_COPY = 64;

/**
 * Copies the code units of text[from, to) (a block and the few after it that a possible start's
 * run and shape are read from) to the start of `units` (`bytes` is the same memory): natively,
 * as reading a typed array is cheaper than asking the string for each character; a short text
 * by hand, as a native copy's fixed cost is higher there.
 */
function copyUnits(text: string, from: number, to: number, units: Uint16Array, bytes: Buffer): void {
  if (to - from <= SHORT_COPY) for (let j = from; j < to; j++) units[j - from] = text.charCodeAt(j);
  else bytes.write(text.slice(from, to), 0, 'utf16le');
}

let warnedJavaScriptWalk = false;

/**
 * Says once per process that masking walks in JavaScript (about three times as slowly, with the
 * same output) because its WebAssembly walk did not compile here: a runtime without
 * WebAssembly, or a walk this package failed to assemble for a selection of detectors.
 */
function warnJavaScriptWalk(): void {
  if (warnedJavaScriptWalk) return;
  warnedJavaScriptWalk = true;
  process.emitWarning(
    'masking walks in JavaScript here, about three times as slowly (the same output): its WebAssembly walk did not compile',
    { code: 'PORTCULLIS_MASK_JS_WALK' },
  );
}

/** Finds keyword occurrences and possible scan starts in one pass. Built once per masker. */
export class CandidateIndex {
  /** The longest keyword, in characters. */
  readonly maxLength: number;
  /** By UTF-16 code unit: its class. */
  private readonly classOf: Uint16Array;
  /** By state (times the class count), then class: the next state (times the class count). */
  private readonly next: Int32Array;
  /**
   * Past the transitions, from `tests` on, by class in rows of `classes`: the scan detectors
   * that may start with it (firstMask), those that may not start right after it (blockMask),
   * then for k = 1 … AHEAD those that still may hit when it is the k-th character after a
   * start (ahead; all for non-ASCII). One array: each array the walk reads costs it checks.
   */
  private readonly tests: number;
  /** The most characters the automaton's state stands for (its trie's depth). */
  private readonly depth: number;
  /** States (times the class count) at or past this one end a keyword. */
  private readonly outBase: number;
  private readonly classes: number;
  /** By state number past `outBase / classes`: the keywords that end there. */
  private readonly outputs: readonly (readonly KeywordEntry[])[];
  // What one block of the walk noted: where a keyword ends and the state there; where a scan
  // detector may start and which ones. Reused: a scan finishes with them before it returns,
  // and the callbacks never scan.
  // One array (each array the walk reads costs it checks): keyword ends from 0, their states
  // from KW_STATE, possible starts from SEED_AT, their detectors from SEED_MASK; in each, the
  // second half of a block, walked beside the first, notes from BLOCK on.
  private readonly notes = new Int32Array(8 * BLOCK);
  private readonly unitBytes: Buffer;
  private readonly units: Uint16Array;
  /** The walk in WebAssembly (undefined: walked in JavaScript), and its units as a Buffer. */
  private readonly wasm: BlockWalk | undefined;
  private readonly wasmBytes: Buffer | undefined;

  /**
   * @param options.wasm - false walks in JavaScript even where WebAssembly runs (the two give
   *   the same reports; tests compare them).
   */
  constructor(
    readonly keywords: KeywordIndex,
    readonly seeds: SeedIndex,
    options: { readonly wasm?: boolean } = {},
  ) {
    this.maxLength = keywords.maxLength;
    this.unitBytes = Buffer.alloc((BLOCK + seeds.reach) * 2);
    this.units = new Uint16Array(this.unitBytes.buffer, this.unitBytes.byteOffset, BLOCK + seeds.reach);
    const kwClasses = keywords.classes;
    const states = keywords.next.length / kwClasses;
    // The classes: ASCII characters by their keyword class and every seed test's answer;
    // other code units by their keyword class alone (the seed tests treat them alike).
    const classOf = new Uint16Array(65536);
    const kwClassOf: number[] = [];
    const rows: number[][] = [];
    const bySignature = new Map<string, number>();
    const { firstMask, blockMask, blockNonAscii, ahead } = seeds;
    const classFor = (row: number[], kc: number, ascii: boolean): number => {
      const signature = `${ascii ? 'a' : 'u'}${kc}:${row.join()}`;
      let cls = bySignature.get(signature);
      if (cls === undefined) {
        cls = rows.length;
        bySignature.set(signature, cls);
        rows.push(row);
        kwClassOf.push(kc);
      }
      return cls;
    };
    for (let c = 0; c < 128; c++) {
      const row = [firstMask[c] ?? 0, blockMask[c] ?? 0];
      for (let k = 1; k <= AHEAD; k++) row.push(ahead[k * 128 + c] ?? 0);
      classOf[c] = classFor(row, keywords.classOf[c] ?? 0, true);
    }
    const nonAscii = new Int32Array(kwClasses).fill(-1);
    for (let c = 128; c < 65536; c++) {
      const kc = keywords.classOf[c] ?? 0;
      let cls = nonAscii[kc] ?? -1;
      if (cls < 0) {
        cls = classFor([0, blockNonAscii, ...new Array<number>(AHEAD).fill(~0)], kc, false);
        nonAscii[kc] = cls;
      }
      classOf[c] = cls;
    }
    const classes = rows.length;
    this.classOf = classOf;
    this.classes = classes;
    // Renumber: states without output first (the start state stays 0: it has none), then the
    // others, each group breadth-first from the start, so the shallow states the walk is
    // mostly in sit together in the table (and in the cache).
    // A state is first reached by reading its own string, so the breadth-first distance is
    // the length of the text the state stands for.
    const byDepth: number[] = [0];
    const seen = new Uint8Array(states);
    const distance = new Int32Array(states);
    seen[0] = 1;
    for (let head = 0; head < byDepth.length; head++) {
      const from = byDepth[head] ?? 0;
      for (let c = 0; c < kwClasses; c++) {
        const to = keywords.next[from * kwClasses + c] ?? 0;
        if (seen[to] === 0) {
          seen[to] = 1;
          distance[to] = (distance[from] ?? 0) + 1;
          byDepth.push(to);
        }
      }
    }
    this.depth = distance[byDepth[byDepth.length - 1] ?? 0] ?? 0;
    if (byDepth.length !== states) throw new Error('keyword automaton: unreachable state');
    const order = byDepth.filter((s) => keywords.outputs[s] === undefined);
    const quiet = order.length;
    order.push(...byDepth.filter((s) => keywords.outputs[s] !== undefined));
    const renumbered = new Int32Array(states);
    order.forEach((old, i) => {
      renumbered[old] = i;
    });
    const next = new Int32Array((states + 2 + AHEAD) * classes);
    this.tests = states * classes;
    rows.forEach((row, cls) => {
      row.forEach((bits, k) => {
        next[this.tests + k * classes + cls] = bits;
      });
    });
    for (let i = 0; i < states; i++) {
      const old = order[i] ?? 0;
      for (let c = 0; c < classes; c++) {
        next[i * classes + c] =
          (renumbered[keywords.next[old * kwClasses + (kwClassOf[c] ?? 0)] ?? 0] ?? 0) * classes;
      }
    }
    this.next = next;
    this.outBase = quiet * classes;
    this.outputs = order.slice(quiet).map((old) => keywords.outputs[old] ?? []);
    this.wasm =
      options.wasm === false
        ? undefined
        : buildBlockWalk({
            classOf,
            next,
            tests: this.tests,
            classes,
            outBase: this.outBase,
            units: BLOCK + seeds.reach,
            notes: BLOCK,
            aheadRows: AHEAD,
            depth: this.depth,
            laneMin: LANE_MIN,
            runs: seeds.runTables(),
          });
    if (this.wasm === undefined && options.wasm !== false) warnJavaScriptWalk();
    const bytes = this.wasm?.unitBytes;
    this.wasmBytes =
      bytes === undefined ? undefined : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  /** Whether the walk runs in WebAssembly. */
  get compiled(): boolean {
    return this.wasm !== undefined;
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
    if (end > text.length) throw new RangeError('the end is past the text');
    if (this.wasm !== undefined) {
      this.scanCompiled(this.wasm, text, from, to, end, partial, onKeyword, onSeed);
      return;
    }
    const { classOf, next, outBase, tests, classes, seeds, notes } = this;
    const seedStop = Math.min(to, text.length);
    const stop = Math.min(text.length, to + this.maxLength - 1);
    let state = 0;
    // The detectors the previous character keeps from starting here (its `notAfter`).
    let block = 0;
    // Where the rows of notAfter's tests begin in `next`.
    const blocks = tests + classes;
    if (from > 0 && from <= text.length)
      block = next[blocks + (classOf[text.charCodeAt(from - 1)] ?? 0)] ?? 0;
    // The walk only notes where something may be (keyword ends, possible starts), a block at
    // a time; what was noted is looked at between blocks. A call inside the walk would cost
    // more than the walk itself.
    const units = this.units;
    for (let i = from; i < stop;) {
      const blockEnd = Math.min(stop, i + BLOCK);
      const seedEnd = Math.min(seedStop, blockEnd);
      let kw = 0;
      let starts = 0;
      copyUnits(text, i, Math.min(text.length, blockEnd + seeds.reach), units, this.unitBytes);
      const at = i;
      // Every position is noted, the count moving on only where some detector may start: no
      // branch, as one character in eight or so may (a digit or capital starting a word).
      let firsts = 0;
      let kwB = BLOCK;
      let firstsB = BLOCK;
      // A long block is walked as two halves side by side: each step of the automaton waits
      // for the one before, and two independent walks overlap those waits. The second half's
      // state at its start is the automaton's state after the characters just before it
      // (at most its depth of them count).
      const half = (seedEnd - i) >> 1;
      if (half >= LANE_MIN && half > this.depth) {
        const mid = i + half;
        let stateB = 0;
        for (let j = mid - this.depth; j < mid; j++)
          stateB = next[stateB + (classOf[units[j - at] ?? 0] ?? 0)] ?? 0;
        let blockB = next[blocks + (classOf[units[mid - 1 - at] ?? 0] ?? 0)] ?? 0;
        for (let j = i - at, jEnd = j + half; j < jEnd; j++) {
          const clsA = classOf[units[j] ?? 0] ?? 0;
          const clsB = classOf[units[j + half] ?? 0] ?? 0;
          state = next[state + clsA] ?? 0;
          if (state >= outBase) {
            notes[kw] = at + j;
            notes[KW_STATE + kw++] = state;
          }
          stateB = next[stateB + clsB] ?? 0;
          if (stateB >= outBase) {
            notes[kwB] = at + j + half;
            notes[KW_STATE + kwB++] = stateB;
          }
          const maskA = (next[tests + clsA] ?? 0) & ~block;
          block = next[blocks + clsA] ?? 0;
          notes[SEED_AT + firsts] = at + j;
          notes[SEED_MASK + firsts] = maskA;
          firsts += (maskA | ((0 - maskA) | 0)) >>> 31;
          const maskB = (next[tests + clsB] ?? 0) & ~blockB;
          blockB = next[blocks + clsB] ?? 0;
          notes[SEED_AT + firstsB] = at + j + half;
          notes[SEED_MASK + firstsB] = maskB;
          firstsB += (maskB | ((0 - maskB) | 0)) >>> 31;
        }
        i = mid + half;
        state = stateB;
        block = blockB;
      }
      for (; i < seedEnd; i++) {
        const cls = classOf[units[i - at] ?? 0] ?? 0;
        state = next[state + cls] ?? 0;
        if (state >= outBase) {
          notes[kw] = i;
          notes[KW_STATE + kw++] = state;
        }
        const mask = (next[tests + cls] ?? 0) & ~block;
        block = next[blocks + cls] ?? 0;
        notes[SEED_AT + firsts] = i;
        notes[SEED_MASK + firsts] = mask;
        firsts += (mask | ((0 - mask) | 0)) >>> 31;
      }
      // The next few characters already rule most detectors out (a digit after a letter
      // followed by a letter, `200 ` for a bot id's ten digits); past the end, startsAt
      // decides.
      starts = this.keepAhead(0, firsts, 0, at, end);
      starts = this.keepAhead(BLOCK, firstsB, starts, at, end);
      // Past `to`, only keywords that started before it are still completing.
      for (; i < blockEnd; i++) {
        state = next[state + (classOf[units[i - at] ?? 0] ?? 0)] ?? 0;
        if (state >= outBase) {
          notes[kw] = i;
          notes[KW_STATE + kw++] = state;
        }
      }
      for (let k = 0; k < kw; k++) {
        this.reportKeywords(text, notes[k] ?? 0, notes[KW_STATE + k] ?? 0, from, to, onKeyword);
      }
      for (let k = BLOCK; k < kwB; k++) {
        this.reportKeywords(text, notes[k] ?? 0, notes[KW_STATE + k] ?? 0, from, to, onKeyword);
      }
      for (let k = 0; k < starts; k++) {
        const p = notes[SEED_AT + k] ?? 0;
        const owners = seeds.startsAt(units, at, p, notes[SEED_MASK + k] ?? 0, end, partial);
        if (owners !== undefined) onSeed(p, owners);
      }
    }
  }

  // scan() with each block walked by the WebAssembly walk (walk-wasm.ts): the same reports.
  private scanCompiled(
    wasm: BlockWalk,
    text: string,
    from: number,
    to: number,
    end: number,
    partial: boolean,
    onKeyword: KeywordHit,
    onSeed: SeedHit,
  ): void {
    const { classOf, next, tests, classes, seeds } = this;
    const units = wasm.units;
    const bytes = this.wasmBytes as Buffer;
    const kwNotes = wasm.keywordNotes;
    const startNotes = wasm.startNotes;
    const seedStop = Math.min(to, text.length);
    const stop = Math.min(text.length, to + this.maxLength - 1);
    let state = 0;
    let block = 0;
    if (from > 0 && from <= text.length)
      block = next[tests + classes + (classOf[text.charCodeAt(from - 1)] ?? 0)] ?? 0;
    for (let i = from; i < stop;) {
      const at = i;
      const blockEnd = Math.min(stop, i + BLOCK);
      const seedEnd = Math.min(seedStop, blockEnd);
      copyUnits(text, i, Math.min(text.length, blockEnd + seeds.reach), units, bytes);
      const kw = wasm.walk(seedEnd - at, blockEnd - at, end - at, state, block, partial);
      state = wasm.state;
      block = wasm.block;
      const starts = wasm.starts;
      for (let k = 0; k < kw; k++) {
        this.reportKeywords(text, at + (kwNotes[k] ?? 0), kwNotes[BLOCK + k] ?? 0, from, to, onKeyword);
      }
      for (let k = 0; k < starts; k++) {
        const noted = startNotes[k] ?? 0;
        const bits = startNotes[BLOCK + k] ?? 0;
        // The walk judged the start, unless it took a detector's own test.
        const p = at + (noted & ~NEEDS_JS);
        const owners =
          (noted & NEEDS_JS) === 0 ? seeds.ownersFor(bits) : seeds.startsAt(units, at, p, bits, end, partial);
        if (owners !== undefined) onSeed(p, owners);
      }
      i = blockEnd;
    }
  }

  // Tests the possible starts noted at [lo, hi) (in the block at `at`) on the characters after
  // them and keeps, from `starts` on, those some detector survives; returns the new count.
  private keepAhead(lo: number, hi: number, starts: number, at: number, end: number): number {
    const { classOf, next, tests, classes, notes, units } = this;
    const ahead1 = tests + 2 * classes;
    const ahead2 = tests + 3 * classes;
    const ahead3 = tests + 4 * classes;
    const ahead4 = tests + 5 * classes;
    const ahead5 = tests + 6 * classes;
    const ahead6 = tests + 7 * classes;
    const ahead7 = tests + 8 * classes;
    const ahead8 = tests + 9 * classes;
    let kept = starts;
    for (let k = lo; k < hi; k++) {
      const p = notes[SEED_AT + k] ?? 0;
      let mask = notes[SEED_MASK + k] ?? 0;
      const o = p - at;
      if (p + UNROLLED < end) {
        mask &=
          (next[ahead1 + (classOf[units[o + 1] ?? 0] ?? 0)] ?? 0) &
          (next[ahead2 + (classOf[units[o + 2] ?? 0] ?? 0)] ?? 0) &
          (next[ahead3 + (classOf[units[o + 3] ?? 0] ?? 0)] ?? 0) &
          (next[ahead4 + (classOf[units[o + 4] ?? 0] ?? 0)] ?? 0) &
          (next[ahead5 + (classOf[units[o + 5] ?? 0] ?? 0)] ?? 0) &
          (next[ahead6 + (classOf[units[o + 6] ?? 0] ?? 0)] ?? 0) &
          (next[ahead7 + (classOf[units[o + 7] ?? 0] ?? 0)] ?? 0) &
          (next[ahead8 + (classOf[units[o + 8] ?? 0] ?? 0)] ?? 0);
      } else {
        for (let j = 1; p + j < end; j++) {
          mask &= next[tests + (j + 1) * classes + (classOf[units[o + j] ?? 0] ?? 0)] ?? 0;
        }
      }
      notes[SEED_AT + kept] = p;
      notes[SEED_MASK + kept] = mask;
      kept += (mask | ((0 - mask) | 0)) >>> 31;
    }
    return kept;
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
