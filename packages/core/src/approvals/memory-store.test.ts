import { describe, expect, it } from 'vitest';
import { ApprovalError } from '../errors.js';
import type { Principal, Request, ReviewRequirement } from '../types.js';
import { hashRequest, hashScope } from './hash-request.js';
import { createMemoryApprovalStore } from './memory-store.js';
import type { ApprovalChange, ApprovalStore, GrantQuery } from './types.js';

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);
const MIN = 60_000;

const alice: Principal = { subject: 'alice', groups: ['analysts'], kind: 'human' };
const aliceViaCopilot: Principal = { ...alice, kind: 'agent', actor: 'copilot' };
const bob: Principal = { subject: 'bob', groups: ['managers'], kind: 'human' };
const carol: Principal = { subject: 'carol', groups: ['managers'], kind: 'human' };

const once: ReviewRequirement = {
  ruleId: 'writes',
  approvers: { groups: ['managers'] },
  minApprovals: 1,
  ttlMs: 30 * MIN,
  grant: 'once',
};
const window: ReviewRequirement = { ...once, ruleId: 'writes-window', grant: 'window', ttlMs: 10 * MIN };
const sql = (text: string): Request => ({ type: 'sql', sql: text });

function create(
  store: ApprovalStore,
  request: Request,
  requirements: readonly ReviewRequirement[],
  principal = alice,
) {
  return store.create({
    requester: principal,
    target: 'warehouse',
    request,
    actions: [{ operation: 'delete', resource: 'orders' }],
    requirements,
    at: T0,
  });
}

function query(
  request: Request,
  requirements: readonly ReviewRequirement[],
  when: Date,
  principal = alice,
  target = 'warehouse',
): GrantQuery {
  return {
    principal,
    requestHash: hashRequest({ principal, target, request }),
    scopeHash: hashScope({ principal, target }),
    requirements,
    at: when,
  };
}

async function rejection(promise: Promise<unknown>): Promise<ApprovalError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApprovalError) return err;
    throw err;
  }
  throw new Error('expected an ApprovalError');
}

