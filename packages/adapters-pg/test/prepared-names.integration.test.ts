// One model of prepared-statement names per connection: protocol-level named statements and SQL
// PREPARE/DEALLOCATE/DISCARD share the server's namespace, so a name checked as one text must
// never run as another — not even when the name was changed where the gate cannot see it (dynamic
// SQL in a DO block or a function), or when a Parse of it failed on the server.
import { DeniedError, ReviewRequiredError, type Portcullis, type Principal } from '@portcullis/core';
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatedPool, type GatedPool } from '../src/index.js';
import { admin, createSchema, engine, secrets } from './fixtures.js';

// Admins may do anything, masked by content only (no column rules, so DO blocks and functions
// run); agents may read (masked) and run DO blocks, and column rules redact users.password.
const POLICY = `
version: 1
targets:
  warehouse: { protocol: postgres }
rules:
  - id: admins-all
    effect: allow
    when: { groups: [admins], targets: [warehouse] }
    mask: plain
  - id: agents-read
    effect: allow
    when: { groups: [agents], targets: [warehouse], operations: [select, do, other] }
    mask: strict
  - id: agents-write-needs-review
    effect: review
    when: { groups: [agents], targets: [warehouse], operations: [insert] }
    review: { approvers: { groups: [managers] } }
masking:
  profiles:
    plain: { detectors: [secrets] }
    strict:
      detectors: []
      columns: { "public.users.password": redact }
`;

const agent: Principal = { subject: 'bot', groups: ['agents'], kind: 'agent', actor: 'copilot' };
const manager: Principal = { subject: 'mia', groups: ['managers'], kind: 'human' };

let db: TestDatabase;
let gated: GatedPool;
let gatedAgents: GatedPool;
let agentsEngine: Portcullis;

beforeAll(async () => {
  db = await createTestDatabase();
  await createSchema(db.url);
  gated = createGatedPool({
    config: { connectionString: db.url, max: 1 },
    portcullis: await engine({ policy: POLICY }),
    target: 'warehouse',
  });
  agentsEngine = await engine({ policy: POLICY });
  gatedAgents = createGatedPool({
    config: { connectionString: db.url, max: 1 },
    portcullis: agentsEngine,
    target: 'warehouse',
  });
});

afterAll(async () => {
  await gated.end();
  await gatedAgents.end();
  await db.close();
});

/** Runs `first` as a named statement, then `between`, then the same name and text again. */
async function swap(
  between: readonly string[],
  pool: GatedPool = gated,
  who: Principal = admin,
): Promise<unknown> {
  const session = pool.as(who);
  try {
    await session.query({ name: 'p', text: 'SELECT 1 AS n' });
    for (const sql of between) await session.query(sql).catch(() => undefined);
    return await session.query({ name: 'p', text: 'SELECT 1 AS n' }).then(
      (r) => r.rows,
      (e: unknown) => e,
    );
  } finally {
    await session.end();
  }
}

/** A DO block that re-prepares `name` by dynamic SQL, which no static reading of the text sees. */
const hidden = (name: string, body: string): string =>
  `DO $$ BEGIN EXECUTE 'DEALLOCATE ${name}'; EXCEPTION WHEN OTHERS THEN NULL; END $$; ` +
  `DO $$ BEGIN EXECUTE 'PREPARE ${name} AS ${body.replace(/'/g, "''")}'; END $$`;

