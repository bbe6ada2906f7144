import type { ReviewRequirement } from '../types.js';
import { canonicalJson } from '../record/canonical-json.js';
import { votesCarry } from './apply-vote.js';
import { actorsOf } from './hash-request.js';
import { settleApproval } from './settle-approval.js';
import type { ApprovalGrant, ApprovalRequest, GrantQuery, ReservationOutcome } from './types.js';

// What makes two requirements the same: the rule and every term an approver agreed to. A
// policy change to any of them (more approvers, a shorter ttl) leaves older grants unusable.
function requirementKey(r: ReviewRequirement): string {
  return canonicalJson({
    ruleId: r.ruleId,
    approvers: { subjects: r.approvers.subjects ?? [], groups: r.approvers.groups ?? [] },
    minApprovals: r.minApprovals,
    ttlMs: r.ttlMs,
    grant: r.grant,
  });
}

/**
 * Whether an approval can be used, as a grant of kind `use`, for the request described by
 * `query` at `query.at`:
 *
 * - it is `approved` and its grant has not expired;
 * - it was asked by the same subject, from the same issuer, through the same actor chain;
 * - `once`: it is a `once` grant for exactly `query.requestHash` (a `window` approval is never
 *   consumed);
 * - `window`: it is a `window` grant for `query.scopeHash` (same subject, actors and target) —
 *   these are the "matching operations" of a window grant: any request on the same target by
 *   the same principal whose review requirements are all among those it was approved for;
 * - every requirement in `query.requirements` equals one the approval was granted for (same
 *   rule id, approvers, minApprovals, ttl and grant kind), so a policy that became stricter
 *   is never satisfied by an older, weaker approval;
 * - its votes carry it ({@link votesCarry}): enough distinct eligible people for every
 *   requirement, none of them the requester or an actor, and no denial.
 *
 * @example
 * ```ts
 * grantCovers(approved, { principal: alice, requestHash, scopeHash, requirements, at: new Date() }, 'once'); // true
 * ```
 */
export function grantCovers(approval: ApprovalRequest, query: GrantQuery, use: ApprovalGrant): boolean {
  const current = settleApproval(approval, query.at);
  if (current.status !== 'approved' || current.grant !== use) return false;
  if (use === 'once' ? current.requestHash !== query.requestHash : current.scopeHash !== query.scopeHash) {
    return false;
  }
  if (current.requester.subject !== query.principal.subject) return false;
  // The hashes bind the subject, not the issuer: with several accepted issuers the same `sub`
  // can be two people, so the grant is only for the issuer it was asked from.
  if (current.requester.issuer !== query.principal.issuer) return false;
  const actors = actorsOf(query.principal);
  if (actors.length !== current.actors.length || actors.some((a, i) => a !== current.actors[i])) return false;
  if (query.requirements.length === 0) return false;
  const granted = new Set(current.requirements.map(requirementKey));
  if (!query.requirements.every((r) => granted.has(requirementKey(r)))) return false;
  // Its votes must carry it, counted as applyVote counts them: a record marked approved without
  // them (a faulty store, a row written around the rules) grants nothing.
  return votesCarry(current);
}

/**
 * Uses a `once` grant: when {@link grantCovers} holds for `query`, returns the approval marked
 * `consumed` at `query.at` — or, when `query.reserve` is set, `reserved` by that holder;
 * otherwise `undefined`. The store persists the returned record in the same atomic section in
 * which it read the approval, so only one caller uses it.
 *
 * @example
 * ```ts
 * const used = consumeGrant(approved, query); // { …, status: 'consumed', consumedAt: '…' } or undefined
 * consumeGrant(approved, { ...query, reserve: 'h1' }); // { …, status: 'reserved', reservedBy: 'h1', reservedAt: '…' }
 * ```
 */
export function consumeGrant(approval: ApprovalRequest, query: GrantQuery): ApprovalRequest | undefined {
  if (!grantCovers(approval, query, 'once')) return undefined;
  const at = query.at.toISOString();
  if (query.reserve !== undefined) {
    if (typeof query.reserve !== 'string' || query.reserve === '') return undefined;
    return { ...approval, status: 'reserved', reservedBy: query.reserve, reservedAt: at };
  }
  return { ...approval, status: 'consumed', consumedAt: at };
}

/**
 * Ends a reservation: when `approval` is `reserved` by `holder`, returns it `consumed` at `at`
 * (outcome `consumed`), or `approved` again without the reservation and settled for expiry at
 * `at` (outcome `released`); otherwise `undefined` (not reserved, or by another holder). A
 * reservation is ended by time never: its transaction started while the grant was valid.
 *
 * @example
 * ```ts
 * endReservation(reserved, 'h1', 'released', new Date()); // { …, status: 'approved' }
 * endReservation(reserved, 'h2', 'consumed', new Date()); // undefined: another holder's
 * ```
 */
export function endReservation(
  approval: ApprovalRequest,
  holder: string,
  outcome: ReservationOutcome,
  at: Date,
): ApprovalRequest | undefined {
  if (approval.status !== 'reserved' || approval.reservedBy !== holder || holder === '') return undefined;
  if (outcome === 'consumed') return { ...approval, status: 'consumed', consumedAt: at.toISOString() };
  const { reservedBy: _holder, reservedAt: _at, ...rest } = approval;
  return settleApproval({ ...rest, status: 'approved' }, at);
}
