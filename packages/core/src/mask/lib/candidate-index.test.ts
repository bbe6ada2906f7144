import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DETECTORS } from '../catalog.js';
import { compileDetectors } from './compile-detectors.js';

// The combined walk must report exactly what the two separate scans report, for any window
// [from, to) of any text, ended or not, in an idle flush or not.
const set = compileDetectors(DETECTORS.map((d) => d.id));
const keywords = DETECTORS.flatMap((d) => (d.kind === 'keyword' ? d.keywords : []));

type Found = [kind: string, position: number, owners: number[], length: number];
const byPlace = (a: Found, b: Found): number =>
  a[0].localeCompare(b[0]) || a[1] - b[1] || a[3] - b[3] || a[2].join().localeCompare(b[2].join());

function separate(text: string, from: number, to: number, end: number, partial: boolean): Found[] {
  const found: Found[] = [];
  set.keywords.scan(text, from, to, (p, owners, length) => found.push(['k', p, [...owners], length]));
  set.seeds.scan(text, from, to, end, partial, (p, owners) => found.push(['s', p, [...owners], 0]));
  return found.sort(byPlace);
}

function combined(text: string, from: number, to: number, end: number, partial: boolean): Found[] {
  const found: Found[] = [];
  set.candidates.scan(
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

  it('reports the keywords and possible starts the separate scans report', () => {
    fc.assert(
      fc.property(texts, fc.nat(), fc.nat(), fc.nat(), fc.boolean(), (text, a, b, c, partial) => {
        const n = text.length;
        const from = n === 0 ? 0 : a % (n + 1);
        const to = from + (b % (n - from + 1));
        const end = to + (c % (n - to + 1));
        expect(combined(text, from, to, end, partial)).toEqual(separate(text, from, to, end, partial));
      }),
      { numRuns: 2000 },
    );
  });

  it('carries the walk across its blocks (texts longer than one block)', () => {
    const unit = 'x ghp_abc 4111 1111 password=1 GB82 WEST 1234 5698 7654 32 AB123456C ';
    const text = unit.repeat(200);
    for (const from of [0, 1, 4095, 4096, 4097, 9000]) {
      expect(combined(text, from, text.length, text.length, false)).toEqual(
        separate(text, from, text.length, text.length, false),
      );
    }
    expect(combined(text, 0, text.length, text.length, false).length).toBeGreaterThan(1000);
  });
});
