// The masking engine. Whole-text masking is this engine fed one chunk and ended, so streamed
// and whole-text output are the same function of the input by construction:
//
// - Detection runs over a "view" of the text with ANSI CSI sequences removed (so colour codes
//   around or inside a secret do not hide it); the sequences are put back on output. Only CSI
//   sequences without intermediate bytes (what terminals emit: SGR colours, cursor and erase
//   codes) and charset selections are removed, so fewer raw characters are read differently
//   from how a terminal shows them.
// - Keyword detectors: a hit at absolute position h is decided only once its whole window
//   [s - LOOKBEHIND, s + maxLength + LOOKAHEAD) is known (or the input ended); the pattern
//   sees exactly that window on every path.
// - Scan detectors (no literal anchor): a character-class pre-pass finds where a match could
//   start; from there on they are decided exactly like keyword hits.
// - Matches (candidates) that overlap are merged into one masked span; a span is emitted only
//   when no undecided match can still start inside it. Text is emitted only up to the
//   frontier below which no undecided match can start.
//
// Memory: everything before min(frontier, pending windows) is dropped, so a stream holds at
// most the longest window plus one chunk.
//
// Idle flush: decides early what can no longer change (hits whose pattern cannot read past
// the known text, per each detector's `charset`/`viable`), so it only ever emits a prefix of
// the final output: it never changes the output and never emits part of a secret.
import type { MaskFinding } from '../types.js';
import type { Continuation, DetectorDefinition, KeywordDefinition } from './definition.js';
import { guardPasses, isExampleToken, LOOKAHEAD, LOOKBEHIND } from './definition.js';
import type { CandidateIndex } from './candidate-index.js';
import type { KeywordIndex } from './keyword-index.js';
import type { SeedIndex } from './seed-index.js';

/** A compiled selection of detectors. */
export interface DetectorSet {
  /** Selected detectors in priority order; their index is their priority. */
  readonly defs: readonly DetectorDefinition[];
  readonly keywords: KeywordIndex;
  /** The possible starts of scan detectors' matches. */
  readonly seeds: SeedIndex;
  /** Both of the above in one pass over the text. */
  readonly candidates: CandidateIndex;
  /**
   * By detector index: the sticky pattern each detector's matches are tried with (a scan
   * detector's over the whole view, a keyword detector's over its window). Only a detector that
   * names `secretGroups` asks for match indices (the `d` flag costs time and memory per match).
   */
  readonly anchored: readonly (RegExp | undefined)[];
  /** Indexes (into `defs`) of the scan detectors. */
  readonly scans: readonly number[];
  /** Indexes of keyword detectors whose masked part can start before the keyword. */
  readonly maskBackers: readonly number[];
  /**
   * By detector index: whether one scan can find two of the detector's keyword hits at the same
   * start (it has several keywords, or its `back` can walk over one of its keywords), so that
   * its hits are checked for repeats. Otherwise each keyword occurrence is one start.
   */
  readonly repeats: readonly boolean[];
  /**
   * By detector index: for a keyword detector with `back`, by ASCII code, 1 where `back.chars`
   * accepts the character (read without a call per character).
   */
  readonly backAscii: readonly (Uint8Array | undefined)[];
  /** The largest `back.max` and `maskBack` over keyword detectors. */
  readonly maxBack: number;
  readonly maxMaskBack: number;
}

/**
 * Whether the engine could find anything in `text`. When false, masking returns `text`
 * unchanged: no keyword means no keyword hit, and no possible start no scan candidate. Text
 * with ESC always takes the full path (the view differs from the text).
 */
export function mayContainFinding(set: DetectorSet, text: string): boolean {
  return text.includes('\x1b') || set.candidates.occursIn(text);
}

/** Renders one masked span: the detector's index and the span's text (ANSI removed). */
export type RenderSpan = (detector: number, text: string) => string;

// Merged spans longer than this are split, so a chain of overlapping matches stays bounded.
const MAX_SPAN = 65536;

