import { describe, expect, it } from 'vitest';
import { createMasker } from '../mask/create-masker.js';
import { createExampleRng, githubStyleToken } from '../mask/lib/example-rng.js';
import { parsePolicy } from '../policy/load-policy.js';
import { maskerFor } from './masker-for.js';
import { countingPlan } from './lib/counting-plan.js';
import { createMaskingPlan } from './masking-plan.js';

const TOKEN = githubStyleToken(createExampleRng(3), 'ghp_');

describe('maskerFor', () => {
  const policy = parsePolicy(`
version: 1
targets: { db: { protocol: postgres } }
rules: []
masking:
  profiles:
    none: { detectors: [] }
    cols: { columns: { "*.secret": redact } }
`);

  it('masks with every built-in detector when no profile is named, or an unknown one', () => {
    for (const profile of [undefined, 'missing']) {
      expect(maskerFor(policy, profile).maskText(`t=${TOKEN}`).text).toBe('t=[REDACTED:github-token]');
    }
  });

  it('uses the named profile, compiled once', () => {
    expect(maskerFor(policy, 'none').maskText(`t=${TOKEN}`).text).toBe(`t=${TOKEN}`);
    expect(maskerFor(policy, 'none')).toBe(maskerFor(policy, 'none'));
  });

  it('names the profile that cannot be compiled', () => {
    const hashing = parsePolicy(`
version: 1
targets: { db: { protocol: postgres } }
rules: []
masking: { profiles: { h: { style: hash } } }
`);
    expect(() => maskerFor(hashing, 'h')).toThrow(/masking profile "h" cannot be used/);
  });
});

describe('createMaskingPlan().columns', () => {
  const plan = createMaskingPlan(createMasker({ columns: { 'public.t.secret': 'redact' } }));

  it('resolves each shape by its columns, however the shapes alternate', () => {
    const shapes = [
      [{ name: 'v', source: 'public.t.secret' }],
      [{ name: 'v' }],
      [{ name: 'v', text: false }],
      [{ name: 'v', source: 'public.t.other' }],
      [{ name: 'w' }],
      [{ name: 'v' }, { name: 'v' }],
    ];
    const expected = [
      ['[REDACTED:column]'],
      ['[REDACTED:github-token]'],
      [TOKEN],
      ['[REDACTED:github-token]'],
      ['[REDACTED:github-token]'],
      ['[REDACTED:github-token]', '[REDACTED:github-token]'],
    ];
    for (let round = 0; round < 3; round++) {
      shapes.forEach((columns, i) => {
        const row = columns.map(() => TOKEN);
        expect(plan.columns(columns).row(row)).toEqual(expected[i]);
        expect(plan.columns(columns).row(row)).toEqual(expected[i]);
      });
    }
  });

  it('skips content detection on columns that cannot carry text, unless a rule names them', () => {
    const shape = plan.columns([
      { name: 'n', text: false },
      { name: 's', text: false, source: 'public.t.secret' },
      { name: 'body' },
    ]);
    expect(shape.row([TOKEN, 42, `x ${TOKEN}`])).toEqual([
      TOKEN,
      '[REDACTED:column]',
      'x [REDACTED:github-token]',
    ]);
    expect(shape.masked).toBe(2);
  });

  it('masks object rows by name, a repeated name by its last column, and never changes the input', () => {
    const shape = plan.columns([{ name: 'a', source: 'public.t.secret' }, { name: 'a' }]);
    const row = { a: `v ${TOKEN}` };
    expect(shape.row(row)).toEqual({ a: 'v [REDACTED:github-token]' });
    expect(row.a).toBe(`v ${TOKEN}`);
  });

  it('gives a repeated value the same masking, and counts each replacement', () => {
    const shape = plan.columns([{ name: 'body' }]);
    for (let i = 0; i < 3; i++) expect(shape.value(0, TOKEN)).toBe('[REDACTED:github-token]');
    expect(shape.masked).toBe(3);
    expect(shape.value(0, null)).toBeNull();
  });

  it('masks a stream as it masks the whole text', () => {
    const text = `a ${TOKEN} b`;
    for (let cut = 0; cut <= text.length; cut += 5) {
      const s = plan.stream();
      expect(s.write(text.slice(0, cut)) + s.write(text.slice(cut)) + s.end()).toBe(plan.text(text));
    }
  });
});

