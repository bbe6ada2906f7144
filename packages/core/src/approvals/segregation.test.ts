import { describe, expect, it } from 'vitest';
import { ApprovalError } from '../errors.js';
import type { Principal, ReviewRequirement } from '../types.js';
import { applyVote } from './apply-vote.js';
import { hashRequest, hashScope } from './hash-request.js';
import { createMemoryApprovalStore } from './memory-store.js';
import { newApprovalRequest } from './new-approval.js';
import { personKey } from './person-key.js';
import type { ApprovalRequest } from './types.js';

// Segregation of duties and grant binding against spellings, issuers, expired and non-human
// approvers: each case here was a way round the rules before it was closed.

const T0 = new Date('2030-01-01T00:00:00.000Z');
const MIN = 60_000;
const human = (subject: string, groups: readonly string[], extra: Partial<Principal> = {}): Principal => ({
  subject,
  groups,
  kind: 'human',
  ...extra,
});
const alice = human('alice', ['analysts', 'managers'], { issuer: 'https://idp-a.test/' });
const aliceViaCopilot: Principal = { ...alice, kind: 'agent', actor: 'copilot', actorChain: ['copilot'] };
const bob = human('bob', ['managers']);
const carol = human('carol', ['managers']);

const managers = (over: Partial<ReviewRequirement> = {}): ReviewRequirement => ({
  ruleId: 'writes-need-manager',
  approvers: { groups: ['managers'] },
  minApprovals: 1,
  ttlMs: 30 * MIN,
  grant: 'once',
  ...over,
});
const request = { type: 'sql', sql: 'DELETE FROM orders' } as const;

function pending(requester: Principal, requirements = [managers()]): ApprovalRequest {
  return newApprovalRequest(
    { requester, target: 'warehouse', request, actions: [{ operation: 'delete' }], requirements, at: T0 },
    'a1',
  );
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApprovalError) return err.code;
    throw err;
  }
  return 'accepted';
}

describe('personKey', () => {
  it.each([
    ['alice', 'alice'],
    ['Alice', 'alice'],
    [' alice ', 'alice'],
    ['al ice', 'alice'],
    ['ａｌｉｃｅ', 'alice'],
    ['alice\u200b', 'alice'],
    ['\ufeffALICE', 'alice'],
    ['Straße', 'strasse'],
    // Default-ignorable code points that are not format characters (Cf): invisible, so they
    // must not make a second person out of one spelling.
    ['ali\u034fce', 'alice'], // combining grapheme joiner (Mn)
    ['alice\ufe0f', 'alice'], // variation selector 16 (Mn)
    ['alice\u{e0100}', 'alice'], // variation selector 17 (Mn, supplementary plane)
    ['ali\u180bce', 'alice'], // Mongolian free variation selector (Mn)
    ['\u115falice', 'alice'], // Hangul choseong filler (Lo)
    ['ali\u3164ce', 'alice'], // Hangul filler (Lo)
    ['alice\uffa0', 'alice'], // half-width Hangul filler (Lo)
    ['ali\u17b4ce', 'alice'], // Khmer vowel inherent aq (Mn)
    ['alice\u2065', 'alice'], // reserved default-ignorable (unassigned)
  ])('folds %j to %j', (subject, key) => {
    expect(personKey(subject)).toBe(key);
  });

  it('folds away every Default_Ignorable_Code_Point (all of Unicode, not a list)', () => {
    const ignorable = /^\p{Default_Ignorable_Code_Point}$/u;
    const found: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const ch = String.fromCodePoint(cp);
      if (ignorable.test(ch) && personKey(`a${ch}b`) !== 'ab') found.push(cp.toString(16));
    }
    expect(found).toEqual([]);
  });
});

