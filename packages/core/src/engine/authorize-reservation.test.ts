import { describe, expect, it } from 'vitest';
import { createMemoryApprovalStore } from '../approvals/memory-store.js';
import type { ApprovalRequest, ApprovalStore } from '../approvals/types.js';
import { DeniedError, PortcullisError } from '../errors.js';
import { parsePolicy } from '../policy/load-policy.js';
import type { Principal, Recorder, Request, SessionRecorder } from '../types.js';
import { createPortcullis } from './create-portcullis.js';
import type { Portcullis } from './types.js';

// authorize({ reserveGrant: true }): a once grant is reserved, not consumed, and the caller's
// reservation ends it; every failure on the way leaves the grant unusable or releases it only
// when nothing ran.

const POLICY = `
version: 1
targets:
  warehouse: { protocol: postgres }
rules:
  - id: writes-need-manager
    effect: review
    when: { groups: [analysts], targets: [warehouse], operations: [delete] }
    review: { approvers: { groups: [managers] }, ttl: 30m }
`;
const policy = parsePolicy(POLICY, { file: 'portcullis.yaml' });
const alice: Principal = { subject: 'alice', groups: ['analysts'], kind: 'human' };
const bob: Principal = { subject: 'bob', groups: ['managers'], kind: 'human' };
const request: Request = { type: 'sql', sql: 'DELETE FROM t' };
const input = { principal: alice, target: 'warehouse', request };

/** A recorder keeping `[type, data]` of every event; `failing` types throw. */
function recorder(failing: ReadonlySet<string> = new Set()): {
  recorder: Recorder;
  events: [string, unknown][];
} {
  const events: [string, unknown][] = [];
  let seq = 0;
  const session: SessionRecorder = {
    session: 's1',
    record: (type, data) => {
      if (failing.has(type)) return Promise.reject(new Error(`the sink refused ${type}`));
      events.push([type, data]);
      return Promise.resolve({ v: 1, session: 's1', seq: seq++, ts: '', type, data, prev: '', hash: '' });
    },
    end: () =>
      Promise.resolve({
        v: 1,
        session: 's1',
        seq: seq++,
        ts: '',
        type: 'session.end',
        data: {},
        prev: '',
        hash: '',
      }),
  };
  return { recorder: { start: () => Promise.resolve(session) }, events };
}

/** An engine over `store` with one approved grant for `request`; answers the approval id. */
async function approved(
  store: ApprovalStore,
  options: { recorder?: Recorder; policy?: typeof policy } = {},
): Promise<{ p: Portcullis; id: string }> {
  const p = await createPortcullis({ policy: options.policy ?? policy, approvals: store, ...options });
  const session = await p.startSession(alice, 'warehouse');
  const id = await p.authorize({ ...input, ...(session === undefined ? {} : { session }) }).then(
    () => '',
    (err: unknown) => (err as { approvalId: string }).approvalId,
  );
  await p.approvals.approve(id, bob);
  return { p, id };
}

function storeErrors(events: readonly [string, unknown][]): { code: string; message: string }[] {
  return events
    .filter(([type]) => type === 'error')
    .map(([, data]) => data as { code: string; message: string })
    .filter((e) => e.code === 'ERR_APPROVAL_STORE');
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'allowed';
  } catch (err) {
    if (err instanceof PortcullisError) return err.code;
    throw err;
  }
}

