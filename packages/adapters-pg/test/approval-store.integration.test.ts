// The PostgreSQL approval store: the same outcomes as the in-memory store for every operation
// (both run the same pure rules), exactly-once consumption under contention, fail-closed
// enforcement when storage fails, and waits woken from another process through LISTEN/NOTIFY.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import {
  ApprovalError,
  createMemoryApprovalStore,
  createPortcullis,
  DeniedError,
  hashRequest,
  hashScope,
  parsePolicy,
  ReviewRequiredError,
  type ApprovalRequest,
  type ApprovalStore,
  type ApprovalChange,
  type GrantQuery,
  type Principal,
  type Request,
} from '@portcullis/core';
import {
  configuredServerUrl,
  createTestDatabase,
  NEEDS_MULTI_SESSION,
  type TestDatabase,
} from '@portcullis/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgApprovalStore, type ListenConnection, type PgApprovalStore } from '../src/index.js';
import {
  agent,
  alice,
  bob,
  carol,
  dave,
  freshSchema,
  MINUTE,
  requirement,
  STORE_POLICY,
} from './fixtures/store-fixtures.js';

let db: TestDatabase;
let pool: pg.Pool;
const stores: PgApprovalStore[] = [];
const multi = configuredServerUrl() === undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = testPool(10);
});

/** A pool whose idle clients may be cut off when the test database is dropped at the end. */
function testPool(max: number): pg.Pool {
  const p = new pg.Pool({ connectionString: db.url, max });
  p.on('error', () => undefined);
  return p;
}

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await pool.end();
  await db.close();
});

async function pgStore(
  options: Parameters<typeof createPgApprovalStore>[1] = {},
  on = pool,
): Promise<PgApprovalStore> {
  const store = createPgApprovalStore(on, { schema: await freshSchema(on), ...options });
  stores.push(store);
  return store;
}

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * MINUTE);
const sql = (text: string): Request => ({ type: 'sql', sql: text });

function grantQuery(principal: Principal, request: Request, when: Date, windowGrant = false): GrantQuery {
  return {
    principal,
    requestHash: hashRequest({ principal, target: 'warehouse', request }),
    scopeHash: hashScope({ principal, target: 'warehouse' }),
    requirements: [requirement(windowGrant ? { grant: 'window' } : {})],
    at: when,
  };
}

/** One scripted history of every operation; outcomes are values or error codes. */
async function script(store: ApprovalStore): Promise<unknown[]> {
  const out: unknown[] = [];
  const step = async (f: () => Promise<unknown>): Promise<unknown> => {
    try {
      const value = await f();
      out.push(value ?? null);
      return value;
    } catch (err) {
      out.push({ error: err instanceof ApprovalError ? err.code : String(err) });
      return undefined;
    }
  };
  const input = (principal: Principal, text: string, when: Date, windowGrant = false) => ({
    requester: principal,
    target: 'warehouse',
    request: sql(text),
    actions: [{ operation: 'update', resource: 'orders' }],
    requirements: [requirement(windowGrant ? { grant: 'window' } : {})],
    reasons: ['Writes to the warehouse need a manager'],
    at: when,
  });
  const a = (await step(() =>
    store.create(input(alice, 'UPDATE orders SET x = 1', at(0))),
  )) as ApprovalRequest;
  await step(() => store.create(input(alice, 'UPDATE orders SET x = 1', at(1)))); // the same pending one
  const b = (await step(() =>
    store.create(input(agent, 'UPDATE orders SET x = 2', at(2))),
  )) as ApprovalRequest;
  await step(() => store.vote(a.id, { approver: alice, verdict: 'approve' }, at(3))); // self
  await step(() => store.vote(a.id, { approver: carol, verdict: 'approve' }, at(3))); // not a manager
  await step(() => store.vote(a.id, { approver: { ...bob, actor: 'bot' }, verdict: 'approve' }, at(3))); // via an agent
  await step(() => store.vote(b.id, { approver: alice, verdict: 'approve' }, at(3))); // the human behind the agent
  await step(() => store.vote(a.id, { approver: bob, verdict: 'approve', comment: 'ok' }, at(4)));
  await step(() => store.vote(a.id, { approver: dave, verdict: 'approve' }, at(4))); // closed
  await step(() => store.consume(grantQuery(agent, sql('UPDATE orders SET x = 1'), at(5)))); // not the requester
  await step(() => store.consume(grantQuery(alice, sql('UPDATE orders SET x = 1 '), at(5)))); // not the text
  await step(() => store.consume(grantQuery(alice, sql('UPDATE orders SET x = 1'), at(5))));
  await step(() => store.consume(grantQuery(alice, sql('UPDATE orders SET x = 1'), at(6)))); // used up
  await step(() => store.get(b.id, at(33))); // expired while pending, and persisted
  await step(() => store.vote(b.id, { approver: bob, verdict: 'approve' }, at(33)));
  const c = (await step(() =>
    store.create(input(carol, 'DELETE FROM orders', at(40), true)),
  )) as ApprovalRequest;
  await step(() => store.vote(c.id, { approver: dave, verdict: 'approve' }, at(41)));
  await step(() =>
    store.findWindowGrant(grantQuery(carol, sql('INSERT INTO orders VALUES (1)'), at(42), true)),
  );
  await step(() => store.findWindowGrant(grantQuery(alice, sql('DELETE FROM orders'), at(42), true)));
  await step(() => store.findWindowGrant(grantQuery(carol, sql('DELETE FROM orders'), at(80), true))); // expired
  const d = (await step(() =>
    store.create(input(carol, 'UPDATE orders SET x = 4', at(50))),
  )) as ApprovalRequest;
  await step(() => store.vote(d.id, { approver: bob, verdict: 'deny', comment: 'no' }, at(51)));
  await step(() => store.create(input(alice, 'UPDATE orders SET x = 1', at(52)))); // after consumption: a new one
  await step(() => store.get('no-such-id', at(52)));
  await step(() => store.vote('no-such-id', { approver: bob, verdict: 'approve' }, at(52)));
  await step(() => store.list({}, at(53)));
  await step(() => store.list({ status: 'pending' }, at(53)));
  await step(() => store.list({ status: ['approved', 'consumed', 'expired'], subject: 'alice' }, at(53)));
  await step(() => store.list({ target: 'elsewhere' }, at(53)));
  await step(() => store.list({}, at(200))); // everything live has expired by now
  return out;
}

