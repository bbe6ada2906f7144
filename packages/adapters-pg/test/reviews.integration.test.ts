// Denials, reviews in both modes, and failing approval stores and recorders, through the gated
// client: every outcome is the engine's typed error, and what was not approved never runs.
import {
  ApprovalError,
  createMemoryApprovalStore,
  DeniedError,
  RecordingError,
  ReviewRequiredError,
  type ApprovalStore,
  type Portcullis,
} from '@portcullis/core';
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatedPool, type GatedPool } from '../src/index.js';
import { admin, agent, alice, bob, createSchema, engine, memoryRecorder, POLICY } from './fixtures.js';

let db: TestDatabase;
let portcullis: Portcullis;
let gated: GatedPool;

beforeAll(async () => {
  db = await createTestDatabase();
  await createSchema(db.url);
  portcullis = await engine();
  gated = createGatedPool({ config: { connectionString: db.url, max: 4 }, portcullis, target: 'warehouse' });
});

afterAll(async () => {
  await gated.end();
  await db.close();
});

async function total(id: number): Promise<string> {
  const raw = new pg.Client({ connectionString: db.url });
  await raw.connect();
  try {
    const result = await raw.query<{ total: string }>(
      'SELECT total::text AS total FROM orders WHERE id = $1',
      [id],
    );
    return result.rows[0]!.total;
  } finally {
    await raw.end();
  }
}