describe('authorize({ reserveGrant: true })', () => {
  it('reserves the grant, records it, and ends it once: released, then used again and consumed', async () => {
    const store = createMemoryApprovalStore();
    const { recorder: rec, events } = recorder();
    const { p, id } = await approved(store, { recorder: rec });
    const session = (await p.startSession(alice, 'warehouse'))!;
    const first = await p.authorize({ ...input, session, reserveGrant: true });
    expect(first.approvalId).toBe(id);
    expect(first.reservation?.approvalId).toBe(id);
    expect(Object.isFrozen(first.reservation)).toBe(true);
    expect((await p.approvals.get(id))?.status).toBe('reserved');
    // While reserved, nobody can use it: a new approval is asked for.
    expect(await code(p.authorize({ ...input, reserveGrant: true }))).toBe('ERR_REVIEW_REQUIRED');
    expect(await code(p.authorize(input))).toBe('ERR_REVIEW_REQUIRED');

    await first.reservation?.end('released');
    // Only the first end counts.
    await first.reservation?.end('consumed');
    expect((await p.approvals.get(id))?.status).toBe('approved');

    const second = await p.authorize({ ...input, session, reserveGrant: true });
    expect(second.approvalId).toBe(id);
    await second.reservation?.end('consumed');
    expect((await p.approvals.get(id))?.status).toBe('consumed');

    const approvals = events
      .filter(([type]) => type === 'approval')
      .map(([, d]) => (d as { status: string }).status);
    expect(approvals).toEqual(['pending', 'reserved', 'released', 'reserved', 'consumed']);
    expect(storeErrors(events)).toEqual([]);
  });

  it('anything but an explicit release spends the grant', async () => {
    const store = createMemoryApprovalStore();
    const { p, id } = await approved(store);
    const auth = await p.authorize({ ...input, reserveGrant: true });
    await auth.reservation?.end('bogus' as never);
    expect((await p.approvals.get(id))?.status).toBe('consumed');
  });

  it('without reserveGrant, or with a store that cannot end reservations, the grant is consumed at once', async () => {
    const plain = createMemoryApprovalStore();
    const a = await approved(plain);
    const auth = await a.p.authorize(input);
    expect(auth.reservation).toBeUndefined();
    expect((await a.p.approvals.get(a.id))?.status).toBe('consumed');

    // A store written before reservations existed: every operation but endReservation.
    const inner = createMemoryApprovalStore();
    const legacy: ApprovalStore = {
      create: (i) => inner.create(i),
      get: (id, at) => inner.get(id, at),
      list: (f, at) => inner.list(f, at),
      vote: (id, v, at) => inner.vote(id, v, at),
      consume: (q) => inner.consume(q),
      findWindowGrant: (q) => inner.findWindowGrant(q),
      waitFor: (id, signal) => inner.waitFor(id, signal),
      subscribe: (l) => inner.subscribe(l),
    };
    const b = await approved(legacy);
    const used = await b.p.authorize({ ...input, reserveGrant: true });
    expect(used.reservation).toBeUndefined();
    expect((await b.p.approvals.get(b.id))?.status).toBe('consumed');
  });

  it('a store that fails to end a reservation leaves the grant reserved and records why; end() resolves', async () => {
    const inner = createMemoryApprovalStore();
    const store: ApprovalStore = {
      ...inner,
      endReservation: () => Promise.reject(new Error('store is down')),
    };
    const { recorder: rec, events } = recorder();
    const { p, id } = await approved(store, { recorder: rec });
    const session = (await p.startSession(alice, 'warehouse'))!;
    const auth = await p.authorize({ ...input, session, reserveGrant: true });
    await expect(auth.reservation?.end('released')).resolves.toBeUndefined();
    expect((await p.approvals.get(id))?.status).toBe('reserved');
    const [error] = storeErrors(events);
    expect(error?.message).toContain(`approval ${id} could not be marked released`);
    expect(error?.message).toContain('store is down');
  });

  it('when the reservation cannot be recorded and recording is required, it is released and the request denied', async () => {
    const store = createMemoryApprovalStore();
    const required = parsePolicy(`${POLICY}recording: { required: true }\n`, { file: 'portcullis.yaml' });
    const failing = new Set<string>();
    const { recorder: rec } = recorder(failing);
    const { p, id } = await approved(store, { recorder: rec, policy: required });
    const session = (await p.startSession(alice, 'warehouse'))!;
    failing.add('approval');
    const err = await p.authorize({ ...input, session, reserveGrant: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeniedError);
    expect((await p.approvals.get(id))?.status).toBe('approved');
  });

  it('denies when consume() answers with a grant reserved by another holder', async () => {
    const inner = createMemoryApprovalStore();
    const { p, id } = await approved(inner);
    const reserved = await p.authorize({ ...input, reserveGrant: true });
    const grant = (await p.approvals.get(id)) as ApprovalRequest;
    expect(grant.status).toBe('reserved');
    const lying: ApprovalStore = { ...inner, consume: () => Promise.resolve(grant) };
    const q = await createPortcullis({ policy, approvals: lying });
    expect(await code(q.authorize({ ...input, reserveGrant: true }))).toBe('ERR_DENIED');
    await reserved.reservation?.end('released');
  });
});
