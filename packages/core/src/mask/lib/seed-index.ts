// The character-class pre-pass for detectors without a literal anchor (cards, IBANs, national
// ids, bot tokens): one pass over the text finds the positions where such a match could start —
// a character its pattern may start with, not glued to a character its lookbehind forbids, and
// followed by a long enough run of characters the match must begin with. Only there does the
// pattern run, anchored, exactly as keyword detectors run at their keywords.
import { Buffer } from 'node:buffer';
import type { CharTest } from './definition.js';
import type { RunTables } from './walk-wasm.js';

/** Where a scan detector's match can start. */
export interface SeedSpec {
  /** The first character of a match. */
  readonly first: CharTest;
  /** Characters that cannot come just before a match (from its lookbehind). */
  readonly notAfter: CharTest;
  /** Every match begins with at least `min` characters of `run`. */
  readonly run: CharTest;
  readonly min: number;
  /**
   * A sharper test on the run (its length, counted up to 32, and the character after it or -1),
   * such as "13 digits or more, or 4 then a space or dash" for cards.
   */
  readonly accept?: (length: number, next: number) => boolean;
  /**
   * Tests on the characters at offsets 1, 2, … from the start (at most 32), which every match
   * passes: checked after the run is judged, so starts whose next characters cannot begin a
   * match (`2024-05-01` for cards, `INFO ` for UK NINOs) are not tried.
   */
  readonly shape?: readonly CharTest[];
}

/** How far a run is counted when a detector has an `accept` test. */
const RUN_CAP = 32;

/**
 * How many characters after a possible start the candidate walk tests (see `ahead`): eight,
 * so that a card's shape rules out the years of ISO dates (`2026-01-05`), which logs hold on
 * every line, before its run is walked.
 */
export const AHEAD = 8;

// Non-ASCII characters a detector's tests are asked about, standing for all of them (a letter
// with an accent, a CJK ideograph): the built-in tests treat every non-ASCII character alike.
const NON_ASCII_PROBES = [0xe9, 0x4e2d];

/** Called for each possible start: position and the detectors that may match there. */
export type SeedHit = (position: number, owners: readonly number[]) => void;

/** Finds possible starts of scan detectors' matches. Built once per masker. */
export class SeedIndex {
  /** The longest run a start needs to be seen whole. */
  readonly maxMin: number;
  /**
   * By offset k (1 … {@link AHEAD}) and ASCII code c, at k * 128 + c: the detectors that may
   * still hit when c is the k-th character after their first one — it continues a run that
   * may still be judged true at a later length (`1234` is no start of a US SSN, whose run is
   * three digits), or ends it acceptably there, or their run may already have ended acceptably
   * before k — and it passes their shape. Non-ASCII characters keep every detector. A start
   * that some offset leaves with no detector is not worth a walk along its run.
   */
  readonly ahead = new Uint32Array((AHEAD + 1) * 128);
  /** The farthest offset from a start that {@link SeedIndex.startsAt} reads. */
  readonly reach: number;
  // By ASCII code: which detectors (bit i: the i-th seed) may start with the character, and
  // which may not come right after it (non-ASCII: blockNonAscii). Read by the candidate index.
  readonly firstMask = new Uint32Array(128);
  readonly blockMask = new Uint32Array(128);
  readonly blockNonAscii: number;
  // By ASCII code: which detectors' runs hold the character (non-ASCII: runNonAscii).
  private readonly runMask = new Uint32Array(128);
  private readonly runNonAscii: number;
  private readonly specs: readonly SeedSpec[];
  private readonly owners: readonly number[];
  // By run length: the detectors whose count stops there (their `min`, or RUN_CAP with `accept`).
  private readonly capMask: Uint32Array;
  // By run length n (up to the largest cap) and next character c (ASCII, or -1 at the end), at
  // n * 129 + c + 1: the detectors whose run judges true there. The tests are pure functions
  // of the two, so asking each once when the index is built is the same as asking every time.
  private readonly accepted: Uint32Array;
  // By run length n: the detectors that may be judged true at length n or later (an idle flush
  // at the end of the text keeps only those: the run may still grow, never shrink).
  private readonly endsFrom: Uint32Array;
  // By offset k (1 … shapeMax) and ASCII code c, at k * 128 + c: the detectors whose shape
  // allows c there (those whose shape is shorter allow everything); by offset: the detectors
  // whose shape reaches it.
  private readonly shapeMax: number;
  private readonly shapeAllow: Uint32Array;
  private readonly shapeNeed: Uint32Array;
  // The owners of each set of hits seen so far, so a start allocates nothing.
  private readonly ownersOf = new Map<number, readonly number[]>();

