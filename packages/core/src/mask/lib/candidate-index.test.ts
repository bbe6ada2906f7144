import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { DETECTORS } from '../catalog.js';
import { CandidateIndex } from './candidate-index.js';
import { compileDetectors } from './compile-detectors.js';
import type { DetectorSet } from './engine.js';
import type { CharTest } from './definition.js';
import { KeywordIndex } from './keyword-index.js';
import { SeedIndex, type SeedSpec } from './seed-index.js';

// The combined walk must report exactly what the two separate scans report, for any window
// [from, to) of any text, ended or not, in an idle flush or not.
const set = compileDetectors(DETECTORS.map((d) => d.id));
const keywords = DETECTORS.flatMap((d) => (d.kind === 'keyword' ? d.keywords : []));

type Found = [kind: string, position: number, owners: number[], length: number];
const byPlace = (a: Found, b: Found): number =>
  a[0].localeCompare(b[0]) || a[1] - b[1] || a[3] - b[3] || a[2].join().localeCompare(b[2].join());

function separate(
  text: string,
  from: number,
  to: number,
  end: number,
  partial: boolean,
  scanned: DetectorSet = set,
): Found[] {
  const found: Found[] = [];
  scanned.keywords.scan(text, from, to, (p, owners, length) => found.push(['k', p, [...owners], length]));
  scanned.seeds.scan(text, from, to, end, partial, (p, owners) => found.push(['s', p, [...owners], 0]));
  return found.sort(byPlace);
}

// The walk runs in WebAssembly where it can, and in JavaScript where it cannot: both are held
// to the separate scans.
const walks = [
  { name: 'WebAssembly', index: set.candidates },
  { name: 'JavaScript', index: new CandidateIndex(set.keywords, set.seeds, { wasm: false }) },
];

function combined(
  index: CandidateIndex,
  text: string,
  from: number,
  to: number,
  end: number,
  partial: boolean,
): Found[] {
  const found: Found[] = [];
  index.scan(
    text,
    from,
    to,
    end,
    partial,
    (p, owners, length) => found.push(['k', p, [...owners], length]),
    (p, owners) => found.push(['s', p, [...owners], 0]),
  );
  return found.sort(byPlace);
}