function sequentialIds(): () => string {
  let n = 0;
  return () => `approval-${String(++n).padStart(3, '0')}`;
}

describe('the PostgreSQL approval store', () => {
  it('gives exactly the in-memory store’s outcomes for every operation (same pure rules)', async () => {
    const expected = await script(createMemoryApprovalStore({ newId: sequentialIds() }));
    const actual = await script(await pgStore({ newId: sequentialIds() }));
    expect(actual).toEqual(expected);
    // The script reached every rule outcome, so the comparison covers them.
    const codes = expected.flatMap((o) =>
      o !== null && typeof o === 'object' && 'error' in o ? [o.error] : [],
    );
    expect(new Set(codes)).toEqual(
      new Set([
        'ERR_APPROVAL_FORBIDDEN',
        'ERR_APPROVAL_CLOSED',
        'ERR_APPROVAL_EXPIRED',
        'ERR_APPROVAL_NOT_FOUND',
      ]),
    );
  });

  it('hands out frozen records', async () => {
    const store = await pgStore();
    const record = await store.create({
      requester: alice,
      target: 'warehouse',
      request: sql('UPDATE t SET a = 1'),
      actions: [{ operation: 'update', resource: 't' }],
      requirements: [requirement()],
      at: T0,
    });
    expect(Object.isFrozen(record)).toBe(true);
    expect(Object.isFrozen(record.requester.groups)).toBe(true);
  });

  it('tells subscribers of every change, and wakes a waiter in this process when a vote settles it', async () => {
    const store = await pgStore({ pollIntervalMs: 0 });
    const changes: string[] = [];
    const unsubscribe = store.subscribe((c: ApprovalChange) =>
      changes.push(`${c.type}:${c.approval.status}`),
    );
    const created = await store.create({
      requester: alice,
      target: 'warehouse',
      request: sql('UPDATE t SET a = 2'),
      actions: [{ operation: 'update', resource: 't' }],
      requirements: [requirement()],
      at: new Date(),
    });
    const waiting = store.waitFor(created.id);
    await store.vote(created.id, { approver: bob, verdict: 'approve' }, new Date());
    await expect(waiting).resolves.toMatchObject({ id: created.id, status: 'approved' });
    await store.consume(grantQuery(alice, sql('UPDATE t SET a = 2'), new Date()));
    unsubscribe();
    expect(changes).toEqual(['created:pending', 'voted:approved', 'consumed:consumed']);
    // A settled request resolves at once; an unknown one is not found; an abort ends the wait.
    await expect(store.waitFor(created.id)).resolves.toMatchObject({ status: 'consumed' });
    await expect(store.waitFor('nope')).rejects.toMatchObject({ code: 'ERR_APPROVAL_NOT_FOUND' });
    const other = await store.create({
      requester: alice,
      target: 'warehouse',
      request: sql('UPDATE t SET a = 3'),
      actions: [{ operation: 'update', resource: 't' }],
      requirements: [requirement()],
      at: new Date(),
    });
    const controller = new AbortController();
    const aborted = store.waitFor(other.id, controller.signal);
    controller.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
  });

  it('fails a wait closed when the listening connection cannot be opened, or drops and cannot come back', async () => {
    const input = (text: string) => ({
      requester: alice,
      target: 'warehouse',
      request: sql(text),
      actions: [{ operation: 'update', resource: 't' }],
      requirements: [requirement()],
      at: new Date(),
    });
    const refusing = await pgStore({
      pollIntervalMs: 0,
      listenConnection: () => Promise.reject(new Error('connection refused')),
    });
    const first = await refusing.create(input('UPDATE t SET d = 1'));
    await expect(refusing.waitFor(first.id)).rejects.toMatchObject({
      code: 'ERR_APPROVAL_STORE',
      message: 'the PostgreSQL approval store failed: connection refused',
    });

    // A connection that works once, then drops; every reconnect is refused.
    let opened = 0;
    const live = new EventEmitter();
    const connection = Object.assign(live, {
      query: () => Promise.resolve(),
      end: () => Promise.resolve(),
    }) as unknown as ListenConnection;
    const flaky = await pgStore({
      pollIntervalMs: 0,
      reconnectAttempts: 2,
      listenConnection: () =>
        opened++ === 0 ? Promise.resolve(connection) : Promise.reject(new Error('server gone')),
    });
    const second = await flaky.create(input('UPDATE t SET d = 2'));
    const waiting = flaky.waitFor(second.id);
    while (live.listenerCount('end') === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    live.emit('end');
    await expect(waiting).rejects.toMatchObject({
      code: 'ERR_APPROVAL_STORE',
      message: 'the PostgreSQL approval store lost its listening connection: server gone',
    });
    expect(opened).toBe(3);
  });

  it('of 100 concurrent consumers of one once-grant, exactly one gets it', async () => {
    const store = await pgStore();
    const request = sql('UPDATE orders SET total = 0 WHERE id = 1');
    const pending = await store.create({
      requester: agent,
      target: 'warehouse',
      request,
      actions: [{ operation: 'update', resource: 'orders' }],
      requirements: [requirement()],
      at: new Date(),
    });
    await store.vote(pending.id, { approver: bob, verdict: 'approve' }, new Date());
    // Two stores on two pools, as two processes would have.
    const otherPool = testPool(10);
    const other = createPgApprovalStore(otherPool, { schema: store.schema });
    try {
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          (i % 2 === 0 ? store : other).consume(grantQuery(agent, request, new Date())),
        ),
      );
      const used = results.filter((r) => r !== undefined);
      expect(used).toHaveLength(1);
      expect(used[0]).toMatchObject({ id: pending.id, status: 'consumed' });
      expect(await store.get(pending.id, new Date())).toMatchObject({ status: 'consumed' });
    } finally {
      await other.close();
      await otherPool.end();
    }
  });

  it('of 100 concurrent reservers of one once-grant in two processes, exactly one holds it; only its holder ends it', async () => {
    const store = await pgStore();
    const request = sql('UPDATE orders SET total = 1 WHERE id = 2');
    const pending = await store.create({
      requester: agent,
      target: 'warehouse',
      request,
      actions: [{ operation: 'update', resource: 'orders' }],
      requirements: [requirement()],
      at: new Date(),
    });
    await store.vote(pending.id, { approver: bob, verdict: 'approve' }, new Date());
    const changes: string[] = [];
    const unsubscribe = store.subscribe((c: ApprovalChange) =>
      changes.push(`${c.type}:${c.approval.status}`),
    );
    const otherPool = testPool(10);
    const other = createPgApprovalStore(otherPool, { schema: store.schema });
    try {
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          (i % 2 === 0 ? store : other).consume({
            ...grantQuery(agent, request, new Date()),
            reserve: `holder-${i}`,
          }),
        ),
      );
      const used = results.filter((r) => r !== undefined);
      expect(used).toHaveLength(1);
      const holder = used[0]!.reservedBy ?? '';
      expect(used[0]).toMatchObject({ id: pending.id, status: 'reserved' });
      expect(holder).toMatch(/^holder-\d+$/);
      expect(await other.endReservation(pending.id, 'someone-else', 'released', new Date())).toBeUndefined();
      expect(await store.consume(grantQuery(agent, request, new Date()))).toBeUndefined();
      await expect(other.endReservation(pending.id, holder, 'released', new Date())).resolves.toMatchObject({
        status: 'approved',
      });
      expect((await store.get(pending.id, new Date()))?.reservedBy).toBeUndefined();
      await expect(
        store.consume({ ...grantQuery(agent, request, new Date()), reserve: 'again' }),
      ).resolves.toMatchObject({ status: 'reserved', reservedBy: 'again' });
      await expect(store.endReservation(pending.id, 'again', 'consumed', new Date())).resolves.toMatchObject({
        status: 'consumed',
      });
      expect(await store.endReservation(pending.id, 'again', 'released', new Date())).toBeUndefined();
      expect(await store.get(pending.id, new Date())).toMatchObject({ status: 'consumed' });
      // Subscribers hear of the grant once it is spent, not while it is reserved or released.
      unsubscribe();
      expect(changes).toEqual(['consumed:consumed']);
    } finally {
      unsubscribe();
      await other.close();
      await otherPool.end();
    }
  });

  it('through the engine, 100 concurrent runs of one approved request: exactly one is authorized', async () => {
    const store = await pgStore();
    const portcullis = await createPortcullis({ policy: parsePolicy(STORE_POLICY), approvals: store });
    const request = sql('UPDATE orders SET total = total + 1 WHERE id = 7');
    const first = await portcullis
      .authorize({ principal: agent, target: 'warehouse', request })
      .catch((e: unknown) => e);
    expect(first).toBeInstanceOf(ReviewRequiredError);
    const id = (first as ReviewRequiredError).approvalId;
    await expect(portcullis.approvals.approve(id, alice)).rejects.toMatchObject({
      code: 'ERR_APPROVAL_FORBIDDEN',
    });
    await portcullis.approvals.approve(id, bob);

    const outcomes = await Promise.all(
      Array.from({ length: 100 }, () =>
        portcullis.authorize({ principal: agent, target: 'warehouse', request }).then(
          (auth) => ({ ran: auth.approvalId }),
          (err: unknown) => ({ held: err instanceof ReviewRequiredError ? err.approvalId : String(err) }),
        ),
      ),
    );
    const ran = outcomes.filter((o) => 'ran' in o);
    expect(ran).toEqual([{ ran: id }]);
    // Everyone else is held on one new approval request: a repeat needs a new approval.
    const held = new Set(outcomes.flatMap((o) => ('held' in o ? [o.held] : [])));
    expect(held.size).toBe(1);
    expect(held.has(id)).toBe(false);
  });

  it('fails closed: a dropped table or an ended pool denies, and approving reports the store failure', async () => {
    const store = await pgStore();
    const portcullis = await createPortcullis({ policy: parsePolicy(STORE_POLICY), approvals: store });
    const request = sql('DELETE FROM orders WHERE id = 1');
    await expect(
      portcullis.authorize({ principal: alice, target: 'warehouse', request }),
    ).rejects.toBeInstanceOf(ReviewRequiredError);
    await pool.query(`DROP TABLE ${store.schema}.approvals`);
    const dropped = await portcullis
      .authorize({ principal: alice, target: 'warehouse', request })
      .catch((e: unknown) => e);
    expect(dropped).toBeInstanceOf(DeniedError);
    expect((dropped as DeniedError).cause).toMatchObject({ code: 'ERR_APPROVAL_STORE' });
    expect((dropped as Error).message).toContain('the approval store failed');

    const endedPool = testPool(2);
    const ended = createPgApprovalStore(endedPool, { schema: await freshSchema(endedPool) });
    const engine = await createPortcullis({ policy: parsePolicy(STORE_POLICY), approvals: ended });
    await endedPool.end();
    const denied = await engine
      .authorize({ principal: alice, target: 'warehouse', request })
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(DeniedError);
    expect((denied as DeniedError).cause).toMatchObject({ code: 'ERR_APPROVAL_STORE' });
    await expect(engine.approvals.approve('any', bob)).rejects.toMatchObject({ code: 'ERR_APPROVAL_STORE' });
    // Reads that need no review still run: only the store's part fails.
    await expect(
      engine.authorize({ principal: alice, target: 'warehouse', request: sql('SELECT 1 FROM orders') }),
    ).resolves.toMatchObject({ decision: { effect: 'allow' } });
    await ended.close();
    await expect(ended.list({}, new Date())).rejects.toMatchObject({ code: 'ERR_APPROVAL_STORE' });
  });
});

