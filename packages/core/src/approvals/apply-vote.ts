import { ApprovalError } from '../errors.js';
import { checkApprover } from './check-approver.js';
import { grantTerms } from './grant-terms.js';
import { approverMatches } from './match-approver.js';
import { personKey, samePerson } from './person-key.js';
import { settleApproval } from './settle-approval.js';
import type { ApprovalRequest, ApprovalVote, ApprovalVoteInput } from './types.js';

/**
 * Applies one vote to a request and returns its new state; the pure rule every store runs
 * inside its atomic section.
 *
 * - Only a `pending`, unexpired request takes votes.
 * - The approver must pass {@link checkApprover} (separation of duties, eligibility).
 * - A denial by any eligible approver ends the request: `denied`.
 * - Approvals count distinct people (by subject, folded with {@link personKey} so `Bob` and
 *   `bob` are one person) per requirement, each approver counting for
 *   every requirement whose approvers they match; when every requirement has its
 *   `minApprovals`, the request is `approved` and its grant lasts until `at` plus the shortest
 *   requirement ttl.
 * - The same person approving again changes nothing (retries are harmless) and returns the
 *   request unchanged.
 *
 * @example
 * ```ts
 * const next = applyVote(pending, { approver: bob, verdict: 'approve' }, new Date());
 * next.status; // 'approved' when bob was the one approval needed
 * ```
 * @throws ApprovalError `ERR_APPROVAL_EXPIRED` (the pending request or its grant ran out),
 * `ERR_APPROVAL_CLOSED` (already approved, denied or consumed), `ERR_APPROVAL_FORBIDDEN`
 * (see {@link checkApprover}).
 */
export function applyVote(approval: ApprovalRequest, vote: ApprovalVoteInput, at: Date): ApprovalRequest {
  const current = settleApproval(approval, at);
  if (current.status === 'expired') {
    throw new ApprovalError(
      'ERR_APPROVAL_EXPIRED',
      `approval ${current.id} expired at ${current.grantExpiresAt ?? current.expiresAt}; the requester must run the request again to ask anew`,
      current.id,
    );
  }
  if (current.status !== 'pending') {
    throw new ApprovalError(
      'ERR_APPROVAL_CLOSED',
      `approval ${current.id} is already ${current.status}; it takes no more votes`,
      current.id,
    );
  }
  checkApprover(current, vote.approver, at);
  const when = at.toISOString();
  const recorded: ApprovalVote = {
    subject: vote.approver.subject,
    ...(vote.approver.issuer === undefined ? {} : { issuer: vote.approver.issuer }),
    groups: [...vote.approver.groups],
    verdict: vote.verdict,
    ...(vote.comment === undefined ? {} : { comment: vote.comment }),
    at: when,
  };
  if (vote.verdict === 'deny') {
    return { ...current, status: 'denied', votes: [...current.votes, recorded], decidedAt: when };
  }
  const person = personKey(vote.approver.subject);
  if (current.votes.some((v) => v.verdict === 'approve' && personKey(v.subject) === person)) {
    return current;
  }
  const votes = [...current.votes, recorded];
  if (!requirementsMet(current, votes)) return { ...current, votes };
  const { ttlMs } = grantTerms(current.requirements);
  return {
    ...current,
    status: 'approved',
    votes,
    decidedAt: when,
    grantExpiresAt: new Date(at.getTime() + ttlMs).toISOString(),
  };
}

function requirementsMet(approval: ApprovalRequest, votes: readonly ApprovalVote[]): boolean {
  const { needed } = grantTerms(approval.requirements);
  return approval.requirements.every((requirement, index) => {
    const people = new Set<string>();
    for (const v of votes) {
      if (v.verdict === 'approve' && approverMatches(requirement.approvers, v))
        people.add(personKey(v.subject));
    }
    return people.size >= (needed[index] ?? 1);
  });
}

/**
 * Whether an approval's votes carry its approval by the rules {@link applyVote} counts them
 * with: no denial, and for every requirement enough distinct eligible people, none of them the
 * requester or one of the actors. An approval a store hands back as approved without such votes
 * (a faulty store, or a row written around the rules) grants nothing.
 *
 * @example
 * ```ts
 * votesCarry(applyVote(pending, { approver: bob, verdict: 'approve' }, new Date())); // true
 * votesCarry({ ...pending, status: 'approved', votes: [] }); // false
 * ```
 */
export function votesCarry(approval: ApprovalRequest): boolean {
  // (A record from a store is checked, not trusted, to be what its type says.)
  if (!Array.isArray(approval.votes)) return false;
  const votes: readonly ApprovalVote[] = approval.votes;
  if (votes.some((v) => v.verdict !== 'approve')) return false;
  const others = votes.filter(
    (v) =>
      !samePerson(v.subject, approval.requester.subject) &&
      !approval.actors.some((actor) => samePerson(actor, v.subject)),
  );
  return requirementsMet(approval, others);
}
