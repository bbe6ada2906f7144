import { beforeAll, describe, expect, it } from 'vitest';
import { loadSqlClassifier } from '../sql.js';
import { sqlLineage, type ProtectedColumn } from './lineage.js';

beforeAll(async () => {
  await loadSqlClassifier();
});

// public.api_keys.secret is protected (an unqualified api_keys is taken to be public's).
const rule: ProtectedColumn = (schema, table, column) =>
  (schema ?? 'public') === 'public' && table === 'api_keys' && (column === 'secret' || column === undefined)
    ? 'public.api_keys.secret'
    : undefined;

const outputs = (sql: string) => {
  const l = sqlLineage(sql, rule);
  expect(l.denied).toBeUndefined();
  return l.statements[0]?.outputs?.map((o) => o.kind);
};

describe('sqlLineage: outputs', () => {
  it.each([
    ['SELECT secret FROM api_keys', ['bare']],
    ['SELECT k.secret AS x, id FROM public.api_keys k', ['bare', 'clean']],
    ["SELECT secret || '' FROM api_keys", ['derived']],
    ['SELECT reverse(secret) FROM api_keys', ['derived']],
    ["SELECT encode(convert_to(secret, 'UTF8'), 'base64') FROM api_keys", ['derived']],
    ['SELECT substr(secret, 1, 4), substr(secret, 5) FROM api_keys', ['derived', 'derived']],
    ['SELECT secret::int FROM api_keys', ['derived']],
    ["SELECT string_agg(secret, ',') FROM api_keys", ['derived']],
    ['SELECT max(secret) FROM api_keys', ['derived']],
    ['SELECT row_to_json(k) FROM api_keys k', ['derived']],
    ['SELECT k FROM api_keys k', ['derived']],
    ['SELECT to_json(k.*) FROM api_keys k', ['derived']],
    ['SELECT s FROM (SELECT secret AS s FROM api_keys) x', ['bare']],
    ["SELECT s FROM (SELECT secret || 'x' AS s FROM api_keys) x", ['derived']],
    ['WITH c AS (SELECT secret FROM api_keys) SELECT upper(secret) FROM c', ['derived']],
    ['WITH c(v) AS (SELECT secret FROM api_keys) SELECT * FROM c', ['bare']],
    ["SELECT 'a' UNION ALL SELECT secret FROM api_keys", ['derived']],
    ['SELECT (SELECT secret FROM api_keys LIMIT 1)', ['derived']],
    ['SELECT ARRAY(SELECT secret FROM api_keys)', ['derived']],
    ['SELECT t.c FROM api_keys AS t(a, b, c)', ['derived']],
    ["SELECT t.c || '' FROM api_keys AS t(a, b, c)", ['derived']],
    ["SELECT j->>'secret' FROM (SELECT to_jsonb(k) j FROM api_keys k) q", ['derived']],
    ['SELECT x FROM api_keys, LATERAL (SELECT secret) s(x)', ['bare']],
    ['SELECT (api_keys).secret FROM api_keys', ['derived']],
    ['SELECT id, name FROM public.orders', ['clean', 'clean']],
    ['SELECT secret FROM other.api_keys', ['clean']],
    [
      'WITH RECURSIVE c AS (SELECT secret FROM api_keys) SEARCH BREADTH FIRST BY secret SET o SELECT o FROM c',
      ['derived'],
    ],
  ])('%s', (sql, kinds) => {
    expect(outputs(sql)).toEqual(kinds);
  });

  it('a * over a table leaves positions to the catalog but still reports derived outputs', () => {
    const l = sqlLineage("SELECT *, secret || '' FROM api_keys", rule);
    expect(l.statements[0]?.outputs).toBeUndefined();
    expect(l.statements[0]?.derived).toBe('public.api_keys.secret');
  });
});

