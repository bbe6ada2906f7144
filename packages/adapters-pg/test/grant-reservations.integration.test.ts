// A once-grant used inside a transaction is reserved, not spent: it is consumed when the
// transaction commits and released when it certainly did not (ROLLBACK, a COMMIT that fails or
// answers ROLLBACK, a connection closed mid-transaction). Re-running a transaction after a
// review needs no new approval for statements already approved; a grant reserved by an open
// transaction cannot be used by another; an autocommit statement spends its grant. With the
// in-memory and the PostgreSQL approval store.
import {
  createMemoryApprovalStore,
  portcullisErrorOf,
  ReviewRequiredError,
  type ApprovalStore,
  type Portcullis,
} from '@portcullis/core';
import {
  configuredServerUrl,
  createTestDatabase,
  NEEDS_MULTI_SESSION,
  type TestDatabase,
} from '@portcullis/testing';
import { drizzle } from 'drizzle-orm/node-postgres';
import { integer, pgTable } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGatedPool,
  createPgApprovalStore,
  type GatedPool,
  type PgApprovalStore,
} from '../src/index.js';
import {
  admin,
  alice,
  bob,
  createSchema,
  engine,
  memoryRecorder,
  rawQuery,
  type MemoryRecorder,
} from './fixtures.js';
import { freshSchema } from './fixtures/store-fixtures.js';

let db: TestDatabase;
let storePool: pg.Pool;
const multi = configuredServerUrl() !== undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  await createSchema(db.url);
  await rawQuery(
    db.url,
    `CREATE TABLE ledger (id int PRIMARY KEY, amount int);
     CREATE TABLE deferred (id int, CONSTRAINT deferred_once UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)`,
  );
  storePool = new pg.Pool({ connectionString: db.url, max: 4 });
  storePool.on('error', () => undefined);
});

afterAll(async () => {
  await storePool.end();
  await db.close();
});

async function ledger(): Promise<number[]> {
  return (await rawQuery<{ id: number }>(db.url, 'SELECT id FROM ledger ORDER BY id')).map((r) => r.id);
}

/** Runs `f`, expecting a review; answers its approval id. */
async function held(f: () => Promise<unknown>): Promise<string> {
  const err = await f().then(
    () => undefined,
    (e: unknown) => portcullisErrorOf(e),
  );
  expect(err).toBeInstanceOf(ReviewRequiredError);
  return (err as ReviewRequiredError).approvalId;
}

const stores: [string, number, () => Promise<ApprovalStore>][] = [
  ['the in-memory store', 1000, () => Promise.resolve(createMemoryApprovalStore())],
  [
    'the PostgreSQL store',
    2000,
    async () => createPgApprovalStore(storePool, { schema: await freshSchema(storePool, 'gr') }),
  ],
];

