import { ApprovalError } from '../errors.js';
import type { Principal } from '../types.js';
import { actorsOf } from './hash-request.js';
import { approverMatches } from './match-approver.js';
import { samePerson } from './person-key.js';
import type { ApprovalRequest } from './types.js';

/**
 * Checks separation of duties and eligibility for one approver of one request, and returns the
 * indexes of the requirements the approver may vote on (at least one).
 *
 * Refused, with `ERR_APPROVAL_FORBIDDEN`:
 * - the requesting subject (no self-approval);
 * - anyone in the requester's actor chain (the agent that asked cannot approve);
 * - any approval made through an agent — a principal with an actor, or of any kind but
 *   `human` (an agent, a service account, a principal with no kind) — because an approval is a
 *   person's judgement: an agent holding a manager's token must not be able to wave through
 *   what another agent asked for. The manager approves directly;
 * - an approver whose own credential has expired at `at` (or whose expiry is not a number);
 * - anyone not matching the approvers of at least one requirement.
 *
 * The requester and the actors are compared with {@link samePerson} (case, width, whitespace
 * and invisible characters folded) and regardless of issuer, so a second spelling of the
 * requester's subject, or the same `sub` from another accepted issuer, cannot approve.
 *
 * @example
 * ```ts
 * checkApprover(pending, { subject: 'bob', groups: ['managers'], kind: 'human' }, new Date()); // [0]
 * ```
 * @throws ApprovalError `ERR_APPROVAL_FORBIDDEN` as above.
 */
export function checkApprover(approval: ApprovalRequest, approver: Principal, at?: Date): readonly number[] {
  const via = actorsOf(approver);
  if (via.length > 0 || approver.kind !== 'human') {
    throw new ApprovalError(
      'ERR_APPROVAL_FORBIDDEN',
      `${approver.subject} cannot approve through an agent${via.length > 0 ? ` (${via.join(' → ')})` : ''}; approvals must be made by a person directly`,
      approval.id,
    );
  }
  if (at !== undefined && approver.expiresAt !== undefined) {
    const expiresAt: unknown = approver.expiresAt;
    if (typeof expiresAt !== 'number' || !(expiresAt * 1000 > at.getTime())) {
      throw new ApprovalError(
        'ERR_APPROVAL_FORBIDDEN',
        `the credential of ${approver.subject} has expired; approve with a fresh token`,
        approval.id,
      );
    }
  }
  if (samePerson(approver.subject, approval.requester.subject)) {
    throw new ApprovalError(
      'ERR_APPROVAL_FORBIDDEN',
      `${approver.subject} cannot approve their own request; ask one of ${describeApprovers(approval)}`,
      approval.id,
    );
  }
  if (approval.actors.some((actor) => samePerson(actor, approver.subject))) {
    throw new ApprovalError(
      'ERR_APPROVAL_FORBIDDEN',
      `${approver.subject} made this request as an agent and cannot approve it; ask one of ${describeApprovers(approval)}`,
      approval.id,
    );
  }
  const eligible: number[] = [];
  approval.requirements.forEach((requirement, index) => {
    if (approverMatches(requirement.approvers, approver)) eligible.push(index);
  });
  if (eligible.length === 0) {
    throw new ApprovalError(
      'ERR_APPROVAL_FORBIDDEN',
      `${approver.subject} is not an approver for this request; it needs one of ${describeApprovers(approval)}`,
      approval.id,
    );
  }
  return eligible;
}

/**
 * Who may approve a request, for messages: `[groups managers, dba; subjects carol]`.
 *
 * @example
 * ```ts
 * describeApprovers(pending); // '[managers]'
 * ```
 */
export function describeApprovers(approval: Pick<ApprovalRequest, 'requirements'>): string {
  const groups = new Set<string>();
  const subjects = new Set<string>();
  for (const r of approval.requirements) {
    for (const g of r.approvers.groups ?? []) groups.add(g);
    for (const s of r.approvers.subjects ?? []) subjects.add(s);
  }
  const parts: string[] = [];
  if (groups.size > 0) parts.push([...groups].join(', '));
  if (subjects.size > 0) parts.push(`${groups.size > 0 ? 'subjects ' : ''}${[...subjects].join(', ')}`);
  return `[${parts.join('; ')}]`;
}
