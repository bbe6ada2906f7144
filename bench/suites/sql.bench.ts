// What SQL classification costs beside the parse it cannot avoid: libpg-query's parseSync of the
// same texts is the baseline. On a cache miss the classifier parses, walks the whole tree and
// (for texts with a backslash in a '…' literal) lexes and parses the standard_conforming_strings
// = off reading too; on a cache hit it is a map lookup keyed by the exact text.
import { classifySql, configureSqlClassifier, loadSqlClassifier } from '@portcullis/core';
import { loadModule, parseSync } from 'libpg-query';
import type { BenchSuite } from '../harness.js';

const mixed = [
  'SELECT id, name, email FROM public.users WHERE id = $1',
  "SELECT o.id, sum(l.amount) FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE o.created_at > now() - interval '1 day' GROUP BY o.id ORDER BY 2 DESC LIMIT 50",
  'INSERT INTO events (kind, payload) VALUES ($1, $2) RETURNING id',
  'UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1',
  'DELETE FROM sessions WHERE expires_at < now()',
  "WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '7 days'), moved AS (DELETE FROM cart WHERE id IN (SELECT cart_id FROM recent) RETURNING *) SELECT count(*) FROM moved",
  'MERGE INTO stock s USING incoming i ON s.sku = i.sku WHEN MATCHED THEN UPDATE SET qty = s.qty + i.qty WHEN NOT MATCHED THEN INSERT VALUES (i.sku, i.qty)',
  "BEGIN; SELECT * FROM jobs WHERE state = 'ready' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED; COMMIT",
  "EXPLAIN ANALYZE SELECT * FROM t WHERE a IN (SELECT b FROM u WHERE c LIKE 'x%')",
  "COPY (SELECT * FROM audit_log WHERE ts > now() - interval '1 hour') TO STDOUT WITH (FORMAT csv)",
  'CREATE TABLE IF NOT EXISTS t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL CHECK (length(name) > 0))',
  "SELECT nextval('seq'), set_config('app.user', $1, true)",
] as const;

const backslashes = [
  "SELECT * FROM logs WHERE line ~ '\\d{4}-\\d{2}-\\d{2}' AND path LIKE 'C:\\\\temp%'",
  "SELECT regexp_replace(name, '\\s+', ' ', 'g') FROM users WHERE note ~ '\\mfoo\\M'",
] as const;

function suite(name: string, description: string, texts: readonly string[]): BenchSuite {
  return {
    name,
    description,
    notes: { texts: texts.length, characters: texts.reduce((n, t) => n + t.length, 0) },
    bytesPerOp: texts.reduce((n, t) => n + Buffer.byteLength(t), 0),
    setup: async () => {
      await Promise.all([loadSqlClassifier(), loadModule()]);
      return undefined;
    },
    baseline: {
      name: 'libpg-query parseSync (bare parse)',
      fn: () => {
        let n = 0;
        for (const t of texts) n += parseSync(t).stmts?.length ?? 0;
        return n;
      },
    },
    tasks: [
      {
        name: 'classifySql, cache miss (parse + walk)',
        fn: () => {
          configureSqlClassifier({ cacheSize: 0 });
          let n = 0;
          for (const t of texts) n += classifySql(t).length;
          return n;
        },
      },
      {
        name: 'classifySql, cache hit',
        fn: () => {
          configureSqlClassifier({ cacheSize: 1000 });
          let n = 0;
          for (const t of texts) n += classifySql(t).length;
          return n;
        },
      },
    ],
  };
}

export const suites: readonly BenchSuite[] = [
  suite(
    'sql classification: 12 typical texts',
    'Classifying a mix of reads, writes, CTEs, MERGE, COPY, EXPLAIN and DDL, beside a bare parse of the same texts.',
    mixed,
  ),
  suite(
    'sql classification: backslashes in literals (two readings)',
    "Texts with backslashes in '…' literals are also lexed and parsed as a server with standard_conforming_strings off would read them.",
    backslashes,
  ),
];