describe('a protocol name never runs another text', () => {
  it.each([
    ['DEALLOCATE then PREPARE', ['DEALLOCATE p', 'PREPARE p AS SELECT 2 AS n']],
    ['DEALLOCATE ALL then PREPARE', ['DEALLOCATE ALL', 'PREPARE p AS SELECT 2 AS n']],
    ['DISCARD ALL then PREPARE', ['DISCARD ALL', 'PREPARE p AS SELECT 2 AS n']],
    ['a failed text that deallocated', ['DEALLOCATE p; SELECT 1/0', 'PREPARE p AS SELECT 2 AS n']],
    ['dynamic SQL in a DO block', [hidden('p', 'SELECT 2 AS n')]],
    [
      'dynamic SQL in a function',
      [
        'CREATE OR REPLACE FUNCTION pg_temp.run(t text) RETURNS int LANGUAGE plpgsql AS $$ BEGIN EXECUTE t; RETURN 1; END $$',
        "SELECT pg_temp.run('DEALLOCATE p')",
        "SELECT pg_temp.run('PREPARE p AS SELECT 2 AS n')",
      ],
    ],
  ])('%s', async (_name, between) => {
    const out = await swap(between);
    // Either the intended text's result, or an error: never the other text's result.
    if (Array.isArray(out)) expect(out).toEqual([{ n: 1 }]);
    else expect(out).toBeInstanceOf(Error);
  });

  it('a name re-prepared by dynamic SQL never returns an unredacted protected column', async () => {
    const out = await swap(
      [hidden('p', "SELECT password || '' AS n FROM users WHERE id = 1")],
      gatedAgents,
      agent,
    );
    expect(JSON.stringify(out)).not.toContain(secrets.password);
  });

  it('a Parse that failed on the server leaves no name behind to bind', async () => {
    const session = gated.as(admin);
    try {
      const failed = await session
        .query({ name: 'f', text: 'SELECT n FROM not_yet' })
        .catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(Error);
      await session.query(hidden('f', 'SELECT 2 AS n'));
      await session.query('CREATE TABLE not_yet AS SELECT 1 AS n');
      const out = await session.query({ name: 'f', text: 'SELECT n FROM not_yet' }).then(
        (r) => r.rows,
        (e: unknown) => e,
      );
      if (Array.isArray(out)) expect(out).toEqual([{ n: 1 }]);
      else expect(out).toBeInstanceOf(Error);
      // A name alone is only the text this session saw succeed.
      const alone = await session.query({ name: 'f' } as never).then(
        (r: { rows: unknown }) => r.rows,
        (e: unknown) => e,
      );
      if (Array.isArray(alone)) expect(alone).toEqual([{ n: 1 }]);
      else expect(alone).toBeInstanceOf(Error);
    } finally {
      await session.query('DROP TABLE IF EXISTS not_yet').catch(() => undefined);
      await session.end();
    }
  });

  it('EXECUTE of a protocol-level name classifies as unknown (its text is not the SQL-level one)', async () => {
    const session = gated.as(admin);
    try {
      await session.query({ name: 'q', text: 'SELECT 1 AS n' });
      const r = await session.query('EXECUTE q').catch((e: unknown) => e);
      expect(r).toBeDefined();
    } finally {
      await session.end();
    }
  });

  it('a once-approved write by name runs once: not again by name, nor by SQL EXECUTE of the name', async () => {
    const session = gatedAgents.as(agent);
    const raw = new pg.Client({ connectionString: db.url });
    await raw.connect();
    try {
      const count = async (): Promise<number> =>
        Number((await raw.query<{ c: string }>('SELECT count(*) AS c FROM orders')).rows[0]?.c);
      const before = await count();
      const write = { name: 'w', text: 'INSERT INTO orders VALUES (100, 1, 1)' };
      const held = await session.query(write).catch((e: unknown) => e);
      expect(held).toBeInstanceOf(ReviewRequiredError);
      // Held for review: nothing ran, and EXECUTE by the same name cannot run it either.
      expect(await session.query('EXECUTE w').catch((e: unknown) => e)).toBeInstanceOf(DeniedError);
      expect(await count()).toBe(before);
      await agentsEngine.approvals.approve((held as ReviewRequiredError).approvalId, manager);
      await session.query(write);
      expect(await count()).toBe(before + 1);
      // The grant is used up: the name alone, the name with its text and EXECUTE all stop.
      expect(await session.query({ name: 'w' } as never).catch((e: unknown) => e)).toBeInstanceOf(
        ReviewRequiredError,
      );
      expect(await session.query(write).catch((e: unknown) => e)).toBeInstanceOf(ReviewRequiredError);
      expect(await session.query('EXECUTE w').catch((e: unknown) => e)).toBeInstanceOf(DeniedError);
      expect(await count()).toBe(before + 1);
    } finally {
      await raw.query('DELETE FROM orders WHERE id = 100');
      await raw.end();
      await session.end();
    }
  });
});

