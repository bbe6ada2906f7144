// The character-class pre-pass for detectors without a literal anchor (cards, IBANs, national
// ids, bot tokens): one pass over the text finds the positions where such a match could start —
// a character its pattern may start with, not glued to a character its lookbehind forbids, and
// followed by a long enough run of characters the match must begin with. Only there does the
// pattern run, anchored, exactly as keyword detectors run at their keywords.
import type { CharTest } from './definition.js';

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
}

/** How far a run is counted when a detector has an `accept` test. */
const RUN_CAP = 32;

/** Called for each possible start: position and the detectors that may match there. */
export type SeedHit = (position: number, owners: readonly number[]) => void;

/** Finds possible starts of scan detectors' matches. Built once per masker. */
export class SeedIndex {
  /** The longest run a start needs to be seen whole. */
  readonly maxMin: number;
  private readonly firstMask = new Uint32Array(128);
  private readonly blockMask = new Uint32Array(128);
  // By ASCII code: which detectors' runs hold the character (non-ASCII: runNonAscii).
  private readonly runMask = new Uint32Array(128);
  private readonly runNonAscii: number;
  private readonly blockNonAscii: number;
  private readonly specs: readonly SeedSpec[];
  private readonly owners: readonly number[];
  // By run length: the detectors whose count stops there (their `min`, or RUN_CAP with `accept`).
  private readonly capMask: Uint32Array;

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
      if (s.notAfter(0xe9)) blockNonAscii |= bit;
      if (s.run(0xe9) || s.run(0x4e2d)) runNonAscii |= bit;
    });
    this.blockNonAscii = blockNonAscii;
    this.runNonAscii = runNonAscii;
  }

  /**
   * Reports every possible start in [from, to). A run that reaches `end` before its minimum
   * counts only when `partial` (an idle flush, which must over-approximate).
   */
  scan(text: string, from: number, to: number, end: number, partial: boolean, onHit: SeedHit): void {
    const { firstMask, blockMask, runMask, runNonAscii, blockNonAscii, capMask, specs } = this;
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
      // One walk along the run serves every candidate detector at once: `alive` holds those
      // whose run goes on; a detector leaves it where its run ends or its count is capped, and
      // is judged there on that length (the next character, or -1 at the end of the text).
      let hits = 0;
      let alive = mask;
      let n = 1;
      for (;;) {
        const capped = alive & (capMask[n] ?? 0);
        if (capped !== 0) {
          hits |= this.judge(capped, n, p, end, partial, text);
          alive &= ~capped;
        }
        if (alive === 0) break;
        if (p + n >= end) {
          hits |= this.judge(alive, n, p, end, partial, text);
          break;
        }
        const code = text.charCodeAt(p + n);
        const run = code < 128 ? (runMask[code] ?? 0) : runNonAscii;
        const stopped = alive & ~run;
        if (stopped !== 0) {
          hits |= this.judge(stopped, n, p, end, partial, text);
          alive &= run;
          if (alive === 0) break;
        }
        n++;
      }
      if (hits === 0) continue;
      const owners: number[] = [];
      for (let i = 0; i < specs.length; i++) if ((hits & (1 << i)) !== 0) owners.push(this.owners[i] ?? 0);
      onHit(p, owners);
    }
  }

  /** The detectors among `bits` whose run of `n` characters from `p` may start a match. */
  private judge(bits: number, n: number, p: number, end: number, partial: boolean, text: string): number {
    if (partial && p + n >= end) return bits;
    let hits = 0;
    for (let i = 0, rest = bits; rest !== 0; i++, rest >>>= 1) {
      if ((rest & 1) === 0) continue;
      const spec = this.specs[i];
      if (spec === undefined) continue;
      if (
        spec.accept === undefined ? n >= spec.min : spec.accept(n, p + n < end ? text.charCodeAt(p + n) : -1)
      )
        hits |= 1 << i;
    }
    return hits;
  }

  /** Whether a match of some scan detector could start anywhere in `text`. */
  occursIn(text: string): boolean {
    let found = false;
    this.scan(text, 0, text.length, text.length, false, () => {
      found = true;
    });
    return found;
  }
}