/** Polls the engine's approvals until a pending one for exactly this SQL shows up. */
async function pendingFor(sql: string): Promise<string> {
  for (;;) {
    const pending = await portcullis.approvals.list({ status: 'pending' });
    const found = pending.find((a) => a.request.type === 'sql' && a.request.sql === sql);
    if (found !== undefined) return found.id;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('denials', () => {
  it('a DROP is denied with the rule and its reason, and does not run', async () => {
    const err = await gated
      .as(alice)
      .query('DROP TABLE orders')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeniedError);
    expect(err).toMatchObject({ code: 'ERR_DENIED' });
    expect((err as DeniedError).decision.rules).toEqual(['no-destructive-ddl']);
    expect((err as DeniedError).decision.reasons).toEqual(['Destructive DDL is never allowed']);
    expect(await total(1)).toBe('10.5');
  });
});

describe('reviews', () => {
  it('defer: an UPDATE is held, approved by another person, runs exactly once; a repeat needs a new approval', async () => {
    const sql = 'UPDATE orders SET total = total + 1 WHERE id = 1';
    const session = gated.as(agent);
    const held = await session.query(sql).catch((e: unknown) => e);
    expect(held).toBeInstanceOf(ReviewRequiredError);
    expect(held).toMatchObject({ code: 'ERR_REVIEW_REQUIRED' });
    const id = (held as ReviewRequiredError).approvalId;
    expect(await total(1)).toBe('10.5');

    // Asking again before approval finds the same pending approval.
    await expect(session.query(sql)).rejects.toMatchObject({ approvalId: id });
    // The requester (and the human behind the agent) cannot approve it.
    await expect(portcullis.approvals.approve(id, alice)).rejects.toBeInstanceOf(ApprovalError);
    await portcullis.approvals.approve(id, bob);

    // Another text is not the approved request.
    await expect(session.query(`${sql} `)).rejects.toMatchObject({ code: 'ERR_REVIEW_REQUIRED' });
    const ran = await session.query(sql);
    expect(ran.rowCount).toBe(1);
    expect(await total(1)).toBe('11.5');

    const again = await session.query(sql).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ReviewRequiredError);
    expect((again as ReviewRequiredError).approvalId).not.toBe(id);
    expect(await total(1)).toBe('11.5');
  });

  it('wait: the call waits for approval, then runs once; later requests on the session wait behind it', async () => {
    const sql = 'UPDATE orders SET total = total + 100 WHERE id = 2';
    const session = gated.as(alice, { review: { mode: 'wait', timeoutMs: 20_000 } });
    const order: string[] = [];
    const update = session.query(sql).then((r) => {
      order.push('update');
      return r;
    });
    const after = session.query('SELECT total::text AS total FROM orders WHERE id = 2').then((r) => {
      order.push('select');
      return r;
    });
    const id = await pendingFor(sql);
    expect(order).toEqual([]);
    await portcullis.approvals.approve(id, bob);
    expect((await update).rowCount).toBe(1);
    expect((await after).rows).toEqual([{ total: '120' }]);
    expect(order).toEqual(['update', 'select']);
  });

  it('wait: without an approval in time the call fails with ERR_REVIEW_TIMEOUT and nothing runs', async () => {
    const session = gated.as(alice, { review: { mode: 'wait', timeoutMs: 50 } });
    const err = await session.query('DELETE FROM orders WHERE id = 1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReviewRequiredError);
    expect(err).toMatchObject({ code: 'ERR_REVIEW_TIMEOUT' });
    expect(await total(1)).toBe('11.5');
  });

  it('an approver’s denial fails a waiting call with ERR_DENIED', async () => {
    const session = gated.as(alice, { review: { mode: 'wait', timeoutMs: 20_000 } });
    const call = session.query('DELETE FROM orders WHERE id = 2').catch((e: unknown) => e);
    await portcullis.approvals.deny(await pendingFor('DELETE FROM orders WHERE id = 2'), bob, 'not today');
    expect(await call).toBeInstanceOf(DeniedError);
    expect(await total(2)).toBe('120');
  });
});

describe('failures deny', () => {
  function failingStore(): ApprovalStore {
    const store = createMemoryApprovalStore();
    const fail = (): Promise<never> => Promise.reject(new Error('approval store is down'));
    return { ...store, create: fail, consume: fail, findWindowGrant: fail, waitFor: fail };
  }

  it('a failing approval store denies a request that needs review, and nothing runs', async () => {
    const pool = createGatedPool({
      config: { connectionString: db.url, max: 1 },
      portcullis: await engine({ approvals: failingStore() }),
      target: 'warehouse',
    });
    try {
      const err = await pool
        .as(alice)
        .query('UPDATE orders SET total = 0 WHERE id = 1')
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeniedError);
      expect((err as Error).message).toMatch(/approval store/);
      expect(await total(1)).toBe('11.5');
    } finally {
      await pool.end();
    }
  });

  it('a failing recorder denies when the policy requires recording, and nothing runs', async () => {
    const recorder = memoryRecorder();
    recorder.failing.add('request');
    const pool = createGatedPool({
      config: { connectionString: db.url, max: 1 },
      portcullis: await engine({ recorder, policy: `${POLICY}\nrecording: { required: true }\n` }),
      target: 'warehouse',
    });
    try {
      const err = await pool
        .as(admin)
        .query('UPDATE orders SET total = 0 WHERE id = 1')
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeniedError);
      expect((err as Error).message).toMatch(/record/);
      expect(await total(1)).toBe('11.5');
    } finally {
      await pool.end();
    }
  });

  it('a recorder that fails to start denies when the policy requires recording', async () => {
    const recorder = memoryRecorder();
    const pool = createGatedPool({
      config: { connectionString: db.url, max: 1 },
      portcullis: await engine({
        recorder: { start: () => Promise.reject(new Error('sink unreachable')) },
        policy: `${POLICY}\nrecording: { required: true }\n`,
      }),
      target: 'warehouse',
    });
    try {
      await expect(pool.as(admin).query('SELECT 1')).rejects.toBeInstanceOf(DeniedError);
      expect(recorder.events).toEqual([]);
    } finally {
      await pool.end();
    }
  });

  it('a result that cannot be recorded is withheld when recording is required', async () => {
    const recorder = memoryRecorder();
    recorder.failing.add('result');
    const pool = createGatedPool({
      config: { connectionString: db.url, max: 1 },
      portcullis: await engine({ recorder, policy: `${POLICY}\nrecording: { required: true }\n` }),
      target: 'warehouse',
    });
    try {
      const err = await pool
        .as(alice)
        .query('SELECT id FROM orders')
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RecordingError);
      expect(err).toMatchObject({ code: 'ERR_RECORDING_FAILED' });
    } finally {
      await pool.end();
    }
  });
});