// eslint-disable-next-line no-control-regex -- ESC starts the ANSI sequences removed from the view
const ANSI = /\x1b(?:\[[0-?]{0,32}[@-~]|[()*+][0-~])/y;
// eslint-disable-next-line no-control-regex -- as above
const ANSI_PREFIX = /^\x1b(?:\[[0-?]{0,32}|[()*+])?$/;

interface Hit {
  readonly det: number;
  /** Where the pattern is tried (absolute view offset). */
  readonly s: number;
  /** End of the keyword. */
  readonly kwEnd: number;
  /** End of the window. */
  readonly wEnd: number;
  /**
   * A continuation's key (see KeywordDefinition.continuation): the hit is at the end of the part
   * of its secret found before. Undefined for a keyword or scan hit.
   */
  readonly key: string | undefined;
}

interface Candidate {
  start: number;
  readonly end: number;
  readonly det: number;
}

interface Gap {
  /** The view offset of the character this sequence preceded. */
  readonly pos: number;
  readonly seq: string;
}

const byPosition = (a: Candidate, b: Candidate): number =>
  a.start - b.start || a.det - b.det || b.end - a.end;

// The engine whose findKeywords is scanning, for the two callbacks below: made once, because a
// closure per call costs more than scanning a short value. Scans are synchronous.
let scanning: MaskEngine | undefined;
const onKeywordHit = (p: number, owners: readonly number[], length: number): void => {
  scanning?.keywordHit(p, owners, length);
};
const onSeedHit = (p: number, owners: readonly number[]): void => {
  scanning?.seedHit(p, owners);
};
/** NotedStarts' first capacity (a power of two). */
const NOTED_CAPACITY = 1024;

/**
 * The keyword candidates one scan has noted, as (offset in the view, detector) pairs: an
 * open-addressing table in typed arrays, each slot stamped with the scan that filled it, so a
 * new scan starts empty without clearing anything and noting allocates nothing.
 *
 * @example
 * ```ts
 * noted.newScan();
 * if (noted.add(start, detector)) hits.push({ det: detector, s: start, ... });
 * ```
 */
export class NotedStarts {
  private offsets = new Int32Array(NOTED_CAPACITY);
  private detectors = new Int32Array(NOTED_CAPACITY);
  private stamps = new Int32Array(NOTED_CAPACITY);
  /** 32 − log2(capacity): a slot is the top bits of the key's multiplicative hash. */
  private shift = 32 - Math.log2(NOTED_CAPACITY);
  private stamp = 1;
  private size = 0;

  /** Forgets what earlier scans noted (and memory a very long scan made it take). */
  newScan(): void {
    if (this.stamps.length > 64 * NOTED_CAPACITY) this.resize(NOTED_CAPACITY);
    this.size = 0;
    if (this.stamp === 0x7fffffff) {
      this.stamps.fill(0);
      this.stamp = 0;
    }
    this.stamp++;
  }

  /** Notes (offset, detector); false when this scan has noted it already. */
  add(offset: number, detector: number): boolean {
    if (this.size * 2 >= this.stamps.length) this.grow();
    const { offsets, detectors, stamps, stamp } = this;
    const last = stamps.length - 1;
    for (
      let slot = Math.imul(offset * 31 + detector, 0x9e3779b1) >>> this.shift;
      ;
      slot = (slot + 1) & last
    ) {
      if (stamps[slot] !== stamp) {
        stamps[slot] = stamp;
        offsets[slot] = offset;
        detectors[slot] = detector;
        this.size++;
        return true;
      }
      if (offsets[slot] === offset && detectors[slot] === detector) return false;
    }
  }

  private grow(): void {
    const { offsets, detectors, stamps, stamp } = this;
    this.resize(stamps.length * 2);
    for (let slot = 0; slot < stamps.length; slot++)
      if (stamps[slot] === stamp) this.add(offsets[slot] ?? 0, detectors[slot] ?? 0);
  }

  private resize(capacity: number): void {
    this.offsets = new Int32Array(capacity);
    this.detectors = new Int32Array(capacity);
    this.stamps = new Int32Array(capacity);
    this.shift = 32 - Math.log2(capacity);
    this.size = 0;
  }
}

// One table for every engine, as one scan runs at a time and calls nothing that masks.
const noted = new NotedStarts();

/** How many times `n` has doubled from 4096: 0 below it, 1 up to 8191, 2 up to 16383, … */
const doublings = (n: number): number => (n < 4096 ? 0 : 32 - Math.clz32(n >>> 12));

function swapScanning(engine: MaskEngine | undefined): MaskEngine | undefined {
  const before = scanning;
  scanning = engine;
  return before;
}

/** Streams text through a detector set. One engine per text or stream. */
export class MaskEngine {
  private view = '';
  /** Absolute view offset of `view[0]`. */
  private base = 0;
  private ended = false;
  /** Keyword occurrences starting before this absolute offset have been found. */
  private kwPos = 0;
  private hits: Hit[] = [];
  private cands: Candidate[] = [];
  /** View text before this absolute offset has been emitted. */
  private emitted = 0;
  private gaps: Gap[] = [];
  private gapHead = 0;
  /** Raw text that may be the start of an ANSI sequence. */
  private rawPending = '';
  /** Raw characters emitted so far (for finding offsets). */
  private rawOut = 0;
  /** The view's end at the last process(): when pending hits were last looked at. */
  private lastEnd = 0;

  constructor(
    private readonly set: DetectorSet,
    private readonly render: RenderSpan,
    private findings?: MaskFinding[],
  ) {}

  /** Adds text; returns the output that is now final. */
  write(chunk: string): string {
    if (this.ended) throw new Error('write after end');
    if (chunk.length === 0) return '';
    this.append(chunk, false);
    return this.process('normal');
  }

  /**
   * Masks a whole text at once, noting what it replaced in `findings`: the same output as
   * `write(text) + end()` on a new engine, in one pass. The engine is then as new again, for the
   * next text (short values are masked by one engine, one after another).
   */
  whole(text: string, findings?: MaskFinding[]): string {
    if (this.ended || this.pending > 0 || this.emitted > 0) throw new Error('whole() on a used engine');
    this.findings = findings;
    try {
      this.append(text, true);
      this.ended = true;
      return this.process('end');
    } finally {
      this.view = '';
      this.base = 0;
      this.ended = false;
      this.kwPos = 0;
      // (Emptied only when used: setting an array's length is a call into the runtime.)
      if (this.hits.length !== 0) this.hits.length = 0;
      if (this.cands.length !== 0) this.cands.length = 0;
      this.emitted = 0;
      if (this.gaps.length !== 0) this.gaps.length = 0;
      this.gapHead = 0;
      this.rawPending = '';
      this.rawOut = 0;
      this.lastEnd = 0;
      this.findings = undefined;
    }
  }

  /** Ends the input; returns the rest of the output. */
  end(): string {
    if (this.ended) return '';
    this.append('', true);
    this.ended = true;
    return this.process('end');
  }

  /** Emits what can no longer be part of a secret (for interactive streams). */
  idle(): string {
    if (this.ended) return '';
    return this.process('idle');
  }

  /** Characters held back (received but not yet emitted). */
  get pending(): number {
    return this.base + this.view.length - this.emitted + this.rawPending.length;
  }

  private append(chunk: string, final: boolean): void {
    const text = this.rawPending + chunk;
    this.rawPending = '';
    if (text.length === 0) return;
    let esc = text.indexOf('\x1b');
    if (esc === -1) {
      this.view += text;
      return;
    }
    const viewEnd = this.base + this.view.length;
    let out = '';
    let last = 0;
    while (esc !== -1) {
      ANSI.lastIndex = esc;
      const m = ANSI.exec(text);
      if (m !== null) {
        out += text.slice(last, esc);
        this.gaps.push({ pos: viewEnd + out.length, seq: m[0] });
        last = esc + m[0].length;
        esc = text.indexOf('\x1b', last);
        continue;
      }
      if (!final && ANSI_PREFIX.test(text.slice(esc, esc + 48))) {
        if (text.length - esc <= 48) {
          out += text.slice(last, esc);
          this.rawPending = text.slice(esc);
          last = text.length;
          break;
        }
      }
      esc = text.indexOf('\x1b', esc + 1);
    }
    if (last < text.length) out += text.slice(last);
    this.view += out;
  }

  private process(mode: 'normal' | 'idle' | 'end'): string {
    const out: string[] = [];
    const end = this.base + this.view.length;
    const final = mode === 'end';
    const { keywords } = this.set;

    const limit = final ? end : end - Math.max(keywords.maxLength, this.set.seeds.maxMin) + 1;
    if (limit > this.kwPos) {
      this.findKeywords(this.kwPos, limit, false);
      this.kwPos = limit;
    }
    // An idle flush also looks at complete keywords and possible starts (however short their
    // run so far) in the last few characters. If they are found again later, the duplicate
    // candidates merge into the same spans.
    if (mode === 'idle' && this.kwPos < end) this.findKeywords(this.kwPos, end, true);

    let frontier = final
      ? Infinity
      : mode === 'idle'
        ? this.futureBound(end)
        : this.kwPos - this.set.maxMaskBack;
    // The hits still undecided are kept in place, in order.
    const hits = this.hits;
    let kept = 0;
    for (let i = 0; i < hits.length; i++) {
      const hit = hits[i] as Hit;
      if (final || hit.wEnd <= end) {
        this.runHit(hit, Math.min(end, hit.wEnd));
        continue;
      }
      // A hit whose window is still open is decided early where no more input can change it
      // (as an idle flush does): on every idle flush, and in a normal step each time the text
      // read past its start has doubled since 4 KB (so a long window, such as a JWT's, does not
      // hold back output and memory until it closes, and each hit is looked at O(log) times).
      if (mode === 'idle' || doublings(end - hit.s) > doublings(this.lastEnd - hit.s)) {
        const from = this.viableFrom(hit, end);
        if (from < 0) {
          this.runHit(hit, end);
          continue;
        }
        frontier = Math.min(frontier, from);
      } else {
        frontier = Math.min(frontier, hit.s);
      }
      hits[kept++] = hit;
    }
    if (kept !== hits.length) hits.length = kept;

    this.lastEnd = end;
    this.emit(frontier, final, out);
    if (final) this.emitText(this.emitted, end, out);
    this.compact();
    return out.length === 1 ? (out[0] as string) : out.join('');
  }

  private findKeywords(from: number, to: number, partial: boolean): void {
    const base = this.base;
    const view = this.view;
    const end = base + view.length;
    const outer = swapScanning(this);
    // A new scan: what earlier scans noted no longer counts.
    noted.newScan();
    try {
      this.set.candidates.scan(view, from - base, to - base, end - base, partial, onKeywordHit, onSeedHit);
    } finally {
      swapScanning(outer);
    }
  }

  /** A keyword of detectors `owners` occurs at `p` of the view (see findKeywords). */
  keywordHit(p: number, owners: readonly number[], length: number): void {
    const { defs, repeats, backAscii } = this.set;
    const base = this.base;
    const view = this.view;
    const h = base + p;
    for (const det of owners) {
      const d = defs[det] as KeywordDefinition;
      // `pat` in `path=`, `SK` in `SKU-`: the pattern would fail there.
      const guard = d.guard;
      if (guard !== undefined && guard.pattern === d.pattern && !guardPasses(guard, view, p, length))
        continue;
      let s = h;
      const back = d.back;
      if (back !== undefined) {
        const ascii = backAscii[det] as Uint8Array;
        const stop = Math.max(0, p - back.max);
        let q = p;
        while (q > stop) {
          const c = view.charCodeAt(q - 1);
          if (c < 128 ? ascii[c] !== 1 : !back.chars(c)) break;
          q--;
        }
        s = base + q;
      }
      if (repeats[det] === true && !noted.add(s - base, det)) continue;
      this.hits.push({ det, s, kwEnd: h + length, wEnd: s + d.maxLength + LOOKAHEAD, key: undefined });
    }
  }

  /** A match of detectors `owners` may start at `p` of the view (see findKeywords). */
  seedHit(p: number, owners: readonly number[]): void {
    const { defs } = this.set;
    const s = this.base + p;
    for (const det of owners) {
      const d = defs[det];
      if (d !== undefined)
        this.hits.push({ det, s, kwEnd: s + 1, wEnd: s + d.maxLength + LOOKAHEAD, key: undefined });
    }
  }

  private runHit(hit: Hit, windowEnd: number): void {
    const d = this.set.defs[hit.det];
    if (d === undefined) return;
    if (hit.key !== undefined) {
      if (d.kind === 'keyword' && d.continuation !== undefined)
        this.runContinuation(d, d.continuation, hit, hit.key, windowEnd);
      return;
    }
    const re = this.set.anchored[hit.det] ?? d.pattern;
    if (d.kind === 'scan') {
      // A scan pattern reads at most LOOKBEHIND before and maxLength + LOOKAHEAD after its start,
      // so the view itself is its window: no copy.
      re.lastIndex = hit.s - this.base;
      const m = re.exec(this.view);
      if (m !== null) this.accept(d, hit.det, m, this.base);
      return;
    }
    const ws = Math.max(0, hit.s - LOOKBEHIND);
    const window = this.view.slice(ws - this.base, windowEnd - this.base);
    re.lastIndex = hit.s - ws;
    const m = re.exec(window);
    if (m !== null) this.accept(d, hit.det, m, ws);
  }

  // A secret that goes on past the part found before (see KeywordDefinition.continuation).
  private runContinuation(
    d: KeywordDefinition,
    cont: Continuation,
    hit: Hit,
    key: string,
    windowEnd: number,
  ): void {
    const { start, end } = cont.extend(this.view.slice(hit.s - this.base, windowEnd - this.base), key);
    if (end <= 0) return;
    if (end > start) this.cands.push({ start: hit.s + start, end: hit.s + end, det: hit.det });
    this.follow(d, hit.det, hit.s + end, key);
  }

  // Looks for the rest of a secret from `s` on, once its window is known.
  private follow(d: DetectorDefinition, det: number, s: number, key: string): void {
    this.hits.push({ det, s, kwEnd: s, wEnd: s + d.maxLength + LOOKAHEAD, key });
  }

  private accept(d: DetectorDefinition, det: number, m: RegExpExecArray, offset: number): boolean {
    let start = m.index;
    let end = m.index + m[0].length;
    if (d.secretGroups !== undefined) {
      const groups = m.indices?.groups;
      let found = false;
      for (const g of d.secretGroups) {
        const span = groups?.[g];
        if (span !== undefined) {
          [start, end] = span;
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
    if (end <= start) return false;
    const secret = m.input.slice(start, end);
    if (d.validate !== undefined && !d.validate(secret, m)) return false;
    // Documentation examples and placeholders (`…EXAMPLE`, `ghp_xxxx…`, `your-token-here`).
    if (d.category === 'secret' && d.standIns !== false && isExampleToken(secret)) return false;
    this.cands.push({ start: offset + start, end: offset + end, det });
    if (d.kind === 'keyword' && d.continuation !== undefined) {
      const key = d.continuation.key(m);
      if (key !== undefined) this.follow(d, det, offset + m.index + m[0].length, key);
    }
    return true;
  }

  // Idle: the earliest position a keyword hit not yet found could mask: a keyword that may still
  // be completing at the end, and the runs of characters that may precede a keyword.
  private futureBound(end: number): number {
    const { keywords, defs, maskBackers } = this.set;
    let b = end;
    for (let p = Math.max(this.kwPos, end - keywords.maxLength + 1); p < end; p++) {
      if (keywords.partialAt(this.view.slice(p - this.base, end - this.base), 0)) {
        b = p;
        break;
      }
    }
    let bound = b;
    for (const det of maskBackers) {
      const d = defs[det] as KeywordDefinition;
      if (d.back === undefined) continue;
      let n = 0;
      while (
        n < d.back.max &&
        b - n - 1 >= this.base &&
        d.back.chars(this.view.charCodeAt(b - n - 1 - this.base))
      )
        n++;
      bound = Math.min(bound, b - n);
    }
    return bound;
  }

  // Idle: the earliest position this hit could still mask, or -1 when no more input can change
  // its outcome.
  private viableFrom(hit: Hit, end: number): number {
    const d = this.set.defs[hit.det];
    if (d === undefined) return -1;
    // (A continuation waits for its window, as the match before it did.)
    if (hit.key !== undefined) return hit.s;
    if (d.kind === 'keyword' && d.viable !== undefined) {
      const offset = d.viable(this.view.slice(hit.s - this.base, end - this.base));
      return offset < 0 ? -1 : hit.s + offset;
    }
    for (let p = hit.kwEnd; p < end; p++) {
      // The pattern cannot hold p; it may still read `ahead` characters from there.
      if (!d.charset(this.view.charCodeAt(p - this.base)))
        return p + ((d.kind === 'keyword' ? d.ahead : undefined) ?? 1) <= end ? -1 : hit.s;
    }
    return hit.s;
  }

  private emit(frontier: number, final: boolean, out: string[]): void {
    const c = this.cands;
    if (c.length > 1) c.sort(byPosition);
    const end = this.base + this.view.length;
    let limit = Math.min(frontier, end);
    let pos = this.emitted;
    let i = 0;
    for (let first = c[i]; first !== undefined; first = c[i]) {
      if (first.end <= pos) {
        i++;
        continue;
      }
      const a = Math.max(first.start, pos);
      if (a >= limit) break;
      let b = first.end;
      let j = i + 1;
      let capped: Candidate | undefined;
      for (let n = c[j]; n !== undefined; n = c[++j]) {
        if (n.start >= b) break;
        if (n.end > b) {
          if (n.end - a > MAX_SPAN) {
            capped = n;
            break;
          }
          b = n.end;
        }
      }
      // Not closed: an undecided match may still start inside the span.
      if (!final && b > frontier) {
        limit = a;
        break;
      }
      this.emitText(pos, a, out);
      this.emitSpan(a, b, first.det, out);
      pos = b;
      if (capped !== undefined) capped.start = b;
      i = j;
    }
    if (i === c.length) {
      if (i > 0) c.length = 0;
    } else if (i > 0) c.splice(0, i);
    if (pos < limit) {
      let q = limit;
      // Never end a chunk between the halves of a surrogate pair.
      if (!final && isHighSurrogate(this.view.charCodeAt(q - 1 - this.base))) q--;
      if (q > pos) {
        this.emitText(pos, q, out);
        pos = q;
      }
    }
    this.emitted = pos;
  }

  // Emits view text [p, q) with the ANSI sequences that sat at or before q.
  private emitText(p: number, q: number, out: string[]): void {
    let cur = p;
    const gaps = this.gaps;
    for (let g = gaps[this.gapHead]; g !== undefined && g.pos <= q; g = gaps[this.gapHead]) {
      if (g.pos > cur) {
        out.push(this.view.slice(cur - this.base, g.pos - this.base));
        this.rawOut += g.pos - cur;
        cur = g.pos;
      }
      out.push(g.seq);
      this.rawOut += g.seq.length;
      this.gapHead++;
    }
    if (cur < q) {
      out.push(this.view.slice(cur - this.base, q - this.base));
      this.rawOut += q - cur;
    }
    this.emitted = Math.max(this.emitted, q);
  }

  // Emits the replacement of [a, b), then the ANSI sequences that sat inside it.
  private emitSpan(a: number, b: number, det: number, out: string[]): void {
    const rawStart = this.rawOut;
    out.push(this.render(det, this.view.slice(a - this.base, b - this.base)));
    let raw = b - a;
    const gaps = this.gaps;
    for (let g = gaps[this.gapHead]; g !== undefined && g.pos < b; g = gaps[this.gapHead]) {
      out.push(g.seq);
      raw += g.seq.length;
      this.gapHead++;
    }
    this.rawOut += raw;
    const d = this.set.defs[det];
    if (this.findings !== undefined && d !== undefined) {
      this.findings.push({ detector: d.id, category: d.category, start: rawStart, end: rawStart + raw });
    }
  }

  // Drops text no pending decision or output needs.
  private compact(): void {
    let keep = this.emitted;
    for (const hit of this.hits) keep = Math.min(keep, hit.s - LOOKBEHIND);
    keep = Math.min(keep, this.kwPos - this.set.maxBack - LOOKBEHIND);
    const drop = keep - this.base;
    if (drop > 65536 || (drop > 4096 && drop * 2 > this.view.length)) {
      this.view = this.view.slice(drop);
      this.base = keep;
    }
    if (this.gapHead > 1024) {
      this.gaps = this.gaps.slice(this.gapHead);
      this.gapHead = 0;
    }
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