describe('segregation of duties across subject spellings', () => {
  it.each([
    ['case', 'Alice'],
    ['surrounding whitespace', ' alice'],
    ['full-width letters', 'ａｌｉｃｅ'],
    ['a zero-width space', 'ali\u200bce'],
    ['another issuer, same sub', 'alice'],
  ])('refuses the requester approving as %s', (_, subject) => {
    const approver = human(subject, ['managers'], { issuer: 'https://idp-b.test/' });
    expect(refusal(() => applyVote(pending(alice), { approver, verdict: 'approve' }, T0))).toBe(
      'ERR_APPROVAL_FORBIDDEN',
    );
  });

  it('refuses the requester denying under another spelling (a denial is a vote too)', () => {
    const approver = human('ALICE', ['managers']);
    expect(refusal(() => applyVote(pending(alice), { approver, verdict: 'deny' }, T0))).toBe(
      'ERR_APPROVAL_FORBIDDEN',
    );
  });

  it('refuses the agent of the request approving under another spelling', () => {
    const approver = human('CoPilot ', ['managers']);
    expect(refusal(() => applyVote(pending(aliceViaCopilot), { approver, verdict: 'approve' }, T0))).toBe(
      'ERR_APPROVAL_FORBIDDEN',
    );
  });

  it('counts one person once however their subject is spelled', () => {
    let record = pending(alice, [managers({ minApprovals: 2 })]);
    record = applyVote(record, { approver: bob, verdict: 'approve' }, T0);
    record = applyVote(record, { approver: human('BOB', ['managers']), verdict: 'approve' }, T0);
    record = applyVote(record, { approver: human('ｂｏｂ', ['managers']), verdict: 'approve' }, T0);
    expect(record.status).toBe('pending');
    expect(record.votes.map((v) => v.subject)).toEqual(['bob']);
    record = applyVote(record, { approver: carol, verdict: 'approve' }, T0);
    expect(record.status).toBe('approved');
  });
});

describe('who may vote at all', () => {
  it.each<[string, Principal]>([
    ['an expired token', { ...bob, expiresAt: T0.getTime() / 1000 }],
    ['an expiry that is not a number', { ...bob, expiresAt: Number.NaN }],
    ['a service account', { ...bob, kind: 'service' }],
    ['no kind', { subject: 'bob', groups: ['managers'] } as unknown as Principal],
  ])('refuses an approver with %s', (_, approver) => {
    expect(refusal(() => applyVote(pending(alice), { approver, verdict: 'approve' }, T0))).toBe(
      'ERR_APPROVAL_FORBIDDEN',
    );
  });

  it('accepts an approver whose token is still valid', () => {
    const approver = { ...bob, expiresAt: T0.getTime() / 1000 + 60 };
    expect(applyVote(pending(alice), { approver, verdict: 'approve' }, T0).status).toBe('approved');
  });
});

describe('grants are bound to the issuer as well as the subject', () => {
  it('a once grant of alice at one issuer is not usable by alice of another issuer', async () => {
    const store = createMemoryApprovalStore();
    const created = await store.create({
      requester: alice,
      target: 'warehouse',
      request,
      actions: [{ operation: 'delete' }],
      requirements: [managers()],
      at: T0,
    });
    await store.vote(created.id, { approver: bob, verdict: 'approve' }, T0);
    const other = { ...alice, issuer: 'https://idp-b.test/' };
    const query = (principal: Principal) => ({
      principal,
      requestHash: hashRequest({ principal, target: 'warehouse', request }),
      scopeHash: hashScope({ principal, target: 'warehouse' }),
      requirements: [managers()],
      at: T0,
    });
    expect(await store.consume(query(other))).toBeUndefined();
    expect(
      await store.consume(query({ ...alice, issuer: undefined } as unknown as Principal)),
    ).toBeUndefined();
    expect((await store.consume(query(alice)))?.status).toBe('consumed');
  });

  it('a window grant is not found for another issuer', async () => {
    const store = createMemoryApprovalStore();
    const window = managers({ grant: 'window' });
    const created = await store.create({
      requester: alice,
      target: 'warehouse',
      request,
      actions: [{ operation: 'delete' }],
      requirements: [window],
      at: T0,
    });
    await store.vote(created.id, { approver: bob, verdict: 'approve' }, T0);
    const other = { ...alice, issuer: 'https://idp-b.test/' };
    const q = (principal: Principal) => ({
      principal,
      requestHash: hashRequest({ principal, target: 'warehouse', request }),
      scopeHash: hashScope({ principal, target: 'warehouse' }),
      requirements: [window],
      at: T0,
    });
    expect(await store.findWindowGrant(q(other))).toBeUndefined();
    expect((await store.findWindowGrant(q(alice)))?.id).toBe(created.id);
  });
});