describe('sqlLineage: reads outside outputs are denied', () => {
  it.each([
    "SELECT id FROM api_keys WHERE secret LIKE 'a%'",
    'SELECT id FROM api_keys ORDER BY secret',
    'SELECT count(*) FROM api_keys GROUP BY secret',
    'SELECT 1 FROM api_keys HAVING max(secret) > $1',
    'SELECT o.id FROM orders o JOIN api_keys k ON k.secret = o.note',
    'SELECT id FROM orders WHERE EXISTS (SELECT 1 FROM api_keys WHERE secret > $1)',
    'SELECT id FROM orders WHERE note IN (SELECT secret FROM api_keys)',
    "SELECT CASE WHEN secret LIKE 'a%' THEN 1 ELSE 0 END FROM api_keys",
    "SELECT id FROM api_keys k WHERE k::text LIKE '%a%'",
    'SELECT DISTINCT ON (secret) id FROM api_keys',
    'SELECT count(*) FILTER (WHERE secret > $1) FROM api_keys',
    'WITH c AS (SELECT secret FROM api_keys) SELECT 1 FROM c WHERE secret = $1',
    'UPDATE orders SET note = (SELECT secret FROM api_keys LIMIT 1)',
    'INSERT INTO orders (note) SELECT secret FROM api_keys',
    'CREATE TABLE copy AS SELECT secret FROM api_keys',
    'SELECT secret INTO copy FROM api_keys',
    'CREATE VIEW v AS SELECT secret FROM api_keys',
    'COPY api_keys TO STDOUT',
    'DELETE FROM api_keys WHERE secret = $1',
    'SELECT id FROM api_keys WHERE $1 = secret',
    'SELECT id, sum(1) OVER (PARTITION BY secret) FROM api_keys',
    // Found in the red-team pass: outputs named by position or alias, comparisons of whole
    // outputs, and columns a CTE's SEARCH clause builds from them.
    'SELECT id, secret FROM api_keys ORDER BY 2',
    'SELECT secret AS s FROM api_keys ORDER BY s',
    'SELECT secret AS s, count(*) FROM api_keys GROUP BY 1',
    'SELECT 1 FROM api_keys NATURAL JOIN api_keys k2',
    'SELECT DISTINCT ON (1) secret, id FROM api_keys',
    'SELECT DISTINCT secret FROM api_keys',
    "SELECT secret FROM api_keys UNION SELECT 'guess'",
    "SELECT secret FROM api_keys INTERSECT SELECT 'guess'",
    "SELECT 'guess' EXCEPT ALL SELECT secret FROM api_keys",
    "SELECT secret AS s FROM api_keys UNION ALL SELECT 'x' ORDER BY 1",
  ])('%s', (sql) => {
    expect(sqlLineage(sql, rule).denied).toMatch(/public\.api_keys\.secret/);
  });

  it.each([
    "UPDATE api_keys SET secret = 'new' WHERE id = 1",
    'SELECT id FROM api_keys WHERE id = 1 ORDER BY id',
    "INSERT INTO api_keys (id, secret) VALUES (1, 'x')",
    'SELECT o.id FROM orders o JOIN api_keys k ON k.id = o.id',
  ])('allows %s', (sql) => {
    expect(sqlLineage(sql, rule).denied).toBeUndefined();
  });

  it('a deep expression is denied rather than walked without bound', () => {
    const deep = `SELECT ${'('.repeat(400)}1${')'.repeat(400)}`;
    expect(() => sqlLineage(deep, rule)).not.toThrow();
  });
});

describe('sqlLineage: a rule that allows predicates', () => {
  // public.users.email may be searched and sorted on; public.api_keys.secret may not.
  const mixed: ProtectedColumn = (schema, table, column) => {
    if ((schema ?? 'public') !== 'public') return undefined;
    if (table === 'users' && (column === 'email' || column === undefined))
      return { label: 'public.users.email', predicates: column !== undefined };
    return rule(schema, table, column);
  };

  it.each([
    'SELECT id FROM users WHERE email = $1',
    'SELECT id FROM users ORDER BY email',
    'SELECT count(*) FROM users GROUP BY lower(email)',
    'SELECT u.id FROM users u JOIN orders o ON o.note = u.email',
    'SELECT id FROM orders WHERE note IN (SELECT email FROM users)',
    "SELECT CASE WHEN email LIKE '%@x' THEN 1 END FROM users",
    'DELETE FROM users WHERE email = $1',
    'UPDATE users SET name = $1 WHERE email = $2',
  ])('allows %s', (sql) => {
    expect(sqlLineage(sql, mixed).denied).toBeUndefined();
  });

  it.each([
    ['SELECT id FROM users WHERE email = $1 AND secret IS NULL', 'not a column of users'],
    ['SELECT u.id FROM users u, api_keys k WHERE u.email || k.secret = $1', 'mixed with a strict column'],
    ["SELECT id FROM users u WHERE u::text LIKE '%@%'", 'a whole row'],
    ['INSERT INTO orders (note) SELECT email FROM users', 'copied'],
    ['UPDATE orders SET note = (SELECT email FROM users LIMIT 1)', 'kept'],
    ['CREATE TABLE copy AS SELECT id FROM users WHERE email = $1 UNION SELECT 1', 'nothing protected copied'],
  ])('%s (%s)', (sql, why) => {
    const denied = sqlLineage(sql, mixed).denied;
    if (why === 'not a column of users' || why === 'nothing protected copied') {
      // `secret` is not a column of users, and a WHERE-only read copies nothing.
      expect(denied).toBeUndefined();
    } else {
      expect(denied).toMatch(/public\.(users\.email|api_keys\.secret)/);
    }
  });

  it('still redacts what is shown computed from it', () => {
    expect(sqlLineage('SELECT lower(email) FROM users', mixed).statements[0]?.outputs).toEqual([
      { kind: 'derived', label: 'public.users.email', strict: undefined },
    ]);
  });
});