// The PostgreSQL store keeps its own connections, whose transactions would interleave in
// PGlite's one shared backend session: that store runs only against a real server.
describe.each(stores)('once-grants in transactions, with %s', (name, base, makeStore) => {
  if (!multi && name.includes('PostgreSQL')) {
    it.skip(`(${NEEDS_MULTI_SESSION})`, () => undefined);
    return;
  }
  let store: ApprovalStore;
  let portcullis: Portcullis;
  let recorder: MemoryRecorder;
  let gated: GatedPool;
  // Each store's run uses its own ids.
  let next = 0;
  const id = (): number => base + ++next;

  beforeAll(async () => {
    store = await makeStore();
    recorder = memoryRecorder();
    portcullis = await engine({ approvals: store, recorder });
    gated = createGatedPool({
      config: { connectionString: db.url, max: 6 },
      portcullis,
      target: 'warehouse',
    });
  });

  afterAll(async () => {
    await gated.end();
    await (store as Partial<PgApprovalStore>).close?.();
  });

  const insert = (n: number): string => `INSERT INTO ledger VALUES (${n}, 1)`;

  it('a transaction rolled back after a review re-runs without a new approval for the statement already approved', async () => {
    const [first, second] = [id(), id()];
    const session = gated.as(alice);
    const tx = (): Promise<void> =>
      session.transaction(async (t) => {
        await t.query(insert(first));
        await t.query(insert(second));
      });
    const a = await held(tx);
    await portcullis.approvals.approve(a, bob);
    // The first statement runs on its grant; the second is held and the transaction rolls back.
    const b = await held(tx);
    expect(b).not.toBe(a);
    expect(await ledger()).not.toContain(first);
    expect(await portcullis.approvals.get(a)).toMatchObject({ status: 'approved' });
    await portcullis.approvals.approve(b, bob);
    // The re-run needs nothing new: both grants are used and spent at COMMIT.
    await tx();
    expect(await ledger()).toEqual(expect.arrayContaining([first, second]));
    expect(await portcullis.approvals.get(a)).toMatchObject({ status: 'consumed' });
    expect(await portcullis.approvals.get(b)).toMatchObject({ status: 'consumed' });
    // Once spent, the same transaction asks again.
    await rawQuery(db.url, 'DELETE FROM ledger WHERE id = ANY($1)', [[first, second]]);
    expect(await held(tx)).not.toBe(a);
    await session.end();
  });

  it('the same through drizzle-orm on a pool facade (BEGIN/COMMIT/ROLLBACK sent as queries)', async () => {
    const ledgerTable = pgTable('ledger', { id: integer('id').primaryKey(), amount: integer('amount') });
    const pool = gated.pool(alice);
    const d = drizzle(pool as never);
    const [first, second] = [id(), id()];
    const tx = (): Promise<void> =>
      d.transaction(async (t) => {
        await t.insert(ledgerTable).values({ id: first, amount: 1 });
        await t.insert(ledgerTable).values({ id: second, amount: 1 });
      });
    try {
      await portcullis.approvals.approve(await held(tx), bob);
      await portcullis.approvals.approve(await held(tx), bob);
      await tx();
      expect(await ledger()).toEqual(expect.arrayContaining([first, second]));
    } finally {
      await pool.end();
    }
  });

  it('the recording shows the grant reserved, then released at ROLLBACK and consumed at COMMIT', async () => {
    const n = id();
    const session = gated.as(alice);
    await portcullis.approvals.approve(await held(() => session.query(insert(n))), bob);
    const from = recorder.events.length;
    await session.query('BEGIN');
    await session.query(insert(n));
    await session.query('ROLLBACK');
    await session.query('BEGIN');
    await session.query(insert(n));
    await session.query('COMMIT');
    await session.end();
    const statuses = recorder.events
      .slice(from)
      .filter((e) => e.type === 'approval')
      .map((e) => (e.data as { status: string }).status);
    expect(statuses).toEqual(['reserved', 'released', 'reserved', 'consumed']);
    expect(await ledger()).toContain(n);
  });

  it('an autocommit statement spends its grant when it runs', async () => {
    const n = id();
    const session = gated.as(alice);
    const a = await held(() => session.query(insert(n)));
    await portcullis.approvals.approve(a, bob);
    await session.query(insert(n));
    expect(await portcullis.approvals.get(a)).toMatchObject({ status: 'consumed' });
    await rawQuery(db.url, 'DELETE FROM ledger WHERE id = $1', [n]);
    expect(await held(() => session.query(insert(n)))).not.toBe(a);
    await session.end();
  });

  it('a COMMIT that fails (a deferred constraint) does not spend the grant', async () => {
    const n = id();
    await rawQuery(db.url, 'INSERT INTO deferred VALUES ($1)', [n]);
    const sql = `INSERT INTO deferred VALUES (${n})`;
    const session = gated.as(alice);
    const a = await held(() => session.query(sql));
    await portcullis.approvals.approve(a, bob);
    await session.query('BEGIN');
    await session.query(sql);
    await expect(session.query('COMMIT')).rejects.toMatchObject({ code: '23505' });
    expect(await portcullis.approvals.get(a)).toMatchObject({ status: 'approved' });
    await rawQuery(db.url, 'DELETE FROM deferred WHERE id = $1', [n]);
    await session.query('BEGIN');
    await session.query(sql);
    await session.query('COMMIT');
    expect(await portcullis.approvals.get(a)).toMatchObject({ status: 'consumed' });
    await session.end();
  });

  it('COMMIT of a failed transaction (answered ROLLBACK) releases the grant', async () => {
    const n = id();
    const session = gated.as(alice);
    const a = await held(() => session.query(insert(n)));
    await portcullis.approvals.approve(a, bob);
    await session.query('BEGIN');
    await session.query(insert(n));
    await expect(session.query('SELECT 1/0')).rejects.toMatchObject({ code: '22012' });
    expect((await session.query('COMMIT')).command).toBe('ROLLBACK');
    expect(await portcullis.approvals.get(a)).toMatchObject({ status: 'approved' });
    await session.end();
  });

  it('a session that ends mid-transaction releases the grant (the server rolls back)', async () => {
    const n = id();
    const pool = gated.pool(alice);
    const a = await held(() => pool.query(insert(n)));
    await portcullis.approvals.approve(a, bob);
    const client = await pool.connect();
    await client.query('BEGIN');
    await client.query(insert(n));
    client.release();
    await pool.end();
    expect(await ledger()).not.toContain(n);
    await waitForStatus(a, 'approved');
  });

  it('a text that commits and opens a new transaction spends the grants reserved before it', async () => {
    const n = id();
    const session = gated.as(alice);
    const a = await held(() => session.query(insert(n)));
    await portcullis.approvals.approve(a, bob);
    await session.query('BEGIN');
    await session.query(insert(n));
    await session.query('COMMIT; BEGIN');
    await session.query('ROLLBACK');
    expect(await ledger()).toContain(n);
    expect(await portcullis.approvals.get(a)).toMatchObject({ status: 'consumed' });
    await session.end();
  });

  it('PREPARE TRANSACTION spends the grant (the prepared transaction can still commit)', async () => {
    const n = id();
    const session = gated.as(alice);
    const a = await held(() => session.query(insert(n)));
    await portcullis.approvals.approve(a, bob);
    await session.query('BEGIN');
    await session.query(insert(n));
    // The test server may not allow prepared transactions: either way the grant is spent.
    await session.query(`PREPARE TRANSACTION 'p${n}'`).catch(() => undefined);
    expect(await portcullis.approvals.get(a)).toMatchObject({ status: 'consumed' });
    await rawQuery(db.url, `ROLLBACK PREPARED 'p${n}'`).catch(() => undefined);
    await session.end();
  });

  it.skipIf(!multi)(
    `two transactions racing for one once-grant: exactly one commits with it (${NEEDS_MULTI_SESSION})`,
    async () => {
      const n = id();
      const sql = `UPDATE ledger SET amount = amount + 1 WHERE id = ${n}`;
      await rawQuery(db.url, 'INSERT INTO ledger VALUES ($1, 0)', [n]);
      const [s1, s2] = [gated.as(alice), gated.as(alice)];
      const a = await held(() => s1.query(sql));
      await portcullis.approvals.approve(a, bob);
      await s1.query('BEGIN');
      await s2.query('BEGIN');
      await s1.query(sql);
      // Reserved by s1's open transaction: s2 cannot use it and is asked for a new approval.
      const b = await held(() => s2.query(sql));
      expect(b).not.toBe(a);
      await s2.query('ROLLBACK');
      await s1.query('COMMIT');
      expect(await portcullis.approvals.get(a)).toMatchObject({ status: 'consumed' });
      expect(await rawQuery(db.url, 'SELECT amount FROM ledger WHERE id = $1', [n])).toEqual([{ amount: 1 }]);
      await Promise.all([s1.end(), s2.end()]);
    },
  );

  it.skipIf(!multi)(
    `a grant released by one transaction's rollback is usable by another (${NEEDS_MULTI_SESSION})`,
    async () => {
      const n = id();
      const [s1, s2] = [gated.as(alice), gated.as(alice)];
      const a = await held(() => s1.query(insert(n)));
      await portcullis.approvals.approve(a, bob);
      await s1.query('BEGIN');
      await s1.query(insert(n));
      await s1.query('ROLLBACK');
      await s2.query(insert(n));
      expect(await portcullis.approvals.get(a)).toMatchObject({ status: 'consumed' });
      expect(await ledger()).toContain(n);
      await Promise.all([s1.end(), s2.end()]);
    },
  );

  it('admins need no grant: a transaction of theirs records no approval', async () => {
    const n = id();
    const from = recorder.events.length;
    const session = gated.as(admin);
    await session.transaction(async (t) => {
      await t.query(insert(n));
    });
    await session.end();
    expect(recorder.events.slice(from).filter((e) => e.type === 'approval')).toEqual([]);
  });

  /** A release after a connection closed happens as the session ends: poll the store briefly. */
  async function waitForStatus(approvalId: string, status: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if ((await portcullis.approvals.get(approvalId))?.status === status) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await portcullis.approvals.get(approvalId)).toMatchObject({ status });
  }
});