describe('createMemoryApprovalStore', () => {
  it('creates one pending request per exact request and requester, also under concurrency', async () => {
    const store = createMemoryApprovalStore();
    const created = await Promise.all(
      Array.from({ length: 20 }, () => create(store, sql('DELETE FROM t'), [once])),
    );
    expect(new Set(created.map((a) => a.id)).size).toBe(1);
    const other = await create(store, sql('DELETE FROM t '), [once]);
    const viaAgent = await create(store, sql('DELETE FROM t'), [once], aliceViaCopilot);
    expect(new Set([created[0]!.id, other.id, viaAgent.id]).size).toBe(3);
    expect(await store.list({ status: 'pending' }, at(1))).toHaveLength(3);
    expect(await store.list({ subject: 'bob' }, at(1))).toHaveLength(0);
  });

  it('creates a new request once the pending one expired', async () => {
    const store = createMemoryApprovalStore();
    const first = await create(store, sql('DELETE FROM t'), [once]);
    const second = await store.create({
      requester: alice,
      target: 'warehouse',
      request: sql('DELETE FROM t'),
      actions: [],
      requirements: [once],
      at: at(30 * MIN),
    });
    expect(second.id).not.toBe(first.id);
    expect((await store.get(first.id, at(30 * MIN)))?.status).toBe('expired');
  });

  it('returns frozen records the caller cannot change', async () => {
    const store = createMemoryApprovalStore();
    const a = await create(store, sql('DELETE FROM t'), [once]);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.requirements[0])).toBe(true);
    expect(() => {
      (a as { status: string }).status = 'approved';
    }).toThrow(TypeError);
  });

  it('votes through the pure rules and reports unknown ids', async () => {
    const store = createMemoryApprovalStore();
    const a = await create(store, sql('DELETE FROM t'), [once]);
    expect((await rejection(store.vote(a.id, { approver: alice, verdict: 'approve' }, at(1)))).code).toBe(
      'ERR_APPROVAL_FORBIDDEN',
    );
    const approved = await store.vote(a.id, { approver: bob, verdict: 'approve' }, at(1));
    expect(approved.status).toBe('approved');
    expect((await store.get(a.id, at(2)))?.status).toBe('approved');
    expect((await rejection(store.vote('nope', { approver: bob, verdict: 'approve' }, at(1)))).code).toBe(
      'ERR_APPROVAL_NOT_FOUND',
    );
    expect(await store.get('nope', at(1))).toBeUndefined();
  });

  it('lets exactly one of 100 concurrent consumers use a once grant', async () => {
    const store = createMemoryApprovalStore();
    const request = sql('DELETE FROM orders WHERE id = 7');
    const a = await create(store, request, [once]);
    await store.vote(a.id, { approver: bob, verdict: 'approve' }, at(1));
    const results = await Promise.all(
      Array.from({ length: 100 }, () => store.consume(query(request, [once], at(2)))),
    );
    const winners = results.filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    expect(winners[0]).toMatchObject({ id: a.id, status: 'consumed', consumedAt: at(2).toISOString() });
    expect(await store.consume(query(request, [once], at(3)))).toBeUndefined();
    expect((await rejection(store.vote(a.id, { approver: carol, verdict: 'approve' }, at(4)))).code).toBe(
      'ERR_APPROVAL_CLOSED',
    );
  });

  it('reserves a once grant for one holder: nobody else can use it until the reservation ends', async () => {
    const store = createMemoryApprovalStore();
    const request = sql('DELETE FROM orders WHERE id = 7');
    const a = await create(store, request, [once]);
    await store.vote(a.id, { approver: bob, verdict: 'approve' }, at(1));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.consume({ ...query(request, [once], at(2)), ...(i % 2 === 0 ? { reserve: `h${i}` } : {}) }),
      ),
    );
    const winners = results.filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    expect(winners[0]).toMatchObject({
      id: a.id,
      status: 'reserved',
      reservedBy: 'h0',
      reservedAt: at(2).toISOString(),
    });
    // Another holder can neither use nor end it.
    expect(await store.consume({ ...query(request, [once], at(3)), reserve: 'h2' })).toBeUndefined();
    expect(await store.endReservation?.(a.id, 'h2', 'released', at(3))).toBeUndefined();
    expect((await store.get(a.id, at(3)))?.status).toBe('reserved');
    // Released: approved again, and usable once more.
    expect(await store.endReservation?.(a.id, 'h0', 'released', at(4))).toMatchObject({ status: 'approved' });
    expect((await store.get(a.id, at(4)))?.reservedBy).toBeUndefined();
    expect(await store.endReservation?.(a.id, 'h0', 'consumed', at(4))).toBeUndefined();
    expect(await store.consume({ ...query(request, [once], at(5)), reserve: 'h9' })).toMatchObject({
      status: 'reserved',
    });
    // Consumed: spent for good.
    expect(await store.endReservation?.(a.id, 'h9', 'consumed', at(6))).toMatchObject({
      status: 'consumed',
      consumedAt: at(6).toISOString(),
    });
    expect(await store.consume(query(request, [once], at(7)))).toBeUndefined();
    expect(await store.endReservation?.('nope', 'h9', 'released', at(7))).toBeUndefined();
  });

  it('a reservation outlives the grant’s ttl; released after it, the grant is expired', async () => {
    const store = createMemoryApprovalStore();
    const request = sql('DELETE FROM t');
    const a = await create(store, request, [once]);
    await store.vote(a.id, { approver: bob, verdict: 'approve' }, at(MIN));
    await store.consume({ ...query(request, [once], at(2 * MIN)), reserve: 'h' });
    expect((await store.get(a.id, at(40 * MIN)))?.status).toBe('reserved');
    expect(await store.endReservation?.(a.id, 'h', 'released', at(40 * MIN))).toMatchObject({
      status: 'expired',
    });
    const b = await create(store, sql('DELETE FROM u'), [once]);
    await store.vote(b.id, { approver: bob, verdict: 'approve' }, at(MIN));
    await store.consume({ ...query(sql('DELETE FROM u'), [once], at(2 * MIN)), reserve: 'h' });
    expect(await store.endReservation?.(b.id, 'h', 'consumed', at(40 * MIN))).toMatchObject({
      status: 'consumed',
    });
  });

  it('refuses an approval for a request differing by one character, another principal or target', async () => {
    const store = createMemoryApprovalStore();
    const request = sql('DELETE FROM orders WHERE id = 7');
    const a = await create(store, request, [once]);
    await store.vote(a.id, { approver: bob, verdict: 'approve' }, at(1));
    expect(await store.consume(query(sql('DELETE FROM orders WHERE id = 8'), [once], at(2)))).toBeUndefined();
    expect(await store.consume(query(request, [once], at(2), aliceViaCopilot))).toBeUndefined();
    expect(await store.consume(query(request, [once], at(2), alice, 'warehouse-2'))).toBeUndefined();
    expect((await store.consume(query(request, [once], at(2))))?.id).toBe(a.id);
  });

  it('refuses an expired approval', async () => {
    const store = createMemoryApprovalStore();
    const request = sql('DELETE FROM t');
    const a = await create(store, request, [once]);
    await store.vote(a.id, { approver: bob, verdict: 'approve' }, at(MIN));
    expect(await store.consume(query(request, [once], at(31 * MIN)))).toBeUndefined();
    expect((await store.get(a.id, at(31 * MIN)))?.status).toBe('expired');
  });

  it('refuses a grant when the policy now asks for more than was approved', async () => {
    const store = createMemoryApprovalStore();
    const request = sql('DELETE FROM t');
    const a = await create(store, request, [once]);
    await store.vote(a.id, { approver: bob, verdict: 'approve' }, at(1));
    expect(await store.consume(query(request, [{ ...once, minApprovals: 2 }], at(2)))).toBeUndefined();
    expect(await store.consume(query(request, [once, window], at(2)))).toBeUndefined();
    expect(await store.consume(query(request, [], at(2)))).toBeUndefined();
    expect((await store.consume(query(request, [once], at(2))))?.id).toBe(a.id);
  });

  it('cannot approve an expired pending request', async () => {
    const store = createMemoryApprovalStore();
    const a = await create(store, sql('DELETE FROM t'), [once]);
    const err = await rejection(store.vote(a.id, { approver: bob, verdict: 'approve' }, at(30 * MIN)));
    expect(err.code).toBe('ERR_APPROVAL_EXPIRED');
    expect(err.approvalId).toBe(a.id);
  });

  it('lets a window grant cover the same rules for the same principal and target until it expires', async () => {
    const store = createMemoryApprovalStore();
    const a = await create(store, sql('DELETE FROM t WHERE id = 1'), [window]);
    expect(a.grant).toBe('window');
    await store.vote(a.id, { approver: bob, verdict: 'approve' }, at(MIN));
    const other = sql('UPDATE t SET x = 2');
    expect((await store.findWindowGrant(query(other, [window], at(2 * MIN))))?.id).toBe(a.id);
    expect((await store.findWindowGrant(query(other, [window], at(2 * MIN))))?.id).toBe(a.id);
    // not consumed as a once grant
    expect(
      await store.consume(query(sql('DELETE FROM t WHERE id = 1'), [window], at(2 * MIN))),
    ).toBeUndefined();
    // other rules, principals, targets, or after the ttl: no
    expect(await store.findWindowGrant(query(other, [window, once], at(2 * MIN)))).toBeUndefined();
    expect(await store.findWindowGrant(query(other, [window], at(2 * MIN), aliceViaCopilot))).toBeUndefined();
    expect(await store.findWindowGrant(query(other, [window], at(2 * MIN), bob))).toBeUndefined();
    expect(
      await store.findWindowGrant(query(other, [window], at(2 * MIN), alice, 'bastion')),
    ).toBeUndefined();
    expect(await store.findWindowGrant(query(other, [window], at(11 * MIN)))).toBeUndefined();
  });

  it('wakes waiters when the request is decided, and lets them abort', async () => {
    const store = createMemoryApprovalStore();
    const a = await create(store, sql('DELETE FROM t'), [once]);
    const waiting = store.waitFor(a.id);
    const controller = new AbortController();
    const aborted = store.waitFor(a.id, controller.signal);
    controller.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    await store.vote(a.id, { approver: bob, verdict: 'deny', comment: 'no' }, at(1));
    expect((await waiting).status).toBe('denied');
    // already decided: resolves at once
    expect((await store.waitFor(a.id)).status).toBe('denied');
    expect((await rejection(store.waitFor('nope'))).code).toBe('ERR_APPROVAL_NOT_FOUND');
  });

  it('wakes waiters when a read finds the request expired', async () => {
    const store = createMemoryApprovalStore();
    const a = await create(store, sql('DELETE FROM t'), [once]);
    const waiting = store.waitFor(a.id);
    await store.get(a.id, at(30 * MIN));
    expect((await waiting).status).toBe('expired');
  });

  it('tells subscribers about every change and survives a throwing listener', async () => {
    const store = createMemoryApprovalStore({
      newId: (() => {
        let n = 0;
        return () => `id-${String(++n)}`;
      })(),
    });
    const seen: string[] = [];
    store.subscribe(() => {
      throw new Error('observer bug');
    });
    const off = store.subscribe((c: ApprovalChange) =>
      seen.push(`${c.type}:${c.approval.id}:${c.approval.status}`),
    );
    const request = sql('DELETE FROM t');
    const a = await create(store, request, [once]);
    await store.vote(a.id, { approver: bob, verdict: 'approve' }, at(1));
    await store.consume(query(request, [once], at(2)));
    // A reservation is told when it is spent, not when it is taken or released.
    const b = await create(store, sql('DELETE FROM u'), [once]);
    await store.vote(b.id, { approver: bob, verdict: 'approve' }, at(1));
    await store.consume({ ...query(sql('DELETE FROM u'), [once], at(2)), reserve: 'h' });
    await store.endReservation?.(b.id, 'h', 'released', at(3));
    await store.consume({ ...query(sql('DELETE FROM u'), [once], at(4)), reserve: 'h' });
    await store.endReservation?.(b.id, 'h', 'consumed', at(5));
    off();
    await create(store, sql('DELETE FROM v'), [once]);
    expect(seen).toEqual([
      'created:id-1:pending',
      'voted:id-1:approved',
      'consumed:id-1:consumed',
      'created:id-2:pending',
      'voted:id-2:approved',
      'consumed:id-2:consumed',
    ]);
  });
});