describe('CandidateIndex', () => {
  it('walks in WebAssembly here, and in JavaScript when told to', () => {
    expect(walks.map((w) => w.index.compiled)).toEqual([true, false]);
  });

  // A walk that cannot compile is not silent: three times as slow is worth a warning (once).
  it('warns once when its WebAssembly walk cannot compile, and walks in JavaScript', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const runtime = Object.getOwnPropertyDescriptor(globalThis, 'WebAssembly');
    try {
      Object.defineProperty(globalThis, 'WebAssembly', { value: undefined, configurable: true });
      const first = new CandidateIndex(set.keywords, set.seeds);
      const second = new CandidateIndex(set.keywords, set.seeds);
      expect([first.compiled, second.compiled]).toEqual([false, false]);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]?.[1]).toMatchObject({ code: 'PORTCULLIS_MASK_JS_WALK' });
    } finally {
      if (runtime !== undefined) Object.defineProperty(globalThis, 'WebAssembly', runtime);
      warn.mockRestore();
    }
    expect(new CandidateIndex(set.keywords, set.seeds).compiled).toBe(true);
  });

  // Keywords whole and in halves (in either case), runs that start and break the scan
  // detectors' runs, separators and non-ASCII.
  const piece = fc.oneof(
    fc.constantFrom(...keywords),
    fc.constantFrom(...keywords).map((k) => k.toUpperCase()),
    fc.constantFrom(...keywords).map((k) => k.slice(0, Math.ceil(k.length / 2))),
    fc.stringMatching(/^[0-9]{1,20}$/),
    fc.stringMatching(/^[A-Z0-9]{1,20}$/),
    fc.stringMatching(/^[A-Za-z0-9_-]{1,30}$/),
    fc.constantFrom(' ', '-', '_', ':', '.', '=', '@', '"', '\n', 'é', '中', '\u{1F600}', 'Q~', 'SK'),
  );
  const texts = fc.array(piece, { maxLength: 30 }).map((p) => p.join(''));

  // The walk's filters are built from the selection's tables (its scan detectors' start
  // characters, grouped): any selection, with no scan detector, only digit-led ones or only
  // letter-led ones, still walks in WebAssembly and reports what the separate scans report.
  it('walks in WebAssembly for any selection of detectors, as the separate scans report', () => {
    const scanIds = DETECTORS.filter((d) => d.kind === 'scan').map((d) => d.id);
    const keywordIds = DETECTORS.filter((d) => d.kind === 'keyword').map((d) => d.id);
    const selections = fc
      .tuple(fc.subarray(scanIds), fc.subarray(keywordIds, { maxLength: 8 }))
      .map(([scans, kws]) => [...scans, ...kws])
      .filter((ids) => ids.length > 0);
    fc.assert(
      fc.property(
        selections,
        fc.array(texts, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        (ids, some, partial) => {
          const chosen = compileDetectors(ids);
          expect(chosen.candidates.compiled).toBe(true);
          for (const text of some) {
            expect(combined(chosen.candidates, text, 0, text.length, text.length, partial)).toEqual(
              separate(text, 0, text.length, text.length, partial, chosen),
            );
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  describe.each(walks)('walked in $name', ({ index: walked }) => {
    it('reports the keywords and possible starts the separate scans report', () => {
      fc.assert(
        fc.property(texts, fc.nat(), fc.nat(), fc.nat(), fc.boolean(), (text, a, b, c, partial) => {
          const n = text.length;
          const from = n === 0 ? 0 : a % (n + 1);
          const to = from + (b % (n - from + 1));
          const end = to + (c % (n - to + 1));
          expect(combined(walked, text, from, to, end, partial)).toEqual(
            separate(text, from, to, end, partial),
          );
        }),
        { numRuns: 2000 },
      );
    });

    // A long window is walked as two halves side by side: keywords across the middle, and
    // the character before the second half (notAfter), must come out as one walk finds them.
    it('walks a long window in two halves as one walk would', () => {
      const long = fc.array(piece, { minLength: 150, maxLength: 700 }).map((p) => p.join(''));
      fc.assert(
        fc.property(long, fc.nat(), fc.nat(), fc.nat(), fc.boolean(), (text, a, b, c, partial) => {
          const n = text.length;
          const from = a % (Math.floor(n / 4) + 1);
          const to = n - (b % (Math.floor(n / 4) + 1));
          const end = to + (c % (n - to + 1));
          expect(combined(walked, text, from, to, end, partial)).toEqual(
            separate(text, from, to, end, partial),
          );
        }),
        { numRuns: 300 },
      );
    });

    // A long window is walked in lanes side by side (halves in JavaScript, quarters in
    // WebAssembly), each starting in the state the characters before it leave: a keyword as
    // long as the automaton is deep, at every place across each seam, must still be found.
    it('finds the longest keyword across every seam of a window walked in lanes', () => {
      const longest = keywords.reduce((a, b) => (b.length > a.length ? b : a));
      const n = 2400;
      for (const seam of [600, 1200, 1800]) {
        for (let into = 1; into < longest.length; into++) {
          const start = seam - into;
          const text = ' '.repeat(start) + longest + ' '.repeat(n - start - longest.length);
          const found = combined(walked, text, 0, n, n, false);
          expect(found).toEqual(separate(text, 0, n, n, false));
          expect(found.some(([kind, p]) => kind === 'k' && p === start)).toBe(true);
        }
      }
    });

    it('carries the walk across its blocks (texts longer than one block)', () => {
      const unit = 'x ghp_abc 4111 1111 password=1 GB82 WEST 1234 5698 7654 32 AB123456C ';
      const text = unit.repeat(200);
      for (const from of [0, 1, 4095, 4096, 4097, 9000]) {
        expect(combined(walked, text, from, text.length, text.length, false)).toEqual(
          separate(text, from, text.length, text.length, false),
        );
      }
      expect(combined(walked, text, 0, text.length, text.length, false).length).toBeGreaterThan(1000);
    });
  });

  // Runs that end acceptably within the few characters the walk tests ahead of a start, then
  // go on with characters outside the run: those starts must still be reported.
  // Pass 2 of the WebAssembly walk drops a digit not followed by two characters some digit
  // detector allows next, reading a unit past ASCII as a byte of 0x80 or more (中) or as 0 (가,
  // a surrogate): each of those must count as allowed, as the detectors' own tests see them.
  it('keeps every start whose next characters a detector allows, past ASCII too', () => {
    const digit: CharTest = (c) => c >= 48 && c <= 57;
    const upper: CharTest = (c) => c >= 65 && c <= 90;
    const alnum: CharTest = (c) => digit(c) || upper(c) || (c >= 97 && c <= 122);
    const specs: SeedSpec[] = [
      { first: digit, notAfter: digit, run: (c) => digit(c) || c >= 128, min: 3 },
      { first: digit, notAfter: alnum, run: (c) => digit(c) || c === 88, min: 3 },
      { first: upper, notAfter: alnum, run: alnum, min: 2 },
    ];
    const seeds = new SeedIndex(specs.map((spec, owner) => ({ spec, owner })));
    const text = fc
      .array(fc.constantFrom('1', '2', 'X', 'x', 'A', 'b', '-', ' ', '中', '가', '\u{1F600}'), {
        maxLength: 90,
      })
      .map((a) => a.join(''));
    expectStartsAsSeedsScan(seeds, 'zz', text);
  });

  it('tests the characters ahead of a start as the run walk would judge them', () => {
    const digit: CharTest = (c) => c >= 48 && c <= 57;
    const lower: CharTest = (c) => c >= 97 && c <= 122;
    const alnum: CharTest = (c) => digit(c) || lower(c) || (c >= 65 && c <= 90);
    const specs: SeedSpec[] = [
      // two digits then a dash, then anything
      { first: digit, notAfter: alnum, run: digit, min: 2, accept: (n, next) => n === 2 && next === 45 },
      // three letters, then anything
      { first: lower, notAfter: alnum, run: lower, min: 3 },
      // one digit, then a shape over the next five characters
      {
        first: digit,
        notAfter: () => false,
        run: digit,
        min: 1,
        shape: [lower, lower, digit, () => true, digit],
      },
      // a long run judged on its length and the character after it
      { first: lower, notAfter: digit, run: alnum, min: 1, accept: (n, next) => n >= 6 && next !== 33 },
      // a run that holds non-ASCII characters, judged on the character after it (é refused)
      {
        first: lower,
        notAfter: digit,
        run: (c) => c >= 128 || lower(c),
        min: 1,
        accept: (n, next) => n >= 3 && next !== 0xe9,
      },
      // a shape that refuses non-ASCII at its second offset
      { first: digit, notAfter: () => false, run: digit, min: 1, shape: [() => true, (c) => c < 128] },
    ];
    const seeds = new SeedIndex(specs.map((spec, owner) => ({ spec, owner })));
    const text = fc
      .array(fc.constantFrom('1', '2', 'a', 'b', 'Z', '-', '!', ' ', 'é'), { maxLength: 40 })
      .map((a) => a.join(''));
    expectStartsAsSeedsScan(seeds, 'ab-', text);
  });
});

/**
 * Both walks (WebAssembly and JavaScript) report, on random texts cut at random ends, the
 * possible starts `seeds.scan` reports, beside a keyword index holding `keyword`.
 */
function expectStartsAsSeedsScan(seeds: SeedIndex, keyword: string, text: fc.Arbitrary<string>): void {
  const words = new KeywordIndex([{ keyword, ignoreCase: false, owner: 9 }]);
  const indexes = [new CandidateIndex(words, seeds), new CandidateIndex(words, seeds, { wasm: false })];
  fc.assert(
    fc.property(text, fc.nat(), fc.boolean(), (t, c, partial) => {
      const end = t.length - (c % (t.length + 1));
      const want: [number, number[]][] = [];
      seeds.scan(t, 0, end, end, partial, (p, o) => want.push([p, [...o]]));
      for (const index of indexes) {
        const got: [number, number[]][] = [];
        index.scan(
          t,
          0,
          end,
          end,
          partial,
          () => undefined,
          (p, o) => got.push([p, [...o]]),
        );
        expect(got).toEqual(want);
      }
    }),
    { numRuns: 3000 },
  );
}
