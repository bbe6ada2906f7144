// The gate's own state (approvals, recordings) is out of reach of every gated request, whatever
// the policy says; and migrate() leaves it unreachable to other roles at the database too.
import { randomBytes } from 'node:crypto';
import { DeniedError } from '@portcullis/core';
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatedPool, migrate, type GatedPool } from '../src/index.js';
import { admin, createSchema, engine } from './fixtures.js';

let db: TestDatabase;
let gated: GatedPool;
let audit: GatedPool;
let raw: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  await createSchema(db.url);
  raw = new pg.Pool({ connectionString: db.url, max: 2 });
  await migrate(raw);
  await migrate(raw, { schema: 'audit' });
  // admins may do anything under the policy: the refusal must not depend on it.
  gated = createGatedPool({
    config: { connectionString: db.url, max: 1 },
    portcullis: await engine(),
    target: 'warehouse',
  });
  audit = createGatedPool({
    config: { connectionString: db.url, max: 1 },
    portcullis: await engine(),
    target: 'warehouse',
    stateSchemas: ['audit'],
  });
});

afterAll(async () => {
  await gated.end();
  await audit.end();
  await raw.end();
  await db.close();
});

describe('the gate refuses requests that touch its own state schema', () => {
  it.each([
    'SELECT * FROM portcullis.approvals',
    'SELECT * FROM "portcullis"."recording"',
    'DELETE FROM portcullis.recording',
    "UPDATE portcullis.approvals SET status = 'approved'",
    "INSERT INTO portcullis.recording (session, seq, ts, type, hash, line) VALUES ('x', 0, now(), 'x', 'x', 'x')",
    'SELECT * FROM U&"\\0070ortcullis".approvals',
    "SELECT query_to_xml(E'select * from \\x70ortcullis.approvals', true, true, '')",
    "SELECT set_config('search_path', 'portcullis', false)",
    'SET search_path = portcullis',
    'DO $$ BEGIN DELETE FROM portcullis.approvals; END $$',
    "SELECT 'portcullis.approvals'::regclass",
  ])('%s', async (sql) => {
    const err = await gated
      .as(admin)
      .query(sql)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeniedError);
    expect((err as Error).message).toMatch(/own state schema "portcullis"/);
  });

  it('a named statement whose text touches it is refused too', async () => {
    const err = await gated
      .as(admin)
      .query({ name: 'peek', text: 'SELECT * FROM portcullis.approvals' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeniedError);
  });

  it('the schema is configurable, and other queries still run', async () => {
    expect((await audit.as(admin).query('SELECT count(*)::int AS n FROM orders')).rows).toEqual([{ n: 2 }]);
    await expect(audit.as(admin).query('SELECT * FROM audit.approvals')).rejects.toThrow(/"audit"/);
  });
});

describe('migrate() keeps other roles out of the state schema', () => {
  it.skipIf(process.env['PORTCULLIS_PG_URL'] === undefined && process.env['PGHOST'] === undefined)(
    'an agent role reads and writes nothing in it; the store role may (needs a real PostgreSQL server for roles: set PORTCULLIS_PG_URL)',
    async () => {
      const suffix = randomBytes(4).toString('hex');
      const agentRole = `agent_${suffix}`;
      const storeRole = `store_${suffix}`;
      const password = `pw-${randomBytes(8).toString('hex')}`;
      await raw.query(`CREATE ROLE ${agentRole} LOGIN PASSWORD '${password}'`);
      await raw.query(`CREATE ROLE ${storeRole} LOGIN PASSWORD '${password}'`);
      try {
        // Grants to PUBLIC that a careless set-up (or an old version) may have left.
        await raw.query('GRANT USAGE ON SCHEMA portcullis TO PUBLIC');
        await raw.query('GRANT ALL ON ALL TABLES IN SCHEMA portcullis TO PUBLIC');
        await migrate(raw, { storeRole });
        const url = new URL(db.url);
        const as = async (role: string, sql: string): Promise<unknown> => {
          const u = new URL(url);
          u.username = role;
          u.password = password;
          const c = new pg.Client({ connectionString: u.toString() });
          await c.connect();
          try {
            return await c.query(sql);
          } finally {
            await c.end();
          }
        };
        for (const sql of [
          'SELECT * FROM portcullis.approvals',
          'SELECT * FROM portcullis.recording',
          'DELETE FROM portcullis.recording',
          "UPDATE portcullis.approvals SET status = 'approved'",
        ]) {
          await expect(as(agentRole, sql)).rejects.toThrow(/permission denied/);
        }
        await expect(as(storeRole, 'SELECT count(*) FROM portcullis.approvals')).resolves.toBeDefined();
        await expect(as(storeRole, 'SELECT count(*) FROM portcullis.recording')).resolves.toBeDefined();
        await expect(as(storeRole, 'DELETE FROM portcullis.approvals')).rejects.toThrow(/permission denied/);
      } finally {
        await raw.query(`DROP OWNED BY ${agentRole}, ${storeRole}`);
        await raw.query(`DROP ROLE ${agentRole}, ${storeRole}`);
      }
    },
  );
});
