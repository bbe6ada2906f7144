// A client_encoding other than UTF8 makes the server read the UTF-8 bytes the driver sends as
// another text than the one classified: the gate closes a connection whose client_encoding the
// server reports changed that way (whatever changed it), before it can run another request.
import { createPortcullis, parsePolicy, type Portcullis, type Principal } from '@portcullis/core';
import {
  configuredServerUrl,
  createTestDatabase,
  NEEDS_MULTI_SESSION,
  type TestDatabase,
} from '@portcullis/testing';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGatedPool, type GatedPool } from '../src/index.js';

const POLICY = `
version: 1
targets:
  warehouse: { protocol: postgres }
rules:
  - id: analysts-read-and-set
    effect: allow
    when: { groups: [analysts], targets: [warehouse], operations: [select, set, transaction] }
  - id: analysts-set-config
    effect: allow
    when: { groups: [analysts], targets: [warehouse], operations: [function], resources: [set_config] }
masking:
  profiles:
    keep: { detectors: [] }
  default: keep
`;
const alice: Principal = { subject: 'alice', groups: ['analysts'], kind: 'human' };

let db: TestDatabase;
let portcullis: Portcullis;
let gated: GatedPool;

async function victimExists(): Promise<boolean> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ t: string | null }>(
      "SELECT to_regclass('public.victim')::text AS t",
    );
    return rows[0]?.t === 'victim';
  } finally {
    await client.end();
  }
}

// PGlite shares one backend session between connections: a setting changed by one would be
// seen by all, and the raw checks below would wait on the gated connection.
const real = configuredServerUrl() !== undefined;

beforeAll(async () => {
  if (!real) return;
  db = await createTestDatabase();
  portcullis = await createPortcullis({ policy: parsePolicy(POLICY, { file: 'p.yaml' }) });
  gated = createGatedPool({ config: { connectionString: db.url, max: 1 }, portcullis, target: 'warehouse' });
});
afterAll(async () => {
  if (!real) return;
  await gated.end();
  await db.close();
});
beforeEach(async () => {
  if (!real) return;
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query('CREATE TABLE IF NOT EXISTS victim (id int)');
  await client.end();
});

const settle = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => 'ok',
    (err: unknown) => err,
  );

// Read as UTF-8 (how the classifier reads it) this is one SELECT of one E'' literal, in which \'
// is an escaped quote. Read as SJIS, the last byte of ā (0x81) starts a two-byte character that
// swallows the backslash, the quote ends the literal, and a DROP follows.
const SJIS_SMUGGLE = "SELECT E'\u0101\\' ; DROP TABLE victim; --'";

describe.skipIf(!real)(`settings that change how SQL text is read (${NEEDS_MULTI_SESSION})`, () => {
  it('the smuggling text is one SELECT to the classifier', () => {
    const decision = portcullis.decide({
      principal: alice,
      target: 'warehouse',
      request: { type: 'sql', sql: SJIS_SMUGGLE },
    });
    expect(decision.actions.map((a) => a.action)).toEqual([{ operation: 'select' }]);
  });

  it('a client_encoding other than UTF8 set through set_config() closes the connection', async () => {
    const session = gated.as(alice);
    const set = await settle(session.query("SELECT set_config('client_encoding', 'SJIS', false)"));
    expect(set).toBeInstanceOf(Error);
    expect((set as Error).message).toMatch(/client_encoding/);
    await settle(session.query(SJIS_SMUGGLE));
    expect(await victimExists()).toBe(true);
    const after = await session.query<{ e: string }>("SELECT current_setting('client_encoding') AS e");
    expect(after.rows).toEqual([{ e: 'UTF8' }]);
    await session.end();
  });

  it('and inside a transaction', async () => {
    const session = gated.as(alice);
    const outcome = await settle(
      session.transaction(async (tx) => {
        await tx.query("SELECT set_config('client_encoding', 'SJIS', true)");
        await tx.query(SJIS_SMUGGLE);
      }),
    );
    expect(outcome).toBeInstanceOf(Error);
    expect(await victimExists()).toBe(true);
    await session.end();
  });

  it('SET client_encoding is refused by the classifier', async () => {
    const session = gated.as(alice);
    expect(await settle(session.query("SET client_encoding = 'SJIS'"))).toBeInstanceOf(Error);
    await session.end();
  });

  it('standard_conforming_strings = off does not smuggle a statement either (the classifier reads both ways)', async () => {
    const session = gated.as(alice);
    await settle(session.query('SET standard_conforming_strings = off'));
    await settle(session.query("SELECT 'a\\'' ; DROP TABLE victim; --'"));
    expect(await victimExists()).toBe(true);
    await session.end();
  });

  it('harmless settings still work', async () => {
    const session = gated.as(alice);
    await session.query("SET application_name = 'report'");
    await session.query("SELECT set_config('statement_timeout', '5s', false)");
    const { rows } = await session.query<{ a: string }>("SELECT current_setting('application_name') AS a");
    expect(rows).toEqual([{ a: 'report' }]);
    await session.end();
  });
});