describe('an SQL-level name never runs another statement than the gate decided', () => {
  it.each([
    ['dynamic SQL in a DO block', hidden('s', 'SELECT 2 AS n')],
    [
      'a DO block that deallocates everything and re-prepares',
      `DO $$ BEGIN EXECUTE 'DEALLOCATE ALL'; EXECUTE 'PREPARE s AS SELECT 2 AS n'; END $$`,
    ],
  ])('%s', async (_name, between) => {
    const session = gated.as(admin);
    try {
      await session.query('PREPARE s AS SELECT 1 AS n');
      await session.query(between);
      const out = await session.query('EXECUTE s').then(
        (r) => r.rows,
        (e: unknown) => e,
      );
      if (Array.isArray(out)) expect(out).toEqual([{ n: 1 }]);
      else expect(out).toBeInstanceOf(Error);
    } finally {
      await session.end();
    }
  });

  it('a statement prepared through the gate runs, and again after a refused swap once prepared anew', async () => {
    const session = gated.as(admin);
    try {
      await session.query('PREPARE s AS SELECT 1 AS n');
      expect((await session.query('EXECUTE s')).rows).toEqual([{ n: 1 }]);
      expect((await session.query('EXPLAIN EXECUTE s')).rows.length).toBeGreaterThan(0);
      await session.query(hidden('s', 'SELECT 2 AS n'));
      const refused = await session.query('EXECUTE s').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(DeniedError);
      expect((refused as Error).message).toMatch(/prepared statement "s" on the server is not the statement/);
      // Forgotten: not even the check runs again until it is prepared anew.
      expect(await session.query('EXECUTE s').catch((e: unknown) => e)).toBeInstanceOf(DeniedError);
      // (The refusal closed the connection, and the server's statement with it.)
      await session.query('DEALLOCATE s').catch(() => undefined);
      await session.query('PREPARE s AS SELECT 3 AS n');
      expect((await session.query('EXECUTE s')).rows).toEqual([{ n: 3 }]);
    } finally {
      await session.end();
    }
  });

  it.each([
    'PREPARE t AS SELECT 1 AS n; EXECUTE t',
    "DEALLOCATE ALL; PREPARE t AS SELECT 1 AS n; SELECT pg_temp.run('x'); EXECUTE t",
    'EXECUTE never_prepared',
  ])('%s: refused before anything runs', async (sql) => {
    const session = gated.as(admin);
    try {
      const err = await session.query(sql).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeniedError);
      // Nothing of the text ran: t was not prepared.
      expect(await session.query('EXECUTE t').catch((e: unknown) => e)).toBeInstanceOf(DeniedError);
      const raw = await session.query(
        "SELECT count(*)::int AS c FROM pg_prepared_statements WHERE name = 't'",
      );
      expect(raw.rows).toEqual([{ c: 0 }]);
    } finally {
      await session.end();
    }
  });

  it.each([
    ['prepared', 'PREPARE c AS SELECT 2 AS n', 'c'],
    ['deallocated', 'DEALLOCATE s', 's'],
  ])('a statement %s by a cursor is not trusted', async (_what, sql, name) => {
    const session = gated.as(admin);
    try {
      await session.query('PREPARE s AS SELECT 1 AS n');
      const cursor = session.query(new Cursor(sql));
      await new Promise<void>((resolve) => {
        cursor.read(1, () => {
          cursor.close(() => {
            resolve();
          });
        });
      });
      expect(await session.query(`EXECUTE ${name}`).catch((e: unknown) => e)).toBeInstanceOf(DeniedError);
    } finally {
      await session.end();
    }
  });

  it('an agent cannot read a protected column through a statement re-prepared out of sight', async () => {
    const session = gatedAgents.as(agent);
    try {
      await session.query('PREPARE s AS SELECT 1 AS n');
      // Refused outright under column rules (a DO block's reads cannot be followed); were it
      // run, EXECUTE would be refused by the check on the server.
      const hiding = await session
        .query(hidden('s', "SELECT password || '' AS n FROM users WHERE id = 1"))
        .catch((e: unknown) => e);
      expect(hiding).toBeInstanceOf(DeniedError);
      const out = await session.query('EXECUTE s').then(
        (r) => r.rows,
        (e: unknown) => e,
      );
      expect(JSON.stringify(out)).not.toContain(secrets.password);
      if (!Array.isArray(out)) expect(out).toBeInstanceOf(DeniedError);
    } finally {
      await session.end();
    }
  });
});

describe('cursors', () => {
  it('a cursor after a hidden re-prepare still reads only its own text', async () => {
    const session = gated.as(admin);
    try {
      await session.query({ name: 'p', text: 'SELECT 1 AS n' });
      await session.query(hidden('p', 'SELECT 2 AS n'));
      const cursor = session.query(new Cursor('SELECT 3 AS n'));
      const rows = await new Promise<unknown>((resolve) => {
        cursor.read(10, (err: unknown, got: unknown) => {
          resolve(err ?? got);
        });
      });
      expect(rows).toEqual([{ n: 3 }]);
      await new Promise<void>((resolve) => {
        cursor.close(() => {
          resolve();
        });
      });
      const again = await session.query({ name: 'p', text: 'SELECT 1 AS n' }).then(
        (r) => r.rows,
        (e: unknown) => e,
      );
      if (Array.isArray(again)) expect(again).toEqual([{ n: 1 }]);
      else expect(again).toBeInstanceOf(Error);
    } finally {
      await session.end();
    }
  });
});
