// The gate's RowDescription handling against pg's own: for any column names and types, over
// several statements of one query, pg makes the same rows from what each leaves behind.
import fc from 'fast-check';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  describesFast,
  handleRowDescription,
  type DescribedField,
  type DescribedQuery,
} from './row-description.js';

// pg's own handler, as every pg.Query has it.
const { handleRowDescription: pgHandle } = pg.Query.prototype as unknown as {
  handleRowDescription: (this: unknown, message: unknown) => void;
};

const noop = (): void => undefined;
const newQuery = (): DescribedQuery => new pg.Query('SELECT', undefined, noop) as unknown as DescribedQuery;

/** Every own key of a row in order, with its descriptor: what a caller could tell apart. */
function described(row: unknown): unknown {
  const object = row as object;
  return {
    proto: Object.getPrototypeOf(object) === Object.prototype,
    keys: Reflect.ownKeys(object).map((key) => [key, Object.getOwnPropertyDescriptor(object, key)]),
  };
}

// text, int4, bool, json, timestamptz, int8, numeric, an unknown type.
const TYPES = [25, 23, 16, 114, 1184, 20, 1700, 99999];
const VALUE_OF: Record<number, fc.Arbitrary<string>> = {
  23: fc.integer().map(String),
  16: fc.constantFrom('t', 'f'),
  114: fc.constantFrom('{"a":1}', '[1,2]', '"s"'),
  1184: fc.constantFrom('2026-01-01 00:00:00+00', '1999-12-31 23:59:59.5+02'),
  20: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  1700: fc.constantFrom('1.50', '-0.0001', 'NaN'),
};

const name = fc.oneof(
  fc.constantFrom(
    'id',
    'a',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    '0',
    '7',
    '',
    'é',
    'ключ',
  ),
  fc.string({ maxLength: 6 }),
);
const column = fc.record({ name, dataTypeID: fc.constantFrom(...TYPES) });
const statement = fc
  .array(column, { maxLength: 8 })
  .chain((fields) =>
    fc.tuple(
      fc.constant(fields),
      fc.array(
        fc.tuple(
          ...fields.map((f) =>
            fc.option(VALUE_OF[f.dataTypeID] ?? fc.string({ maxLength: 8 }), { nil: null }),
          ),
        ),
        { minLength: 1, maxLength: 3 },
      ),
    ),
  );

describe('handleRowDescription', () => {
  afterEach(() => {
    delete (Object.prototype as Record<string, unknown>)['planted'];
  });

  it('takes the fast way with the pg this repository installs', () => {
    // If this fails after a pg upgrade, pg's own handler runs (correct, slower): see the module.
    expect(describesFast()).toBe(true);
  });

  it('leaves every statement of a query as pg does, for any names and types', () => {
    fc.assert(
      fc.property(fc.array(statement, { minLength: 1, maxLength: 3 }), (statements) => {
        const ours = newQuery();
        const theirs = newQuery();
        for (const [fields, rows] of statements) {
          const described_: DescribedField[] = fields.map((f) => ({ ...f, format: 'text' }));
          handleRowDescription(ours, { fields: described_ });
          pgHandle.call(theirs, { fields: described_ });
          expect(ours._accumulateRows).toBe(theirs._accumulateRows);
          expect(ours._result.fields).toBe(described_);
          for (const values of rows) {
            const mine = ours._result.parseRow(values);
            const pgs = theirs._result.parseRow(values);
            expect(described(mine)).toEqual(described(pgs));
          }
          ours.handleCommandComplete({ text: `SELECT ${rows.length}` }, undefined);
          theirs.handleCommandComplete({ text: `SELECT ${rows.length}` }, undefined);
        }
        const count = (q: DescribedQuery): number => (Array.isArray(q._results) ? q._results.length : 1);
        expect(count(ours)).toBe(count(theirs));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps rows apart: a row changed by its caller changes neither the next row nor the template', () => {
    const query = newQuery();
    handleRowDescription(query, { fields: [{ name: 'email', dataTypeID: 25, format: 'text' }] });
    const first = query._result.parseRow(['a@example.com']) as Record<string, unknown>;
    first['email'] = 'changed';
    first['extra'] = 1;
    const again = newQuery();
    handleRowDescription(again, { fields: [{ name: 'email', dataTypeID: 25, format: 'text' }] });
    expect(again._result.parseRow(['b@example.com'])).toEqual({ email: 'b@example.com' });
  });

  it('makes a column named as a setter planted on Object.prototype an own value, as pg does', () => {
    const seen: unknown[] = [];
    Object.defineProperty(Object.prototype, 'planted', {
      configurable: true,
      set: (value: unknown) => seen.push(value),
      get: () => 'from the prototype',
    });
    const query = newQuery();
    handleRowDescription(query, { fields: [{ name: 'planted', dataTypeID: 25, format: 'text' }] });
    const row = query._result.parseRow(['the value']) as Record<string, unknown>;
    expect(Object.getOwnPropertyDescriptor(row, 'planted')?.value).toBe('the value');
    expect(seen).toEqual([]);
  });

  it("uses a client's own type parsers, as pg does", () => {
    const client = new pg.Client({ types: { getTypeParser: () => (v: string) => `parsed ${v}` } });
    const query = newQuery();
    // What pg's client.query does before it submits a query.
    (query._result as unknown as { _types: unknown })._types = (
      client as unknown as { _types: unknown }
    )._types;
    handleRowDescription(query, { fields: [{ name: 'n', dataTypeID: 23, format: 'text' }] });
    expect(query._result.parseRow(['5'])).toEqual({ n: 'parsed 5' });
  });
});
