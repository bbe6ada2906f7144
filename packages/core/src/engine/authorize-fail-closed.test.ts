import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryApprovalStore } from '../approvals/memory-store.js';
import type { ApprovalRequest, ApprovalStore } from '../approvals/types.js';
import { DeniedError, PortcullisError } from '../errors.js';
import { parsePolicy } from '../policy/load-policy.js';
import type { Principal, Request } from '../types.js';
import { createPortcullis } from './create-portcullis.js';
import type { Portcullis } from './types.js';

// Paths through authorize() that allowed when a part misbehaved; each must deny.

const POLICY = `
version: 1
targets:
  warehouse: { protocol: postgres }
rules:
  - id: analysts-read
    effect: allow
    when: { groups: [analysts], targets: [warehouse], operations: [select] }
  - id: writes-need-manager
    effect: review
    when: { groups: [analysts], targets: [warehouse], operations: [delete] }
    review: { approvers: { groups: [managers] }, ttl: 30m }
  - id: updates-in-a-window
    effect: review
    when: { groups: [analysts], targets: [warehouse], operations: [update] }
    review: { approvers: { groups: [managers] }, ttl: 30m, grant: window }
`;
const policy = parsePolicy(POLICY, { file: 'portcullis.yaml' });
const T0 = new Date('2030-01-01T00:00:00.000Z');
let clock = T0;
afterEach(() => {
  clock = T0;
});

const alice: Principal = { subject: 'alice', groups: ['analysts'], kind: 'human' };
const mallory: Principal = { subject: 'mallory', groups: ['analysts'], kind: 'human' };
const bob: Principal = { subject: 'bob', groups: ['managers'], kind: 'human' };
const sql = (text: string): Request => ({ type: 'sql', sql: text });

const make = (approvals?: ApprovalStore): Promise<Portcullis> =>
  createPortcullis({ policy, now: () => clock, ...(approvals === undefined ? {} : { approvals }) });

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'allowed';
  } catch (err) {
    if (err instanceof PortcullisError) return err.code;
    throw err;
  }
}

// A store that answers `consume`/`findWindowGrant` with what the test says, else as memory.
function lyingStore(
  answers: { consume?: () => unknown; findWindowGrant?: () => unknown },
  inner: ApprovalStore = createMemoryApprovalStore(),
): ApprovalStore {
  return {
    ...inner,
    consume: (q) =>
      answers.consume === undefined
        ? inner.consume(q)
        : Promise.resolve(answers.consume() as ApprovalRequest),
    findWindowGrant: (q) =>
      answers.findWindowGrant === undefined
        ? inner.findWindowGrant(q)
        : Promise.resolve(answers.findWindowGrant() as ApprovalRequest),
  };
}

// Alice's approved-and-used grant, to be handed to someone else by a faulty store.
async function aliceGrant(request: Request): Promise<ApprovalRequest> {
  const store = createMemoryApprovalStore();
  const p = await make(store);
  const id = await p.authorize({ principal: alice, target: 'warehouse', request }).then(
    () => '',
    (err: unknown) => (err as { approvalId: string }).approvalId,
  );
  await p.approvals.approve(id, bob);
  await p.authorize({ principal: alice, target: 'warehouse', request });
  return (await store.get(id, clock))!;
}

describe('authorize() does not trust what the approval store hands back', () => {
  it.each<[string, () => unknown]>([
    ['an empty object', () => ({})],
    ['a bare id', () => ({ id: 'x', votes: [] })],
    ['true', () => true],
    ['null', () => null],
  ])('denies when consume() answers %s', async (_, answer) => {
    const p = await make(lyingStore({ consume: answer }));
    expect(
      await outcome(p.authorize({ principal: alice, target: 'warehouse', request: sql('DELETE FROM t') })),
    ).toBe('ERR_DENIED');
  });

  it("denies when consume() answers with another principal's grant", async () => {
    const grant = await aliceGrant(sql('DELETE FROM t'));
    expect(grant.status).toBe('consumed');
    const p = await make(lyingStore({ consume: () => grant }));
    expect(
      await outcome(p.authorize({ principal: mallory, target: 'warehouse', request: sql('DELETE FROM t') })),
    ).toBe('ERR_DENIED');
  });

  it('denies when consume() answers with a grant for another request, or one not consumed', async () => {
    const grant = await aliceGrant(sql('DELETE FROM t'));
    const p = await make(lyingStore({ consume: () => grant }));
    expect(
      await outcome(p.authorize({ principal: alice, target: 'warehouse', request: sql('DELETE FROM u') })),
    ).toBe('ERR_DENIED');
    const q = await make(lyingStore({ consume: () => ({ ...grant, status: 'approved' }) }));
    expect(
      await outcome(q.authorize({ principal: alice, target: 'warehouse', request: sql('DELETE FROM t') })),
    ).toBe('ERR_DENIED');
  });

  it.each<[string, () => unknown]>([
    ['an empty object', () => ({})],
    ['a bare id', () => ({ id: 'x', votes: [] })],
  ])('denies when findWindowGrant() answers %s', async (_, answer) => {
    const p = await make(lyingStore({ findWindowGrant: answer }));
    expect(
      await outcome(
        p.authorize({ principal: alice, target: 'warehouse', request: sql('UPDATE t SET a = 1') }),
      ),
    ).toBe('ERR_DENIED');
  });

  it("denies when findWindowGrant() answers with another principal's window", async () => {
    const store = createMemoryApprovalStore();
    const p = await make(store);
    const request = sql('UPDATE t SET a = 1');
    const id = await p.authorize({ principal: alice, target: 'warehouse', request }).then(
      () => '',
      (err: unknown) => (err as { approvalId: string }).approvalId,
    );
    const window = await p.approvals.approve(id, bob);
    expect(window.status).toBe('approved');
    const q = await make(lyingStore({ findWindowGrant: () => window }));
    expect(await outcome(q.authorize({ principal: mallory, target: 'warehouse', request }))).toBe(
      'ERR_DENIED',
    );
  });
});

describe('authorize() and the credential expiry', () => {
  it.each<[string, unknown]>([
    ['not a number', Number.NaN],
    ['a string', '4102444800'],
    ['infinite in the past', -Infinity],
  ])('denies a principal whose expiry is %s', async (_, expiresAt) => {
    const p = await make();
    const principal = { ...alice, expiresAt } as unknown as Principal;
    expect(
      await outcome(p.authorize({ principal, target: 'warehouse', request: sql('SELECT 1 FROM t') })),
    ).toBe('ERR_DENIED');
  });

  it('denies, and leaves the grant unused, when the credential expired while waiting for approval', async () => {
    const store = createMemoryApprovalStore();
    const p = await make(store);
    const principal: Principal = { ...alice, expiresAt: T0.getTime() / 1000 + 60 };
    let approvalId = '';
    store.subscribe((change) => {
      if (change.type === 'created') {
        approvalId = change.approval.id;
        clock = new Date(T0.getTime() + 120_000);
        void p.approvals.approve(change.approval.id, bob);
      }
    });
    const err = await p
      .authorize({
        principal,
        target: 'warehouse',
        request: sql('DELETE FROM t'),
        review: { mode: 'wait', timeoutMs: 10_000 },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(DeniedError);
    expect((err as DeniedError).message).toMatch(/credential of alice expired/);
    expect((await store.get(approvalId, clock))?.status).toBe('approved');
  });
});
