import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApprovalError } from '../errors.js';
import type { Principal, ReviewRequirement } from '../types.js';
import { applyVote } from './apply-vote.js';
import { describeApprovers } from './check-approver.js';
import { grantTerms } from './grant-terms.js';
import { newApprovalRequest } from './new-approval.js';
import { settleApproval } from './settle-approval.js';
import type { ApprovalRequest, ApprovalVoteInput } from './types.js';

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);
const MIN = 60_000;

const person = (subject: string, groups: readonly string[] = []): Principal => ({
  subject,
  groups,
  kind: 'human',
});
const alice = person('alice', ['analysts', 'managers']);
const aliceViaCopilot: Principal = {
  ...alice,
  kind: 'agent',
  actor: 'copilot',
  actorChain: ['copilot', 'planner'],
};
const bob = person('bob', ['managers', 'dba']);
const carol = person('carol', ['managers']);
const dave = person('dave', ['dba']);
const eve = person('eve', ['analysts']);

const managers = (over: Partial<ReviewRequirement> = {}): ReviewRequirement => ({
  ruleId: 'writes-need-manager',
  approvers: { groups: ['managers'] },
  minApprovals: 1,
  ttlMs: 30 * MIN,
  grant: 'once',
  ...over,
});
const dba: ReviewRequirement = {
  ruleId: 'ddl-needs-dba',
  approvers: { groups: ['dba'], subjects: ['root-*'] },
  minApprovals: 1,
  ttlMs: 10 * MIN,
  grant: 'window',
};

function pending(requirements: readonly ReviewRequirement[], requester: Principal = alice): ApprovalRequest {
  return newApprovalRequest(
    {
      requester,
      target: 'warehouse',
      request: { type: 'sql', sql: 'DELETE FROM orders' },
      actions: [{ operation: 'delete', resource: 'orders' }],
      requirements,
      reasons: ['Writes to the warehouse need a manager'],
      at: T0,
    },
    'a1',
  );
}

const approve = (approver: Principal, comment?: string): ApprovalVoteInput => ({
  approver,
  verdict: 'approve',
  ...(comment === undefined ? {} : { comment }),
});
const deny = (approver: Principal): ApprovalVoteInput => ({ approver, verdict: 'deny' });