describe('createMaskingPlan: result shapes', () => {
  const counting = () => {
    const masker = createMasker({ columns: { 'public.users.secret': 'redact' } });
    const calls = { ruled: 0, planned: 0, masked: 0 };
    const spied = {
      ...masker,
      columnRuled: (c: Parameters<typeof masker.columnRuled>[0]) => {
        calls.ruled++;
        return masker.columnRuled(c);
      },
      planColumn: (c: Parameters<typeof masker.planColumn>[0]) => {
        calls.planned++;
        const mask = masker.planColumn(c);
        return (v: unknown) => {
          calls.masked++;
          return mask(v);
        };
      },
    };
    return { plan: createMaskingPlan(spied), calls };
  };
  const shape = [
    { name: 'id', text: false },
    { name: 'note', source: 'public.users.note' },
    { name: 'secret', source: 'public.users.secret' },
  ];

  it('resolves a shape once, but remembers repeated values only within one result', () => {
    const { plan, calls } = counting();
    for (let i = 0; i < 3; i++) {
      const columns = plan.columns(shape);
      expect(columns.row({ id: 1, note: `t=${TOKEN}`, secret: 's' })).toEqual({
        id: 1,
        note: 't=[REDACTED:github-token]',
        secret: '[REDACTED:column]',
      });
      for (const id of [2, 3]) {
        expect(columns.row({ id, note: `t=${TOKEN}`, secret: 's' }).note).toBe('t=[REDACTED:github-token]');
      }
      expect(columns.masked).toBe(6);
    }
    expect(calls.ruled).toBe(3);
    expect(calls.planned).toBe(2);
    // Per result: the note masked as it came, and again when it came back, to be remembered
    // (most results hold one row: remembering only what repeats costs them nothing), then
    // remembered; the ruled secret on every row.
    expect(calls.masked).toBe(3 * (2 + 3));
  });

  it('masks a row in place as row() masks a copy: arrays, repeated names, unnamed keys, __proto__', () => {
    const { plan } = counting();
    const columns = [
      { name: 'id', text: false },
      { name: 'note', source: 'public.users.note' },
      { name: 'secret', source: 'public.users.secret' },
      { name: 'note' },
      { name: '__proto__' },
    ];
    const array = () => [7, `a ${TOKEN}`, 's', `b ${TOKEN}`, `c ${TOKEN}`, `extra ${TOKEN}`];
    // An own `__proto__` key, as a driver that copies a template object makes one.
    const object = () =>
      JSON.parse(
        `{"id":7,"note":"b ${TOKEN}","secret":"s","__proto__":"c ${TOKEN}","extra":"x ${TOKEN}"}`,
      ) as Record<string, unknown>;
    for (const make of [array, object]) {
      const copying = plan.columns(columns);
      const copy = copying.row(make());
      const given = make();
      const inPlace = plan.columns(columns);
      expect(inPlace.rowInPlace(given)).toBe(given);
      expect(given).toEqual(copy);
      expect(Object.getPrototypeOf(given)).toBe(Array.isArray(given) ? Array.prototype : Object.prototype);
      expect(JSON.stringify(given)).not.toContain(TOKEN);
      expect(inPlace.masked).toBe(copying.masked);
      expect(inPlace.masked).toBe(Array.isArray(given) ? 5 : 4);
    }
  });

  it('stops remembering a column whose values do not repeat, and masks and counts every value alike', () => {
    const { plan, calls } = counting();
    const labels: string[] = [];
    const columns = countingPlan(plan, (label) => labels.push(label)).columns(shape);
    // Distinct values first (the memo gives up), then one value repeated.
    const values = [
      ...Array.from({ length: 200 }, (_, i) => `n${i} ${TOKEN}`),
      ...Array.from({ length: 100 }, () => `same ${TOKEN}`),
    ];
    for (const note of values) {
      expect(columns.rowInPlace({ id: 1, note, secret: 's' })).toEqual({
        id: 1,
        note: note.replace(TOKEN, '[REDACTED:github-token]'),
        secret: '[REDACTED:column]',
      });
    }
    expect(columns.masked).toBe(2 * values.length);
    expect(labels.filter((l) => l === 'github-token')).toHaveLength(values.length);
    expect(labels.filter((l) => l === 'column')).toHaveLength(values.length);
    // Every note was masked on its own (the memo gave up before the repeats began; remembering
    // would have masked the repeated one once), and every secret (ruled: never remembered).
    expect(calls.masked).toBe(2 * values.length);
  });

  it('tells shapes apart whatever their names hold', () => {
    const { plan } = counting();
    const a = plan.columns([{ name: 'a1:b', source: 'public.users.secret' }]);
    const b = plan.columns([{ name: 'a', source: '1:bpublic.users.secret' }]);
    expect(a.row(['s'])).toEqual(['[REDACTED:column]']);
    expect(b.row([`t=${TOKEN}`])).toEqual(['t=[REDACTED:github-token]']);
  });
});
