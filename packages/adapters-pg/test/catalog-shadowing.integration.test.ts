// The gate's own catalog queries (which column a result field comes from, what a relation is,
// which statement a prepared name holds) run on the agent's connection, where the agent can make
// temporary objects: relations and types in pg_temp are searched before pg_catalog, and
// search_path can name pg_temp first. Every name in those queries is qualified, so nothing the
// session makes stands in for the catalog.
import { randomBytes } from 'node:crypto';
import { DeniedError, createPortcullis, parsePolicy, type Principal } from '@portcullis/core';
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatedPool, type GatedPool } from '../src/index.js';

// Agents may do anything, even what classifies as unknown (CREATE FUNCTION, CREATE OPERATOR), so
// that they can build every decoy; column rules still apply. Admins run unmasked by column rules.
const POLICY = `
version: 1
targets:
  db: { protocol: postgres }
rules:
  - id: agents-anything
    effect: allow
    when: { groups: [agents], targets: [db] }
    mask: keys
  - id: agents-even-unknown
    effect: allow
    when: { groups: [agents], targets: [db], operations: [unknown] }
    mask: keys
  - id: admins-anything
    effect: allow
    when: { groups: [admins], targets: [db] }
    mask: plain
  - id: admins-even-unknown
    effect: allow
    when: { groups: [admins], targets: [db], operations: [unknown] }
    mask: plain
masking:
  profiles:
    plain: { detectors: [] }
    keys:
      detectors: []
      columns: { "public.api_keys.secret": redact }
`;

const agent: Principal = { subject: 'bot', groups: ['agents'], kind: 'agent', actor: 'x' };
const admin: Principal = { subject: 'root', groups: ['admins'], kind: 'service' };
const secret = `k${randomBytes(12).toString('hex')}`;
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query(`
    CREATE TABLE api_keys (id int PRIMARY KEY, owner text, secret text);
    CREATE VIEW key_view AS SELECT id, secret FROM api_keys;
  `);
  await c.query("INSERT INTO api_keys VALUES (1, 'carol', $1)", [secret]);
  await c.end();
});

afterAll(async () => {
  await db.close();
});

/** A pool of its own: nothing cached from another test. */
async function freshPool(): Promise<GatedPool> {
  return createGatedPool({
    config: { connectionString: db.url, max: 1 },
    portcullis: await createPortcullis({ policy: parsePolicy(POLICY) }),
    target: 'db',
  });
}

// Decoys in pg_temp for every catalog relation the gate's queries read, named like the types
// they cast to, and functions and an operator named like the ones they call; each would make
// the secret column look like an unprotected one, a view look like a table, or a re-prepared
// statement look like the one the gate checked.
const DECOYS = [
  "SELECT pg_catalog.set_config('search_path', 'pg_temp, pg_catalog, public', false)",
  `CREATE TEMP TABLE pg_attribute AS
     SELECT c.oid AS attrelid, a.attnum, 'harmless'::name AS attname, false AS attisdropped
     FROM pg_catalog.pg_class c JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
     WHERE c.relname IN ('api_keys', 'key_view') AND a.attnum > 0`,
  `CREATE TEMP TABLE pg_class AS
     SELECT oid, relname, relnamespace, 'r'::"char" AS relkind FROM pg_catalog.pg_class`,
  'CREATE TEMP TABLE pg_namespace AS SELECT oid, nspname FROM pg_catalog.pg_namespace',
  'CREATE TEMP TABLE pg_depend AS SELECT * FROM pg_catalog.pg_depend WHERE false',
  'CREATE TEMP TABLE pg_rewrite AS SELECT * FROM pg_catalog.pg_rewrite WHERE false',
  'CREATE TEMP TABLE pg_proc (oid oid, proname name, pronamespace oid)',
  'CREATE TEMP TABLE pg_operator (oid oid, oprname name, oprnamespace oid)',
  'CREATE TEMP TABLE pg_prepared_statements (name text, statement text, from_sql boolean)',
  // Composite types named like the scalar types the queries cast to.
  'CREATE TEMP TABLE text (x int)',
  'CREATE TEMP TABLE int8 (x int)',
  'CREATE TEMP TABLE int4 (x int)',
  'CREATE TEMP TABLE oid (x int)',
  'CREATE TEMP TABLE regclass (x int)',
  // Functions and an operator: pg_temp is never searched for these unless qualified, but they
  // are here in case a query ever leaves one unqualified.
  "CREATE FUNCTION pg_temp.to_regclass(text) RETURNS regclass LANGUAGE sql AS 'SELECT NULL::regclass'",
  "CREATE FUNCTION pg_temp.current_schemas(boolean) RETURNS name[] LANGUAGE sql AS 'SELECT ARRAY[''pg_catalog'']::name[]'",
  'CREATE FUNCTION pg_temp.never(oid, oid) RETURNS boolean LANGUAGE sql AS $$SELECT false$$',
  'CREATE OPERATOR pg_temp.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = pg_temp.never)',
];

async function plant(session: ReturnType<GatedPool['as']>): Promise<void> {
  for (const sql of DECOYS) await session.query(sql);
}

const leaks = (value: unknown): boolean => JSON.stringify(value).includes(secret);

describe('temporary objects do not fool the gate’s catalog queries', () => {
  it('the column-source lookup still finds the protected column', async () => {
    const gated = await freshPool();
    const session = gated.as(agent);
    try {
      await plant(session);
      // The decoys are really there: an unqualified catalog read sees the decoy.
      expect((await session.query("SELECT attname FROM pg_attribute WHERE attname = 'secret'")).rows).toEqual(
        [],
      );
      for (const sql of [
        'SELECT secret FROM api_keys',
        'SELECT secret AS x, id FROM api_keys',
        'SELECT * FROM api_keys',
      ]) {
        const { rows } = await session.query(sql);
        expect(rows.length).toBe(1);
        expect(leaks(rows)).toBe(false);
      }
    } finally {
      await session.end();
      await gated.end();
    }
  });

  it('the relation lookup still sees the view and what it reads', async () => {
    const gated = await freshPool();
    const session = gated.as(agent);
    try {
      await plant(session);
      const out = await session.query('SELECT * FROM key_view').catch((e: unknown) => e);
      expect(out).toBeInstanceOf(DeniedError);
      expect((out as Error).message).toMatch(
        /view public\.key_view reads the protected column public\.api_keys\.secret/,
      );
      expect(leaks(out)).toBe(false);
    } finally {
      await session.end();
      await gated.end();
    }
  });

  it('the prepared-statement check still sees the statement a DO block swapped in', async () => {
    const gated = await freshPool();
    const session = gated.as(admin);
    try {
      await plant(session);
      await session.query('PREPARE s AS SELECT 1 AS n');
      // The decoy claims s is still the statement the gate prepared.
      await session.query(
        "INSERT INTO pg_prepared_statements VALUES ('s', 'PREPARE s AS SELECT 1 AS n', true)",
      );
      await session.query("DO $$ BEGIN EXECUTE 'DEALLOCATE s'; EXECUTE 'PREPARE s AS SELECT 2 AS n'; END $$");
      const out = await session.query('EXECUTE s').catch((e: unknown) => e);
      expect(out).toBeInstanceOf(DeniedError);
      expect((out as Error).message).toMatch(/prepared statement "s" on the server is not the statement/);
    } finally {
      await session.end();
      await gated.end();
    }
  });
});