describe('across processes on one database', () => {
  const here = fileURLToPath(new URL('.', import.meta.url));

  function approveInAnotherProcess(schema: string, text: string, approver: Principal): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          '--conditions=portcullis-source',
          '--import',
          'tsx',
          `${here}fixtures/approve-in-another-process.ts`,
          db.url,
          schema,
          text,
          JSON.stringify(approver),
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.on('error', reject);
      child.on('exit', (code) => {
        if (code === 0) resolve(out);
        else reject(new Error(`the approving process exited ${String(code)}: ${err}`));
      });
    });
  }

  it.skipIf(multi)(
    `a request waiting in wait mode runs once another process approves it (${NEEDS_MULTI_SESSION})`,
    async () => {
      // No polling: only the notification can wake this waiter.
      const store = await pgStore({ pollIntervalMs: 0 });
      const portcullis = await createPortcullis({ policy: parsePolicy(STORE_POLICY), approvals: store });
      const text = 'UPDATE orders SET total = 42 WHERE id = 3';
      const waiting = portcullis.authorize({
        principal: agent,
        target: 'warehouse',
        request: sql(text),
        review: { mode: 'wait', timeoutMs: 25_000 },
      });
      const printed = await approveInAnotherProcess(store.schema, text, bob);
      const { id, status, pid } = JSON.parse(printed) as { id: string; status: string; pid: number };
      expect(status).toBe('approved');
      expect(pid).not.toBe(process.pid);
      await expect(waiting).resolves.toMatchObject({ approvalId: id, decision: { effect: 'review' } });
      expect(await store.get(id, new Date())).toMatchObject({ status: 'consumed' });
    },
  );

  it.skipIf(multi)(`subscribers hear of other processes' changes (${NEEDS_MULTI_SESSION})`, async () => {
    const store = await pgStore({ pollIntervalMs: 0 });
    const otherPool = testPool(2);
    const other = createPgApprovalStore(otherPool, { schema: store.schema });
    const heard: string[] = [];
    const seen = new Promise<void>((resolve) => {
      store.subscribe((c) => {
        // The record is read when the notification arrives, so only the last status is certain.
        heard.push(c.type);
        if (c.type === 'voted') resolve();
      });
    });
    try {
      // Let the listening connection come up before the other store changes anything.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const created = await other.create({
        requester: alice,
        target: 'warehouse',
        request: sql('UPDATE t SET b = 1'),
        actions: [{ operation: 'update', resource: 't' }],
        requirements: [requirement()],
        at: new Date(),
      });
      await other.vote(created.id, { approver: bob, verdict: 'approve' }, new Date());
      await seen;
      expect(heard).toEqual(['created', 'voted']);
    } finally {
      await other.close();
      await otherPool.end();
    }
  });

  it.skipIf(multi)(
    `a waiter survives its listening connection being killed (${NEEDS_MULTI_SESSION})`,
    async () => {
      const store = await pgStore({ pollIntervalMs: 0 });
      const created = await store.create({
        requester: alice,
        target: 'warehouse',
        request: sql('UPDATE t SET c = 1'),
        actions: [{ operation: 'update', resource: 't' }],
        requirements: [requirement()],
        at: new Date(),
      });
      const waiting = store.waitFor(created.id);
      const listening = async (): Promise<number[]> =>
        (
          await pool.query<{ pid: number }>(
            'SELECT pid FROM pg_stat_activity WHERE query = $1 AND datname = current_database()',
            [`LISTEN ${store.schema}_approvals`],
          )
        ).rows.map((r) => r.pid);
      let pids: number[] = [];
      while (pids.length === 0) pids = await listening();
      await pool.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
      // Vote from another store while this one is reconnecting: the waiter must still wake.
      const otherPool = testPool(2);
      const other = createPgApprovalStore(otherPool, { schema: store.schema });
      try {
        await other.vote(created.id, { approver: bob, verdict: 'approve' }, new Date());
        await expect(waiting).resolves.toMatchObject({ status: 'approved' });
      } finally {
        await other.close();
        await otherPool.end();
      }
    },
  );
});
