// What the gate costs on PostgreSQL: the gated client beside raw `pg` on the same server, for a
// point SELECT (classify + decide + tickets + catalog cache + plain-object copy) and for a
// 10,000-row result that is masked cell by cell. Uses PORTCULLIS_PG_URL when set, else an
// embedded PGlite server (the notes say which).
import { createMasker, createPortcullis, parsePolicy, type Principal } from '@portcullis/core';
import { createGatedPool, type GatedPool, type GatedSession } from '@portcullis/pg';
import { configuredServerUrl, createTestDatabase, type TestDatabase } from '@portcullis/testing';
import pg from 'pg';
import type { BenchSuite } from '../harness.js';

const POLICY = `
version: 1
targets:
  warehouse: { protocol: postgres }
rules:
  - id: analysts-read
    effect: allow
    when: { groups: [analysts], targets: [warehouse], operations: [select] }
    mask: default
masking:
  profiles:
    default: { detectors: [secrets, pii], columns: { "public.bench_big.password": redact } }
`;

const analyst: Principal = { subject: 'alice', groups: ['analysts'], kind: 'human' };
const server =
  configuredServerUrl() === undefined
    ? 'PGlite (embedded, loopback socket)'
    : 'PostgreSQL (PORTCULLIS_PG_URL)';
// Assembled at run time: no committed string looks like a live credential.
const token = 'AKIA' + 'BENCH' + 'X'.repeat(11);

let db: TestDatabase | undefined;
let raw: pg.Pool | undefined;
let gated: GatedPool | undefined;
let session: GatedSession | undefined;
let users = 0;
let setups = 0;

// Both suites share one database and pools; the last teardown closes them.
async function setup(): Promise<() => Promise<void>> {
  setups++;
  if (db === undefined) {
    db = await createTestDatabase();
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await admin.query(`
      DROP TABLE IF EXISTS bench_users, bench_big;
      CREATE TABLE bench_users (id int PRIMARY KEY, name text, email text);
      INSERT INTO bench_users SELECT g, 'user ' || g, 'user' || g || '@example.com' FROM generate_series(1, 1000) g;
      CREATE TABLE bench_big (id int PRIMARY KEY, email text, password text, note text, token text);
      INSERT INTO bench_big SELECT g, 'user' || g || '@example.com', 'pw' || g, 'plain note ' || g, '${token}'
        FROM generate_series(1, 10000) g;
    `);
    await admin.end();
    raw = new pg.Pool({ connectionString: db.url, max: 4 });
    gated = createGatedPool({
      config: { connectionString: db.url, max: 4 },
      portcullis: await createPortcullis({ policy: parsePolicy(POLICY) }),
      target: 'warehouse',
    });
    session = gated.as(analyst);
  }
  return async () => {
    if (--setups > 0) return;
    await gated?.end();
    await raw?.end();
    await db?.close();
    db = undefined;
  };
}

// The same profile as the policy's, applied by hand to raw pg's rows: what masking alone costs.
const masker = createMasker({
  detectors: ['secrets', 'pii'],
  columns: { 'public.bench_big.password': 'redact' },
});
const bigColumns = ['id', 'email', 'password', 'note', 'token'].map((name) => ({
  name,
  source: `public.bench_big.${name}`,
}));

const point = 'SELECT id, name, email FROM bench_users WHERE id = $1';
const all = 'SELECT id, email, password, note, token FROM bench_big';

export const suites: readonly BenchSuite[] = [
  {
    name: 'pg: point SELECT, gated vs raw pg',
    description:
      'One row by primary key through a pg.Pool, and through the gated pool (classify, decide, ticket, mask).',
    notes: { server, recording: 'none (no recorder configured)', pool: 'max 4 connections each' },
    setup,
    timeMs: 2000,
    baseline: {
      name: 'raw pg Pool.query',
      fn: async () => {
        users = (users % 1000) + 1;
        return raw?.query(point, [users]);
      },
    },
    tasks: [
      {
        name: 'gated session.query',
        fn: async () => {
          users = (users % 1000) + 1;
          return session?.query(point, [users]);
        },
      },
    ],
  },
  {
    name: 'pg: 10,000-row SELECT with masking, gated vs raw pg',
    description:
      '10,000 rows × 5 columns: raw pg returns them as they are; the gate masks every cell (a column rule, secret and PII detectors).',
    notes: { server, rows: 10_000, columns: 5, profile: 'detectors [secrets, pii] + 1 column rule' },
    setup,
    timeMs: 2000,
    baseline: { name: 'raw pg Pool.query', fn: async () => raw?.query(all) },
    tasks: [
      {
        name: 'raw pg + core masker on every row (no gate)',
        fn: async () => {
          const result = await raw?.query<Record<string, unknown>>(all);
          return result?.rows.map((row) => masker.maskRow(row, bigColumns));
        },
      },
      { name: 'gated session.query (masked)', fn: async () => session?.query(all) },
    ],
  },
];
