import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DETECTORS } from '../catalog.js';
import type { KeywordDefinition } from './definition.js';
import { guardPasses } from './definition.js';
import { createExampleRng } from './example-rng.js';

// A guard may only turn away keywords where the detector's pattern cannot match: wherever the
// pattern matches at a keyword, the guard must pass. Checked on every guarded detector's
// generated positives, and on them with the characters the guards read replaced (before the
// keyword, escapes included; just after it; at the literal's place).
const guarded = DETECTORS.filter(
  (d): d is KeywordDefinition =>
    d.kind === 'keyword' && d.guard !== undefined && d.guard.pattern === d.pattern,
);

function keywordsAt(d: KeywordDefinition, text: string): [number, number][] {
  const found: [number, number][] = [];
  const hay = d.ignoreCase ? text.toLowerCase() : text;
  for (const k of d.keywords) {
    const needle = d.ignoreCase ? k.toLowerCase() : k;
    for (let p = hay.indexOf(needle); p >= 0; p = hay.indexOf(needle, p + 1)) found.push([p, k.length]);
  }
  return found;
}

function matchesAt(d: KeywordDefinition, text: string, p: number): boolean {
  const re = new RegExp(d.pattern.source, d.pattern.flags);
  re.lastIndex = p;
  return re.exec(text) !== null;
}

const replacements = fc.constantFrom(
  'a',
  'Z',
  '0',
  '9',
  'f',
  'F',
  'x',
  '_',
  '-',
  '.',
  '/',
  '+',
  '=',
  ':',
  '"',
  "'",
  ' ',
  '\t',
  '\n',
  '$',
  '@',
  '%3D',
  '%2f',
  '\\n',
  '\\N',
  '\\t',
  '\\u003d',
  '\\U003D',
  '\\x',
  'é',
);

describe('keyword guards', () => {
  it('guards most token detectors', () => {
    expect(guarded.length).toBeGreaterThan(100);
  });

  it('pass wherever the pattern matches at a keyword', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...guarded),
        fc.nat(),
        fc.nat(),
        fc.constantFrom('before', 'first', 'literal'),
        replacements,
        (d, seed, which, where, put) => {
          const example = d.positives[seed % d.positives.length]?.(createExampleRng(seed));
          if (example === undefined) return;
          const hits = keywordsAt(d, example.text);
          if (hits.length === 0) return;
          const [p, length] = hits[which % hits.length] ?? [0, 0];
          const literalAt = d.guard?.literal?.at ?? 0;
          const q = where === 'before' ? p : p + length + (where === 'literal' ? literalAt : 0);
          // the example as it is, then with one place changed (before the keyword: inserted)
          const texts = [
            example.text,
            where === 'before'
              ? example.text.slice(0, q) + put + example.text.slice(q)
              : example.text.slice(0, q) + put + example.text.slice(q + 1),
          ];
          for (const [i, text] of texts.entries()) {
            const at = i === 1 && where === 'before' ? p + put.length : p;
            const guard = d.guard;
            if (guard !== undefined && matchesAt(d, text, at))
              expect(guardPasses(guard, text, at, length)).toBe(true);
          }
        },
      ),
      { numRuns: 20000 },
    );
  });

  it('turn away the noisy keywords of mixed text', () => {
    const byId = (id: string): KeywordDefinition => {
      const d = guarded.find((g) => g.id === id);
      if (d?.guard === undefined) throw new Error(`${id} has no guard`);
      return d;
    };
    const cases: [string, string, string][] = [
      ['twilio-api-key', '"sku":"SKU-1234"', 'SK'],
      ['airtable-pat', 'method=GET path=/api/v1/orders', 'pat'],
      ['ip-address', "VALUES (1, 'shipped', '2024-05-01')", 'ip'],
    ];
    for (const [id, text, keyword] of cases) {
      const d = byId(id);
      const p = text.indexOf(keyword);
      expect(matchesAt(d, text, p)).toBe(false);
      expect(d.guard !== undefined && guardPasses(d.guard, text, p, keyword.length)).toBe(false);
    }
  });
});
