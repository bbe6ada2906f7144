import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DETECTORS } from '../catalog.js';
import type { ScanDefinition } from './definition.js';
import { createExampleRng } from './example-rng.js';
import { SeedIndex, type SeedSpec } from './seed-index.js';

const RUN_CAP = 32;

// Whether a run of `n` characters that reaches the end of the text may still grow into one the
// detector's test accepts (an idle flush keeps only such starts).
function mayStillEnd(spec: SeedSpec, n: number): boolean {
  const cap = spec.accept === undefined ? spec.min : RUN_CAP;
  const nexts = [-1, 0xe9, 0x4e2d, ...Array.from({ length: 128 }, (_, c) => c)];
  for (let m = n; m <= cap; m++) {
    if (spec.accept === undefined ? m >= spec.min : nexts.some((c) => spec.accept?.(m, c) === true))
      return true;
  }
  return false;
}

// The definition of a possible start, one detector at a time: the first character, the
// character before, then the run counted to `min` (or to 32 when the detector judges the run).
function reference(specs: readonly SeedSpec[], text: string, end: number, partial: boolean) {
  const hits: [number, number[]][] = [];
  for (let p = 0; p < text.length; p++) {
    const c = text.charCodeAt(p);
    if (c >= 128) continue;
    const owners: number[] = [];
    specs.forEach((spec, i) => {
      if (!spec.first(c)) return;
      if (p > 0 && spec.notAfter(text.charCodeAt(p - 1))) return;
      const cap = spec.accept === undefined ? spec.min : RUN_CAP;
      let n = 1;
      while (n < cap && p + n < end && spec.run(text.charCodeAt(p + n))) n++;
      const next = p + n < end ? text.charCodeAt(p + n) : -1;
      if (!(
        (partial && p + n >= end && mayStillEnd(spec, n)) ||
        (spec.accept === undefined ? n >= spec.min : spec.accept(n, next))
      ))
        return;
      // then the shape: each character at offset k passes its test; past the end only a
      // partial scan keeps the start
      for (const [k, test] of (spec.shape ?? []).entries()) {
        const at = p + k + 1;
        if (at >= end) {
          if (partial) break;
          return;
        }
        if (!test(text.charCodeAt(at))) return;
      }
      owners.push(i);
    });
    if (owners.length > 0) hits.push([p, owners]);
  }
  return hits;
}

const scans = DETECTORS.filter((d): d is ScanDefinition => d.kind === 'scan');
const specs = scans.map((d) => d.seed);
const index = new SeedIndex(specs.map((spec, owner) => ({ spec, owner })));
const scanned = (text: string, partial: boolean) => {
  const hits: [number, number[]][] = [];
  index.scan(text, 0, text.length, text.length, partial, (p, owners) => hits.push([p, [...owners]]));
  return hits;
};

describe('SeedIndex', () => {
  it('finds exactly the starts the per-detector definition finds, for the built-in scan detectors', () => {
    expect(specs.length).toBeGreaterThan(5);
    // Runs of characters that start, continue and break the built-in runs (digits, capitals,
    // letters, separators, non-ASCII), long enough to reach every detector's count.
    const run = (chars: string) =>
      fc.array(fc.constantFrom(...Array.from(chars)), { minLength: 1, maxLength: 40 }).map((a) => a.join(''));
    const segment = fc.oneof(
      run('0123456789'),
      run('0123456789X'),
      run('ABCDEFGSTXZ0123456789'),
      run('abxzAB09'),
      run(' -_:.+/=\n\t'),
      run('é中a'),
    );
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), fc.boolean(), (segments, partial) => {
        const text = segments.join('');
        expect(scanned(text, partial)).toEqual(reference(specs, text, text.length, partial));
      }),
      { numRuns: 3000 },
    );
  });

  // A start the pre-pass skips is one where the detector can find nothing: its pattern does
  // not match there, or what it matches never passes its validation (a card scheme starts with
  // 2 to 6, so the card's pre-pass starts nowhere else).
  it('reports every start where a scan detector finds something (the pre-pass never loses a finding)', () => {
    const anchored = scans.map((d) => new RegExp(d.pattern.source, 'y'));
    const rng = createExampleRng(11);
    const positives = scans.flatMap((d) => d.positives.map((make) => make(rng).text));
    const piece = fc.oneof(
      fc.constantFrom(...positives),
      fc.stringMatching(/^[0-9]{1,20}$/),
      fc.stringMatching(/^[A-Z0-9]{1,20}$/),
      fc.stringMatching(/^[A-Za-z0-9_-]{1,30}$/),
      fc.constantFrom(' ', '-', '_', ':', '.', '\n', 'é', 'X', 'GB', 'DE89', 'AB'),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const text = pieces.join('');
        const starts = new Map(scanned(text, false));
        for (let p = 0; p < text.length; p++) {
          anchored.forEach((re, i) => {
            re.lastIndex = p;
            const m = re.exec(text);
            const validate = scans[i]?.validate;
            if (m !== null && (validate === undefined || validate(m[0], m)))
              expect(starts.get(p) ?? []).toContain(i);
          });
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('judges long runs at the cap, not at their end (cards: 13 digits or more)', () => {
    const text = `card ${'4'.repeat(40)} end 4111 1111`;
    expect(scanned(text, false)).toEqual(reference(specs, text, text.length, false));
    expect(scanned(text, false).map(([p]) => p)).toContain(5);
  });
});
