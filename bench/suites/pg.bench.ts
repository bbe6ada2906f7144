// What the gate costs on PostgreSQL: the gated client beside raw `pg` on the same server, for a
// point SELECT (classify + decide + tickets + catalog cache + plain-object copy) and for a
// 10,000-row result that is masked cell by cell. Uses PORTCULLIS_PG_URL when set, else an
// embedded PGlite server (the notes say which).
import {
  createFileSink,
  createMasker,
  createPortcullis,
  createRecorder,
  parsePolicy,
  type Principal,
} from '@portcullis/core';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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
  - id: agents-read
    effect: allow
    when: { groups: [agents], targets: [warehouse], operations: [select] }
masking:
  profiles:
    default: { detectors: [secrets, pii], columns: { "public.bench_big.password": redact } }
`;

const analyst: Principal = { subject: 'alice', groups: ['analysts'], kind: 'human' };
// Decided by a rule that names no masking profile: every built-in detector (the default).
const agent: Principal = { subject: 'alice', groups: ['agents'], kind: 'agent', actor: 'copilot' };
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
let plain: GatedSession | undefined;
let recorded: GatedPool | undefined;
let recordedSession: GatedSession | undefined;
let recordingDir: string | undefined;
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
      DROP TABLE IF EXISTS bench_wide;
      CREATE TABLE bench_wide (id int PRIMARY KEY, email text, token text, n int, created timestamptz);
      INSERT INTO bench_wide SELECT g, 'user' || g || '@example.com', '${token}', g * 7,
        timestamptz '2026-01-01' + g * interval '1 minute' FROM generate_series(1, 10000) g;
    `);
    await admin.end();
    raw = new pg.Pool({ connectionString: db.url, max: 4 });
    gated = createGatedPool({
      config: { connectionString: db.url, max: 4 },
      portcullis: await createPortcullis({ policy: parsePolicy(POLICY) }),
      target: 'warehouse',
    });
    session = gated.as(analyst);
    plain = gated.as(agent);
    recordingDir = await mkdtemp(join(tmpdir(), 'portcullis-bench-'));
    const sink = await createFileSink(join(recordingDir, 'recording.jsonl'));
    recorded = createGatedPool({
      config: { connectionString: db.url, max: 4 },
      portcullis: await createPortcullis({ policy: parsePolicy(POLICY), recorder: createRecorder({ sink }) }),
      target: 'warehouse',
    });
    recordedSession = recorded.as(agent);
    // Warm every path alike (JIT, connections, caches), so no task pays for it inside the
    // measured time of another.
    for (let i = 1; i <= 300; i++) {
      await raw.query(onePoint, [i]);
      await plain.query(onePoint, [i]);
      await recordedSession.query(onePoint, [i]);
    }
  }
  return async () => {
    if (--setups > 0) return;
    await gated?.end();
    await recorded?.end();
    await raw?.end();
    await db?.close();
    if (recordingDir !== undefined) await rm(recordingDir, { recursive: true, force: true });
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

const all = 'SELECT id, email, password, note, token FROM bench_big';

const onePoint = 'SELECT name FROM bench_users WHERE id = $1';
const wide = 'SELECT id, email, token, n, created FROM bench_wide';

const child = fileURLToPath(new URL('../rss-child.ts', import.meta.url));
const run = promisify(execFile);
const rss: Record<string, string | number> = { server, rows: 100_000, columns: 5 };

/** Peak RSS growth of a fresh process reading the 100,000-row result, raw or gated (median of 3). */
async function measureRss(): Promise<void> {
  if (db === undefined) return;
  const growth = async (mode: 'raw' | 'gated'): Promise<number> => {
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { stdout } = await run(
        process.execPath,
        ['--expose-gc', '--conditions=portcullis-source', '--import', 'tsx', child, mode, db!.url],
        { maxBuffer: 1 << 20 },
      );
      runs.push(
        (JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { growthBytes: number }).growthBytes,
      );
    }
    return runs.sort((a, b) => a - b)[1] ?? 0;
  };
  const rawGrowth = await growth('raw');
  const gatedGrowth = await growth('gated');
  rss['raw pg peak RSS growth (MB, median of 3)'] = (rawGrowth / 1e6).toFixed(1);
  rss['gated peak RSS growth (MB, median of 3)'] = (gatedGrowth / 1e6).toFixed(1);
  rss['gated ÷ raw'] = `${(gatedGrowth / rawGrowth).toFixed(2)}×`;
}

export const suites: readonly BenchSuite[] = [
  {
    name: 'pg: point SELECT of one text column, gated vs raw pg',
    description:
      'One text column by primary key through a pg.Pool, and through the gated pool with default masking (every built-in detector): without a recorder, and recording every request to the file sink.',
    notes: {
      server,
      pool: 'max 4 connections each',
      targets: '≤ 1.15× without recorder, ≤ 1.25× with the file sink',
    },
    setup,
    timeMs: 3000,
    baseline: {
      name: 'raw pg Pool.query',
      fn: async () => {
        users = (users % 1000) + 1;
        return raw?.query(onePoint, [users]);
      },
    },
    tasks: [
      {
        name: 'gated, no recorder',
        fn: async () => {
          users = (users % 1000) + 1;
          return plain?.query(onePoint, [users]);
        },
      },
      {
        name: 'gated, file-sink recording',
        fn: async () => {
          users = (users % 1000) + 1;
          return recordedSession?.query(onePoint, [users]);
        },
      },
    ],
  },
  {
    name: 'pg: 10,000 rows × 5 columns masked, gated vs raw pg',
    description:
      '2 text columns with findings (an email, a key) and 3 integer/timestamp columns: raw pg returns them as they are; the gate masks every text cell (target ≤ 3×).',
    notes: { server, rows: 10_000, columns: 5, profile: 'detectors [secrets, pii] + 1 column rule' },
    setup,
    timeMs: 3000,
    baseline: { name: 'raw pg Pool.query', fn: async () => raw?.query(wide) },
    tasks: [{ name: 'gated session.query (masked)', fn: async () => session?.query(wide) }],
  },
  {
    name: 'pg: the older 10,000 × 5 text-heavy result (5 text columns)',
    description:
      '10,000 rows × 5 columns, four of them text: raw pg as is; raw pg with the core masker on every row; the gate.',
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
  {
    name: 'pg: peak RSS growth of a 100,000-row result, gated vs raw pg',
    description:
      'Each side in fresh processes (3 each, the median shown in the notes): the RSS a host gains while it reads 100,000 rows × 5 columns. Target: gated ≤ 1.5× raw. The timing rows below are one in-process read each, for scale.',
    notes: rss,
    setup: async () => {
      const teardown = await setup();
      await measureRss();
      return teardown;
    },
    timeMs: 200,
    baseline: {
      name: 'raw pg Pool.query (100,000 rows)',
      fn: async () => raw?.query(`SELECT g FROM generate_series(1, 100000) g`),
    },
    tasks: [
      {
        name: 'gated session.query (100,000 rows)',
        fn: async () => session?.query(`SELECT g FROM generate_series(1, 100000) g`),
      },
    ],
  },
];