  constructor(seeds: readonly { readonly spec: SeedSpec; readonly owner: number }[]) {
    if (seeds.length > 32) throw new TypeError('at most 32 scan detectors');
    this.specs = seeds.map((s) => s.spec);
    this.owners = seeds.map((s) => s.owner);
    this.maxMin = Math.max(1, ...this.specs.map((s) => (s.accept === undefined ? s.min : RUN_CAP + 1)));
    this.capMask = new Uint32Array(
      Math.max(RUN_CAP, ...this.specs.map((s) => (s.accept === undefined ? s.min : RUN_CAP))) + 1,
    );
    let blockNonAscii = 0;
    let runNonAscii = 0;
    this.specs.forEach((s, i) => {
      const bit = 1 << i;
      for (let c = 0; c < 128; c++) {
        if (s.first(c)) this.firstMask[c] = (this.firstMask[c] ?? 0) | bit;
        if (s.notAfter(c)) this.blockMask[c] = (this.blockMask[c] ?? 0) | bit;
        if (s.run(c)) this.runMask[c] = (this.runMask[c] ?? 0) | bit;
      }
      const cap = Math.max(1, s.accept === undefined ? s.min : RUN_CAP);
      this.capMask[cap] = (this.capMask[cap] ?? 0) | bit;
      if (NON_ASCII_PROBES.some((c) => s.notAfter(c))) blockNonAscii |= bit;
      if (NON_ASCII_PROBES.some((c) => s.run(c))) runNonAscii |= bit;
    });
    this.blockNonAscii = blockNonAscii;
    this.runNonAscii = runNonAscii;
    this.shapeMax = Math.max(0, ...this.specs.map((s) => s.shape?.length ?? 0));
    if (this.shapeMax > RUN_CAP) throw new TypeError(`a seed shape is at most ${RUN_CAP} characters`);
    this.shapeAllow = new Uint32Array((this.shapeMax + 1) * 128);
    this.shapeNeed = new Uint32Array(this.shapeMax + 1);
    this.specs.forEach((s, i) => {
      const bit = 1 << i;
      for (let k = 1; k <= this.shapeMax; k++) {
        const test = s.shape?.[k - 1];
        if (test !== undefined) this.shapeNeed[k] = (this.shapeNeed[k] ?? 0) | bit;
        for (let c = 0; c < 128; c++) {
          if (test === undefined || test(c))
            this.shapeAllow[k * 128 + c] = (this.shapeAllow[k * 128 + c] ?? 0) | bit;
        }
      }
    });
    this.reach = Math.max(this.capMask.length - 1, this.shapeMax, AHEAD);
    this.accepted = new Uint32Array(this.capMask.length * 129);
    for (let n = 1; n < this.capMask.length; n++) {
      for (let c = -1; c < 128; c++) {
        let bits = 0;
        this.specs.forEach((s, i) => {
          if (accepts(s, n, c)) bits |= 1 << i;
        });
        this.accepted[n * 129 + c + 1] = bits;
      }
    }
    // By run length n: the detectors whose run may end acceptably there, whatever comes next.
    const mayEndAt = Array.from({ length: Math.max(this.capMask.length, AHEAD + 1) }, (_, n) => {
      let bits = 0;
      if (n === 0) return bits;
      this.specs.forEach((s, i) => {
        if (accepts(s, n, -1) || NON_ASCII_PROBES.some((c) => accepts(s, n, c))) bits |= 1 << i;
        for (let c = 0; c < 128; c++) if (accepts(s, n, c)) bits |= 1 << i;
      });
      return bits;
    });
    this.endsFrom = new Uint32Array(this.capMask.length + 1);
    for (let n = this.capMask.length - 1; n >= 1; n--)
      this.endsFrom[n] = (this.endsFrom[n + 1] ?? 0) | (mayEndAt[n] ?? 0);
    let ended = 0;
    for (let k = 1; k <= AHEAD; k++) {
      // A run that goes on at offset k is at least k + 1 long: the detectors that may be judged
      // true at such a length (or at their cap).
      const goesOn = this.endsFrom[k + 1] ?? 0;
      for (let c = 0; c < 128; c++) {
        const shape = k <= this.shapeMax ? (this.shapeAllow[k * 128 + c] ?? 0) : ~0;
        const judged = k < this.capMask.length ? (this.accepted[k * 129 + c + 1] ?? 0) : 0;
        this.ahead[k * 128 + c] = (((this.runMask[c] ?? 0) & goesOn) | judged | ended) & shape;
      }
      ended |= mayEndAt[k] ?? 0;
    }
  }

  /**
   * Reports every possible start in [from, to). A run that reaches `end` before it is judged
   * counts only when `partial` (an idle flush, which must over-approximate) and the detector
   * may still judge a run that long or longer true. The text ends at `end` at the latest.
   */
  scan(text: string, from: number, to: number, end: number, partial: boolean, onHit: SeedHit): void {
    if (end > text.length) throw new RangeError('the end is past the text');
    const bytes = Buffer.from(text, 'utf16le');
    const units = new Uint16Array(bytes.buffer, bytes.byteOffset, text.length);
    const { firstMask, blockMask, blockNonAscii } = this;
    for (let p = from; p < to; p++) {
      const c = text.charCodeAt(p);
      if (c >= 128) continue;
      let mask = firstMask[c] ?? 0;
      if (mask === 0) continue;
      if (p > 0) {
        const prev = text.charCodeAt(p - 1);
        mask &= ~(prev < 128 ? (blockMask[prev] ?? 0) : blockNonAscii);
        if (mask === 0) continue;
      }
      const owners = this.startsAt(units, 0, p, mask, end, partial);
      if (owners !== undefined) onHit(p, owners);
    }
  }