function refusal(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (err) {
    if (err instanceof ApprovalError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected an ApprovalError');
}

describe('newApprovalRequest', () => {
  it('starts pending, bound to the request, expiring after the longest ttl', () => {
    const a = pending([managers(), dba], aliceViaCopilot);
    expect(a).toMatchObject({
      id: 'a1',
      status: 'pending',
      grant: 'once',
      actors: ['copilot', 'planner'],
      votes: [],
      createdAt: '2030-01-01T00:00:00.000Z',
      expiresAt: '2030-01-01T00:30:00.000Z',
    });
    expect(a.requestHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('takes a pending ttl and refuses nonsense', () => {
    const input = {
      requester: alice,
      target: 'w',
      request: { type: 'shell' as const },
      actions: [],
      requirements: [managers()],
      at: T0,
    };
    expect(newApprovalRequest({ ...input, pendingTtlMs: 5 * MIN }, 'x').expiresAt).toBe(
      '2030-01-01T00:05:00.000Z',
    );
    expect(() => newApprovalRequest({ ...input, pendingTtlMs: 0 }, 'x')).toThrow(TypeError);
    expect(() => newApprovalRequest({ ...input, requirements: [] }, 'x')).toThrow(TypeError);
    expect(() => newApprovalRequest({ ...input, requirements: [managers({ ttlMs: -1 })] }, 'x')).toThrow(
      TypeError,
    );
  });
});

describe('grantTerms', () => {
  it.each<[readonly ReviewRequirement[], ReturnType<typeof grantTerms>]>([
    [[managers()], { grant: 'once', ttlMs: 30 * MIN, pendingTtlMs: 30 * MIN, needed: [1] }],
    [[dba], { grant: 'window', ttlMs: 10 * MIN, pendingTtlMs: 10 * MIN, needed: [1] }],
    [
      [managers({ minApprovals: 2 }), dba],
      { grant: 'once', ttlMs: 10 * MIN, pendingTtlMs: 30 * MIN, needed: [2, 1] },
    ],
    [
      [managers({ minApprovals: 0, grant: 'window' })],
      { grant: 'window', ttlMs: 30 * MIN, pendingTtlMs: 30 * MIN, needed: [1] },
    ],
  ])('%j', (requirements, terms) => {
    expect(grantTerms(requirements)).toEqual(terms);
  });
});

describe('applyVote: separation of duties', () => {
  it.each<[string, ApprovalRequest, Principal, RegExp]>([
    [
      'self-approval',
      pending([managers()]),
      alice,
      /alice cannot approve their own request; ask one of \[managers\]/,
    ],
    [
      'self-approval through the agent',
      pending([managers()], aliceViaCopilot),
      alice,
      /alice cannot approve their own request/,
    ],
    [
      'the requesting agent',
      pending([managers()], aliceViaCopilot),
      person('copilot', ['managers']),
      /copilot made this request as an agent/,
    ],
    [
      'an agent further up the chain',
      pending([managers()], aliceViaCopilot),
      person('planner', ['managers']),
      /planner made this request as an agent/,
    ],
    [
      'an approval made through an agent',
      pending([managers()]),
      { ...bob, kind: 'agent', actor: 'bob-bot' },
      /bob cannot approve through an agent \(bob-bot\); approvals must be made by a person directly/,
    ],
    ['an agent principal', pending([managers()]), { ...bob, kind: 'agent' }, /through an agent/],
    [
      'someone not an approver',
      pending([managers()]),
      eve,
      /eve is not an approver for this request; it needs one of \[managers\]/,
    ],
  ])('refuses %s', (_name, approval, approver, message) => {
    for (const vote of [approve(approver), deny(approver)]) {
      const err = refusal(() => applyVote(approval, vote, at(1)));
      expect(err.code).toBe('ERR_APPROVAL_FORBIDDEN');
      expect(err.message).toMatch(message);
    }
  });

  it('matches approver subjects and groups by glob', () => {
    const a = pending([dba]);
    expect(applyVote(a, approve(person('root-1')), at(1)).status).toBe('approved');
    expect(applyVote(a, approve(person('x', ['dba'])), at(1)).status).toBe('approved');
    expect(refusal(() => applyVote(a, approve(person('root')), at(1))).code).toBe('ERR_APPROVAL_FORBIDDEN');
  });

  it('never matches anyone for a requirement without approvers', () => {
    const a = pending([managers({ approvers: {} })]);
    expect(refusal(() => applyVote(a, approve(bob), at(1))).code).toBe('ERR_APPROVAL_FORBIDDEN');
  });
});

describe('applyVote: counting', () => {
  it('approves with the one approval needed and starts the grant clock at approval time', () => {
    const next = applyVote(pending([managers()]), approve(bob, 'looks fine'), at(5 * MIN));
    expect(next).toMatchObject({
      status: 'approved',
      decidedAt: '2030-01-01T00:05:00.000Z',
      grantExpiresAt: '2030-01-01T00:35:00.000Z',
      votes: [
        {
          subject: 'bob',
          groups: ['managers', 'dba'],
          verdict: 'approve',
          comment: 'looks fine',
          at: '2030-01-01T00:05:00.000Z',
        },
      ],
    });
  });

  it('counts a person in two approver groups once: minApprovals 2 needs two people', () => {
    const a = pending([managers({ minApprovals: 2, approvers: { groups: ['managers', 'dba'] } })]);
    const once = applyVote(a, approve(bob), at(1));
    expect(once.status).toBe('pending');
    const again = applyVote(once, approve(bob), at(2));
    expect(again).toBe(once);
    expect(again.votes).toHaveLength(1);
    expect(applyVote(again, approve(carol), at(3)).status).toBe('approved');
  });

  it('needs every requirement met, a person counting for each they match', () => {
    const a = pending([managers(), dba]);
    const afterCarol = applyVote(a, approve(carol), at(1));
    expect(afterCarol.status).toBe('pending');
    const afterDave = applyVote(afterCarol, approve(dave), at(2));
    expect(afterDave.status).toBe('approved');
    // bob is both a manager and a dba: one person satisfies both one-person requirements
    expect(applyVote(a, approve(bob), at(1)).status).toBe('approved');
    // the grant is the stricter one, for the shorter ttl
    expect(afterDave.grant).toBe('once');
    expect(afterDave.grantExpiresAt).toBe(new Date(at(2).getTime() + 10 * MIN).toISOString());
  });

  it('ends the request on any eligible denial, even after approvals', () => {
    const a = pending([managers({ minApprovals: 2 })]);
    const approved = applyVote(a, approve(bob), at(1));
    const denied = applyVote(approved, deny(carol), at(2));
    expect(denied).toMatchObject({ status: 'denied', decidedAt: '2030-01-01T00:00:00.002Z' });
    expect(denied.votes.map((v) => `${v.subject}:${v.verdict}`)).toEqual(['bob:approve', 'carol:deny']);
    expect(refusal(() => applyVote(denied, approve(carol), at(3)))).toMatchObject({
      code: 'ERR_APPROVAL_CLOSED',
    });
  });

  it('refuses votes on approved or consumed requests', () => {
    const approved = applyVote(pending([managers()]), approve(bob), at(1));
    expect(refusal(() => applyVote(approved, approve(carol), at(2))).code).toBe('ERR_APPROVAL_CLOSED');
    expect(refusal(() => applyVote(approved, deny(carol), at(2))).message).toMatch(/already approved/);
    const consumed: ApprovalRequest = { ...approved, status: 'consumed' };
    expect(refusal(() => applyVote(consumed, approve(carol), at(2))).code).toBe('ERR_APPROVAL_CLOSED');
  });

  it('refuses votes on an expired pending request', () => {
    const a = pending([managers()]);
    expect(applyVote(a, approve(bob), at(30 * MIN - 1)).status).toBe('approved');
    const err = refusal(() => applyVote(a, approve(bob), at(30 * MIN)));
    expect(err.code).toBe('ERR_APPROVAL_EXPIRED');
    expect(err.message).toMatch(
      /expired at 2030-01-01T00:30:00.000Z; the requester must run the request again/,
    );
  });
});

describe('settleApproval', () => {
  it('expires pending requests and grants at their deadline, and nothing else', () => {
    const a = pending([managers()]);
    expect(settleApproval(a, at(30 * MIN - 1))).toBe(a);
    expect(settleApproval(a, at(30 * MIN)).status).toBe('expired');
    const approved = applyVote(a, approve(bob), at(MIN));
    expect(settleApproval(approved, at(31 * MIN - 1))).toBe(approved);
    expect(settleApproval(approved, at(31 * MIN)).status).toBe('expired');
    const denied = applyVote(a, deny(bob), at(MIN));
    expect(settleApproval(denied, at(100 * MIN))).toBe(denied);
  });
});

describe('describeApprovers', () => {
  it.each<[readonly ReviewRequirement[], string]>([
    [[managers()], '[managers]'],
    [[managers(), dba], '[managers, dba; subjects root-*]'],
    [[managers({ approvers: { subjects: ['carol'] } })], '[carol]'],
  ])('%j → %s', (requirements, text) => {
    expect(describeApprovers({ requirements })).toBe(text);
  });
});

describe('applyVote: property', () => {
  const pool: readonly Principal[] = [
    alice,
    bob,
    carol,
    dave,
    eve,
    person('frank', ['managers', 'analysts']),
    { ...carol, kind: 'agent', actor: 'bot' },
  ];

  it('approves exactly when enough distinct eligible people approved before any eligible denial', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.record({ who: fc.nat({ max: pool.length - 1 }), deny: fc.boolean() }), { maxLength: 12 }),
        (min, script) => {
          let state = pending([managers({ minApprovals: min })]);
          let modelStatus: 'pending' | 'approved' | 'denied' = 'pending';
          const approvedBy = new Set<string>();
          script.forEach(({ who, deny: denies }, i) => {
            const voter = pool[who]!;
            const eligible =
              voter.actor === undefined && voter.subject !== 'alice' && voter.groups.includes('managers');
            const vote = denies ? deny(voter) : approve(voter);
            if (modelStatus !== 'pending') {
              expect(refusal(() => applyVote(state, vote, at(i))).code).toBe('ERR_APPROVAL_CLOSED');
              return;
            }
            if (!eligible) {
              expect(refusal(() => applyVote(state, vote, at(i))).code).toBe('ERR_APPROVAL_FORBIDDEN');
              return;
            }
            state = applyVote(state, vote, at(i));
            if (denies) modelStatus = 'denied';
            else {
              approvedBy.add(voter.subject);
              if (approvedBy.size >= min) modelStatus = 'approved';
            }
            expect(state.status).toBe(modelStatus);
          });
          expect(state.status).toBe(modelStatus);
        },
      ),
    );
  });

  it("records the approver's issuer with the vote", () => {
    const issued = { ...bob, issuer: 'https://idp.example.test' };
    const next = applyVote(pending([managers()]), { approver: issued, verdict: 'approve' }, at(MIN));
    expect(next.votes.at(-1)?.issuer).toBe('https://idp.example.test');
    expect(
      applyVote(pending([managers()]), { approver: bob, verdict: 'approve' }, at(MIN)).votes.at(-1),
    ).not.toHaveProperty('issuer');
  });
});
