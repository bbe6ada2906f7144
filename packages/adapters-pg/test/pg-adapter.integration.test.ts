// The pg adapter's per-client and per-statement memory against a real server (PORTCULLIS_PG_URL)
// or PGlite: a client's one notice listener hears only the query running on it, for that
// query's session; and a text's remembered tickets are never those of another protocol.
import { createPortcullis, parsePolicy, type Principal } from '@portcullis/core';
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatedPool, type GatedNotice, type GatedPool } from '../src/index.js';

// No column rules, so a statement may call a function of the test's own.
const POLICY = `
version: 1
targets:
  warehouse: { protocol: postgres }
rules:
  - id: operators-all
    effect: allow
    when: { groups: [operators], targets: [warehouse] }
`;

const operator: Principal = { subject: 'olga', groups: ['operators'], kind: 'service' };

let db: TestDatabase;
let gated: GatedPool;

beforeAll(async () => {
  db = await createTestDatabase();
  const setup = new pg.Client({ connectionString: db.url });
  await setup.connect();
  try {
    await setup.query(`
      CREATE FUNCTION adapter_notice(note text) RETURNS int LANGUAGE plpgsql AS $$
      BEGIN
        RAISE NOTICE 'note %', note;
        RETURN 1;
      END $$`);
  } finally {
    await setup.end();
  }
  // One connection: every session's query runs on the same pg client.
  gated = createGatedPool({
    config: { connectionString: db.url, max: 1 },
    portcullis: await createPortcullis({ policy: parsePolicy(POLICY) }),
    target: 'warehouse',
  });
});

afterAll(async () => {
  await gated.end();
  await db.close();
});

const heard = (notices: GatedNotice[]): string[] => notices.map((n) => n.message);

describe("a client's notices", () => {
  it('reach the session whose query raised them, on a client that sessions take turns on', async () => {
    const a = gated.as(operator);
    const b = gated.as(operator);
    const byA: GatedNotice[] = [];
    const byB: GatedNotice[] = [];
    a.on('notice', (n) => byA.push(n));
    b.on('notice', (n) => byB.push(n));
    await a.query("SELECT adapter_notice('a1') AS n");
    await b.query("SELECT adapter_notice('b1') AS n");
    await a.query('SELECT adapter_notice($1) AS n', ['a2']);
    expect(heard(byA)).toEqual(['note a1', 'note a2']);
    expect(heard(byB)).toEqual(['note b1']);
    await Promise.all([a.end(), b.end()]);
  });

  it('are heard once, by the cursor, after a query ran on the same client', async () => {
    const session = gated.as(operator);
    const notices: GatedNotice[] = [];
    session.on('notice', (n) => notices.push(n));
    await session.query("SELECT adapter_notice('query') AS n");
    const cursor = session.query(new Cursor('SELECT adapter_notice($1) AS n', ['cursor']));
    const rows = await cursor.read(10);
    await cursor.close();
    expect(rows).toEqual([{ n: 1 }]);
    expect(heard(notices)).toEqual(['note query', 'note cursor']);
    await session.end();
  });

  it('are not heard by a session whose query on the client has ended', async () => {
    const a = gated.as(operator);
    const b = gated.as(operator);
    const byA: GatedNotice[] = [];
    a.on('notice', (n) => byA.push(n));
    await a.query("SELECT adapter_notice('a') AS n");
    // b's cursor (not a query) is the next use of the client.
    const cursor = b.query(new Cursor("SELECT adapter_notice('b') AS n"));
    await cursor.read(10);
    await cursor.close();
    expect(heard(byA)).toEqual(['note a']);
    await Promise.all([a.end(), b.end()]);
  });
});

describe('one text by each protocol', () => {
  it('runs each time: simple, extended, with no values, with values the statement does not take', async () => {
    const session = gated.as(operator);
    const one = [{ one: 1 }];
    expect((await session.query('SELECT 1 AS one')).rows).toEqual(one);
    expect((await session.query({ text: 'SELECT 1 AS one', queryMode: 'extended' })).rows).toEqual(one);
    expect((await session.query('SELECT 1 AS one')).rows).toEqual(one);
    expect((await session.query('SELECT 1 AS one', [])).rows).toEqual(one);
    expect((await session.query({ name: 'one', text: 'SELECT 1 AS one' })).rows).toEqual(one);
    // Values make it an extended-protocol statement: the server, not the wire guard, refuses them.
    await expect(session.query('SELECT 1 AS one', ['x'])).rejects.toMatchObject({ code: '08P01' });
    expect((await session.query('SELECT 1 AS one')).rows).toEqual(one);
    await session.end();
  });
});