  /**
   * The detectors that may start a match at `p`, among `mask` (those whose first character is
   * there and not blocked by the one before), or undefined for none. `units` holds the text's
   * code units from `at` on, at least up to `end` or `p + reach`, whichever comes first.
   */
  startsAt(
    units: Uint16Array,
    at: number,
    p: number,
    mask: number,
    end: number,
    partial: boolean,
  ): readonly number[] | undefined {
    const { runMask, runNonAscii, capMask } = this;
    // One walk along the run serves every candidate detector at once: `alive` holds those
    // whose run goes on; a detector leaves it where its run ends or its count is capped, and
    // is judged there on that length and the next character (-1 at the end of the text).
    let hits = 0;
    let alive = mask;
    for (let n = 1; ; n++) {
      const next = p + n < end ? (units[p + n - at] ?? 0) : -1;
      const capped = alive & (capMask[n] ?? 0);
      if (capped !== 0) {
        hits |= this.judge(capped, n, next, partial);
        alive &= ~capped;
        if (alive === 0) break;
      }
      if (next === -1) {
        hits |= this.judge(alive, n, next, partial);
        break;
      }
      const run = next < 128 ? (runMask[next] ?? 0) : runNonAscii;
      const stopped = alive & ~run;
      if (stopped !== 0) {
        hits |= this.judge(stopped, n, next, partial);
        alive &= run;
        if (alive === 0) break;
      }
    }
    if (hits !== 0 && (hits & (this.shapeNeed[1] ?? 0)) !== 0)
      hits = this.shaped(units, at, p, hits, end, partial);
    return this.ownersFor(hits);
  }

  /** The detectors (their indexes in the set) of seed bits `hits`, or undefined for none. */
  ownersFor(hits: number): readonly number[] | undefined {
    if (hits === 0) return undefined;
    let owners = this.ownersOf.get(hits);
    if (owners === undefined) {
      const list: number[] = [];
      for (let i = 0; i < this.specs.length; i++) if ((hits & (1 << i)) !== 0) list.push(this.owners[i] ?? 0);
      owners = list;
      this.ownersOf.set(hits, owners);
    }
    return owners;
  }

  /** The tables startsAt judges runs with, for the WebAssembly walk (walk-wasm.ts). */
  runTables(): RunTables {
    return {
      runMask: this.runMask,
      runNonAscii: this.runNonAscii,
      capMask: this.capMask,
      accepted: this.accepted,
      endsFrom: this.endsFrom,
      shapeNeed: this.shapeNeed,
      shapeAllow: this.shapeAllow,
      shapeMax: this.shapeMax,
    };
  }

  /**
   * The detectors among `hits` whose shape the text from `p` passes. Past `end` only an idle
   * flush (`partial`) keeps them: more text may still come.
   */
  private shaped(
    units: Uint16Array,
    at: number,
    p: number,
    hits: number,
    end: number,
    partial: boolean,
  ): number {
    let kept = hits;
    for (let k = 1; k <= this.shapeMax; k++) {
      const need = kept & (this.shapeNeed[k] ?? 0);
      if (need === 0) break;
      if (p + k >= end) return partial ? kept : kept & ~need;
      const c = units[p + k - at] ?? 0;
      if (c < 128) {
        kept &= this.shapeAllow[k * 128 + c] ?? 0;
        continue;
      }
      for (let i = 0, rest = need; rest !== 0; i++, rest >>>= 1) {
        if ((rest & 1) !== 0 && this.specs[i]?.shape?.[k - 1]?.(c) !== true) kept &= ~(1 << i);
      }
    }
    return kept;
  }

  /** The detectors among `bits` whose run of `n` characters, then `next`, may start a match. */
  private judge(bits: number, n: number, next: number, partial: boolean): number {
    if (next === -1 && partial) return bits & (this.endsFrom[n] ?? 0);
    if (next < 128) return bits & (this.accepted[n * 129 + next + 1] ?? 0);
    let hits = 0;
    for (let i = 0, rest = bits; rest !== 0; i++, rest >>>= 1) {
      if ((rest & 1) === 0) continue;
      const spec = this.specs[i];
      if (spec !== undefined && accepts(spec, n, next)) hits |= 1 << i;
    }
    return hits;
  }
}

function accepts(spec: SeedSpec, n: number, next: number): boolean {
  return spec.accept === undefined ? n >= spec.min : spec.accept(n, next);
}
