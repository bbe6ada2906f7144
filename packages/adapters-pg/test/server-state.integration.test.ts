// A pooled connection carries no server-side state from one session (principal) to the next:
// one test per kind of state. One connection in the pool, so the second session gets the
// connection the first one changed.
import { randomBytes } from 'node:crypto';
import { createTestDatabase, NEEDS_MULTI_SESSION, type TestDatabase } from '@portcullis/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatedPool, type GatedPool } from '../src/index.js';
import { admin, createSchema, engine } from './fixtures.js';

let db: TestDatabase | undefined;
let gated: GatedPool;
const role = `other_${randomBytes(4).toString('hex')}`;
const other = { ...admin, subject: 'root2' };
const real = process.env['PORTCULLIS_PG_URL'] !== undefined || process.env['PGHOST'] !== undefined;

beforeAll(async () => {
  if (!real) return;
  db = await createTestDatabase();
  await createSchema(db.url);
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query(`CREATE ROLE ${role}`);
  await c.query(`GRANT ${role} TO current_user`);
  await c.end();
  gated = createGatedPool({
    config: { connectionString: db.url, max: 1 },
    portcullis: await engine(),
    target: 'warehouse',
  });
});

afterAll(async () => {
  if (db === undefined) return;
  await gated.end();
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query(`DROP ROLE IF EXISTS ${role}`);
  await c.end();
  await db.close();
});

async function one(sql: string, principal = other): Promise<unknown> {
  const result = await gated.as(principal).query(sql);
  return Object.values(result.rows[0] as Record<string, unknown>)[0];
}

describe.skipIf(!real)(
  `server state does not cross sessions (${real ? 'real PostgreSQL' : NEEDS_MULTI_SESSION})`,
  () => {
    it.each([
      ['SET ROLE', `SET ROLE ${role}`, 'SELECT current_user = session_user', true],
      [
        'SET SESSION AUTHORIZATION',
        `SET SESSION AUTHORIZATION ${role}`,
        `SELECT session_user::text <> '${role}'`,
        true,
      ],
      [
        'search_path',
        'SET search_path = pg_catalog',
        "SELECT current_setting('search_path') <> 'pg_catalog'",
        true,
      ],
      ['a setting', "SET statement_timeout = '1ms'", "SELECT current_setting('statement_timeout')", '0'],
      [
        'a WITH HOLD cursor',
        'DECLARE c CURSOR WITH HOLD FOR SELECT 1',
        'SELECT count(*)::int FROM pg_cursors',
        0,
      ],
      ['a temporary table', 'CREATE TEMP TABLE orders (id int)', 'SELECT count(*)::int FROM orders', 2],
      [
        'an advisory lock',
        'SELECT pg_advisory_lock(42)',
        "SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()",
        0,
      ],
      ['a LISTEN', 'LISTEN somewhere', 'SELECT count(*)::int FROM pg_listening_channels()', 0],
    ])('%s', async (_kind, change, check, expected) => {
      await gated.as(admin).query(change);
      expect(await one(check)).toBe(expected);
    });

    it('one session keeps its own state across its calls', async () => {
      const session = gated.as(admin);
      await session.query('SET search_path = pg_catalog');
      expect((await session.query("SELECT current_setting('search_path') AS p")).rows).toEqual([
        { p: 'pg_catalog' },
      ]);
    });

    it('a named statement of one session does not confuse the driver in the next', async () => {
      await gated.as(admin).query({ name: 'q1', text: 'SELECT 1 AS n' });
      expect((await gated.as(other).query({ name: 'q1', text: 'SELECT 1 AS n' })).rows).toEqual([{ n: 1 }]);
    });
  },
);