describe('sqlLineage: what it cannot follow is denied', () => {
  it.each([
    ['SELECT keys_of(1)', /function keys_of/],
    ['SELECT * FROM public.all_keys()', /function public\.all_keys/],
    ['SELECT id FROM orders WHERE check_key(note)', /function check_key/],
    ["SELECT query_to_xml('SELECT secret FROM api_keys', true, false, '')", /function query_to_xml/],
    ["SELECT table_to_xml('api_keys', true, false, '')", /function table_to_xml/],
    ["SELECT * FROM ts_stat('SELECT to_tsvector(secret) FROM api_keys')", /function ts_stat/],
    ['SELECT 1 ### 2', /operator ###/],
    ['SELECT id FROM orders ORDER BY note USING ###', /operator ###/],
    ["SELECT most_common_vals FROM pg_stats WHERE attname = 'secret'", /pg_stats/],
    ['SELECT stxdmcv FROM pg_catalog.pg_statistic_ext_data', /pg_statistic_ext_data/],
    ["DO $$ BEGIN RAISE NOTICE '%', (SELECT secret FROM api_keys); END $$", /DO block/],
    ['CALL leak()', /CALL/],
    ['EXECUTE unknown_statement', /prepared statement unknown_statement/],
    [
      'MERGE INTO orders o USING api_keys k ON o.id = k.id WHEN MATCHED THEN UPDATE SET note = k.secret',
      /api_keys\.secret/,
    ],
    [
      'MERGE INTO orders o USING api_keys k ON o.note = k.secret WHEN MATCHED THEN DELETE',
      /api_keys\.secret/,
    ],
    ["SELECT set_config('x.y', secret, false) FROM api_keys", /kept by set_config/],
    ["SELECT pg_notify('c', secret) FROM api_keys", /kept by pg_notify/],
  ])('%s', (sql, reason) => {
    expect(sqlLineage(sql, rule).denied).toMatch(reason);
  });

  it.each([
    'SELECT now(), generate_series(1, 3), lower($1), coalesce(null, 1)',
    'SELECT * FROM generate_series(1, 3) g',
    "SELECT id FROM orders WHERE note ~~ 'a%' AND id BETWEEN 1 AND 3",
    "SELECT pg_catalog.upper('x')",
  ])('built-ins over their arguments are followed: %s', (sql) => {
    expect(sqlLineage(sql, rule).denied).toBeUndefined();
  });
});

describe('sqlLineage: prepared statements and views', () => {
  const prepared = (name: string): string | undefined =>
    ({
      clean: 'PREPARE clean AS SELECT id FROM api_keys',
      shown: 'PREPARE shown AS SELECT secret FROM api_keys',
    })[name];

  it('EXECUTE has the lineage of the statement it was prepared from', () => {
    expect(sqlLineage('EXECUTE clean', rule, { prepared }).denied).toBeUndefined();
    expect(sqlLineage('EXECUTE clean', rule, { prepared }).statements[0]?.outputs).toEqual([
      { kind: 'clean' },
    ]);
    expect(
      sqlLineage('EXECUTE shown', rule, { prepared }).statements[0]?.outputs?.map((o) => o.kind),
    ).toEqual(['bare']);
    expect(sqlLineage('CREATE TABLE t AS EXECUTE shown', rule, { prepared }).denied).toMatch(
      /copied or kept/,
    );
    expect(sqlLineage('EXECUTE other', rule, { prepared }).denied).toMatch(/does not know the query/);
  });

  it('a computed column (a view over a protected table) is never bare', () => {
    const view: ProtectedColumn = (_s, table) =>
      table === 'v' ? { label: 'public.v (reads public.api_keys.secret)', computed: true } : undefined;
    expect(sqlLineage('SELECT a FROM v', view).statements[0]?.outputs?.map((o) => o.kind)).toEqual([
      'derived',
    ]);
    expect(sqlLineage('SELECT 1 FROM v WHERE a = $1', view).denied).toMatch(/reads public\.api_keys\.secret/);
  });

  it('names every relation it reads, once, and no CTE', () => {
    expect(
      sqlLineage(
        'WITH c AS (SELECT 1) SELECT * FROM c, api_keys, s.t JOIN api_keys k ON true; INSERT INTO orders SELECT 1',
        rule,
      ).relations,
    ).toEqual([
      { schema: undefined, name: 'api_keys' },
      { schema: 's', name: 't' },
      { schema: undefined, name: 'orders' },
    ]);
  });
});
