import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DETECTORS } from '../catalog.js';
import type { KeywordDefinition } from './definition.js';
import { guardPasses, LOOKAHEAD, LOOKBEHIND } from './definition.js';
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

  // A key = value detector's match starts at its key, before the keyword (`back`): its guard
  // may turn away a keyword only where another keyword's hit starts the same match.
  it('lose no key = value match: every match a hit finds, a hit that passes finds', () => {
    const keyed = DETECTORS.filter(
      (d): d is KeywordDefinition =>
        d.kind === 'keyword' &&
        d.back !== undefined &&
        d.guard !== undefined &&
        d.guard.pattern === d.pattern,
    );
    expect(keyed.map((d) => d.id)).toContain('azure-search-key');
    // What the engine does for a hit: start at the run of back characters before it, run the
    // pattern in its window, keep a match whose secret the detector accepts.
    const found = (d: KeywordDefinition, text: string, h: number): string | undefined => {
      let n = 0;
      while (
        d.back !== undefined &&
        n < d.back.max &&
        h - n - 1 >= 0 &&
        d.back.chars(text.charCodeAt(h - n - 1))
      )
        n++;
      const s = h - n;
      const ws = Math.max(0, s - LOOKBEHIND);
      const window = text.slice(ws, s + d.maxLength + LOOKAHEAD);
      const re = new RegExp(d.pattern.source, d.pattern.flags);
      re.lastIndex = s - ws;
      const m = re.exec(window);
      if (m === null) return undefined;
      const secret = d.secretGroups?.map((g) => m.groups?.[g]).find((v) => v !== undefined) ?? m[0];
      return d.validate === undefined || d.validate(secret, m) ? `${s}:${secret}` : undefined;
    };
    const noise = fc.constantFrom(',', '=', ' ', '"', '_', '-', '.', 'x', 'A', '0', ':', '\n', 'é');
    fc.assert(
      fc.property(
        fc.constantFrom(...keyed),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), noise), { maxLength: 4 }),
        (d, seed, edits) => {
          const example = d.positives[seed % d.positives.length]?.(createExampleRng(seed));
          if (example === undefined) return;
          // the keyword again, here and there, and characters changed around the keywords
          let text = example.text;
          for (const [at, put] of edits) {
            const hits = keywordsAt(d, text);
            const [p, length] = hits[at % Math.max(1, hits.length)] ?? [0, 0];
            const q = at % 3 === 0 ? p : p + length;
            text =
              at % 2 === 0
                ? text.slice(0, q) + put + text.slice(q)
                : `${text.slice(0, q)}${put}${d.keywords[0]}${text.slice(q)}`;
          }
          const all = new Set<string>();
          const kept = new Set<string>();
          for (const [h, length] of keywordsAt(d, text)) {
            const f = found(d, text, h);
            if (f === undefined) continue;
            all.add(f);
            if (d.guard !== undefined && guardPasses(d.guard, text, h, length)) kept.add(f);
          }
          for (const f of all) {
            const passing = keywordsAt(d, text).some(
              ([h, length]) =>
                d.guard !== undefined && guardPasses(d.guard, text, h, length) && found(d, text, h) === f,
            );
            expect(passing).toBe(true);
          }
          expect([...kept].sort()).toEqual([...all].sort());
        },
      ),
      { numRuns: 3000 },
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
      ['azure-search-key', 'LOG_LEVEL=info\nFEATURE_FLAGS=search,checkout', 'search'],
    ];
    for (const [id, text, keyword] of cases) {
      const d = byId(id);
      const p = text.indexOf(keyword);
      expect(matchesAt(d, text, p)).toBe(false);
      expect(d.guard !== undefined && guardPasses(d.guard, text, p, keyword.length)).toBe(false);
    }
  });
});
