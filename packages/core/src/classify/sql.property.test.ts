import fc from 'fast-check';
import { loadModule, parseSync } from 'libpg-query';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Action } from '../types.js';
import table from './sql/data/pg-functions.json' with { type: 'json' };
import { OPERATION_VOCABULARY } from '../policy/vocabulary.js';
import { dangerousFunctions } from './sql/data/pg-function-review.js';
import { analyzeSql, classifySql, loadSqlClassifier } from './sql.js';

// Every action must use the policy vocabulary: a name outside it could never be matched by a rule.
const vocabulary = new Set(OPERATION_VOCABULARY.postgres);

const UNKNOWN: readonly Action[] = [{ operation: 'unknown' }];

const seeds = [
  'SELECT * FROM t WHERE a = 1',
  "SELECT E'\\';DROP TABLE t; --' FROM u",
  "SELECT 'a\\'' ; DROP TABLE t; --'",
  'WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d',
  'INSERT INTO a SELECT * FROM b ON CONFLICT (id) DO UPDATE SET x = 1 RETURNING *',
  'UPDATE t SET a = u.a FROM u WHERE t.id = u.id',
  'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE',
  'COPY (SELECT * FROM t) TO PROGRAM $$cat$$',
  '/* /* */ DROP */ SELECT $tag$ ; DELETE FROM x; $tag$',
  "EXPLAIN ANALYZE UPDATE t SET a = nextval('s')",
  'CREATE TABLE x (id int DEFAULT f() CHECK (id > 0)); GRANT SELECT ON x TO bob',
  "DO $$ BEGIN PERFORM pg_sleep(1); END $$; SET ROLE admin; SELECT set_config('a', 'b', false)",
  'PREPARE p AS SELECT 1; EXECUTE p; DEALLOCATE p',
  'SELECT * FROM t FOR UPDATE OF t; LOCK u; VACUUM v; LISTEN c; NOTIFY c',
];

beforeAll(async () => {
  await Promise.all([loadSqlClassifier(), loadModule()]);
});

/** Whether libpg-query itself (without the classifier) parses the text into at least one statement. */
function parses(sql: string): boolean {
  try {
    return (parseSync(sql) as { stmts?: unknown[] }).stmts?.length !== 0;
  } catch {
    return false;
  }
}

function wellFormed(actions: readonly Action[]): void {
  expect(actions.length).toBeGreaterThan(0);
  for (const action of actions) {
    expect(vocabulary.has(action.operation)).toBe(true);
    if (action.resource !== undefined) expect(typeof action.resource).toBe('string');
  }
}

// Characters that matter to the lexer: quotes, escapes, comments, dollar quotes, separators.
const lexical = fc.constantFrom(
  "'", '"', ';', '\\', '$', '-', '/', '*', 'E', 'e', '(', ')', '\n', ' ', 'U&', '$$', '$a$', '--', '/*', '*/',
); // prettier-ignore

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(lexical, fc.string()) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), text: lexical }),
);

const mutated = fc
  .tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 6 }))
  .map(([seed, mutations]) =>
    mutations.reduce((sql, m) => {
      const at = sql.length === 0 ? 0 : m.at % (sql.length + 1);
      if (m.kind === 'insert') return sql.slice(0, at) + m.text + sql.slice(at);
      if (m.kind === 'delete') return sql.slice(0, at) + sql.slice(at + m.length);
      return sql.slice(0, at) + m.text + sql.slice(at + 1);
    }, seed),
  );

