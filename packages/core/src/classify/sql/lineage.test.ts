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
    ["SELECT 'a' UNION SELECT secret FROM api_keys", ['derived']],
    ['SELECT (SELECT secret FROM api_keys LIMIT 1)', ['derived']],
    ['SELECT ARRAY(SELECT secret FROM api_keys)', ['derived']],
    ['SELECT t.c FROM api_keys AS t(a, b, c)', ['derived']],
    ["SELECT t.c || '' FROM api_keys AS t(a, b, c)", ['derived']],
    ["SELECT j->>'secret' FROM (SELECT to_jsonb(k) j FROM api_keys k) q", ['derived']],
    ['SELECT x FROM api_keys, LATERAL (SELECT secret) s(x)', ['bare']],
    ['SELECT (api_keys).secret FROM api_keys', ['derived']],
    ['SELECT id, name FROM public.orders', ['clean', 'clean']],
    ['SELECT secret FROM other.api_keys', ['clean']],
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