describe('classifySql properties', () => {
  it('never throws on arbitrary text, and what does not parse is exactly unknown', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string()),
        (sql) => {
          const actions = classifySql(sql);
          wellFormed(actions);
          if (!parses(sql)) expect(actions).toEqual(UNKNOWN);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws on mutated SQL, and what does not parse is exactly unknown', () => {
    fc.assert(
      fc.property(mutated, (sql) => {
        const actions = classifySql(sql);
        wellFormed(actions);
        if (!parses(sql)) expect(actions).toEqual(UNKNOWN);
        // analyzeSql agrees with classifySql.
        expect(analyzeSql(sql).actions).toEqual(actions);
      }),
      { numRuns: 1500 },
    );
  });

  it('a literal, quoted identifier or comment holding any text is just a select', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 60 }).filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(text, (s) => {
        const escaped = s.replaceAll('\\', '\\\\').replaceAll("'", "\\'");
        expect(classifySql(`SELECT E'${escaped}'`)).toEqual([{ operation: 'select' }]);
        if (!s.includes('\\')) {
          expect(classifySql(`SELECT '${s.replaceAll("'", "''")}'`)).toEqual([{ operation: 'select' }]);
        }
        if (!s.includes('$q$')) expect(classifySql(`SELECT $q$${s}$q$`)).toEqual([{ operation: 'select' }]);
        if (s.length > 0) {
          expect(classifySql(`SELECT 1 AS "${s.replaceAll('"', '""')}"`)).toEqual([{ operation: 'select' }]);
        }
        if (!s.includes('*/') && !s.includes('/*')) {
          expect(classifySql(`SELECT 1 /* ${s} */`)).toEqual([{ operation: 'select' }]);
        }
        if (!/[\n\r]/.test(s)) expect(classifySql(`SELECT 1 -- ${s}`)).toEqual([{ operation: 'select' }]);
      }),
      { numRuns: 500 },
    );
  });

  it('statement spans are string indices whatever the text holds', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 40 });
    fc.assert(
      fc.property(text, text, (x, y) => {
        const first = `SELECT '${x.replaceAll("'", "''").replaceAll('\0', '')}'`;
        const second = `SELECT "${y.replaceAll('"', '""').replaceAll('\0', '') || 'y'}"`;
        const { statements } = analyzeSql(`${first}; ${second}`);
        expect(statements.map((st) => st.text)).toEqual([first, second]);
      }),
      { numRuns: 300 },
    );
  });

  it('a multi-statement text has at least the actions of each statement', () => {
    // Self-contained statements (no unterminated comment or literal that would swallow the next).
    const statements = fc.constantFrom(
      'SELECT * FROM t WHERE a = 1',
      "SELECT E'\\';DROP TABLE t; --' FROM u",
      'WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d',
      'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE',
      "EXPLAIN ANALYZE UPDATE t SET a = nextval('s')",
      'SET ROLE admin',
      'PREPARE p AS SELECT 1',
      'LOCK u',
      'COPY t TO STDOUT',
      '/* ; DROP TABLE x; */ SELECT 1',
    );
    fc.assert(
      fc.property(fc.array(statements, { minLength: 1, maxLength: 4 }), (parts) => {
        const whole = classifySql(parts.join('; '));
        const each = parts.flatMap((p) => classifySql(p));
        if (whole.length === 1 && whole[0]!.operation === 'unknown') return;
        for (const action of each) expect(whole).toContainEqual(action);
      }),
      { numRuns: 300 },
    );
  });

  it('qualifying a built-in with pg_catalog never drops an action of the bare call', () => {
    const names = [...table.volatile, ...table.sideEffectFree, ...Object.keys(dangerousFunctions)];
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.constantFrom('', 'mydb.'), (name, catalog) => {
        const bare = classifySql(`SELECT ${name}(1)`);
        if (bare.length === 1 && bare[0]!.operation === 'unknown') return;
        const qualified = classifySql(`SELECT ${catalog}pg_catalog.${name}(1)`);
        for (const action of bare) expect(qualified).toContainEqual(action);
      }),
      { numRuns: 500 },
    );
  });

  it('case and quoting of a name fold as PostgreSQL folds them', () => {
    const ident = fc.stringMatching(/^[a-z_][a-z0-9_]{0,20}$/);
    const casing = fc.array(fc.boolean(), { minLength: 21, maxLength: 21 });
    fc.assert(
      fc.property(ident, casing, (name, upper) => {
        const mixed = name.replace(/./g, (c, i: number) => (upper[i] === true ? c.toUpperCase() : c));
        const quoted = classifySql(`SELECT * FROM "${name}"`);
        expect(quoted).toEqual([{ operation: 'select', resource: name }]);
        // Reserved words do not parse unquoted; every other spelling is the same table.
        const plain = classifySql(`SELECT * FROM ${mixed}`);
        if (plain[0]?.operation !== 'unknown') expect(plain).toEqual(quoted);
      }),
      { numRuns: 500 },
    );
  });
});
