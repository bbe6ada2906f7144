import type { Decision, Effect, ReviewRequirement } from '../types.js';

/**
 * What a decision is about, for messages: the upper-cased operations of the actions that got
 * `effect` (or of all actions), without repeats — `DELETE`, `DROP, TRUNCATE` — or "the
 * request" when there are none.
 *
 * @example
 * ```ts
 * operationsOf(decision, 'review'); // 'DELETE'
 * ```
 */
export function operationsOf(decision: Decision, effect?: Effect): string {
  const picked = decision.actions.filter((a) => effect === undefined || a.effect === effect);
  const ops = [
    ...new Set((picked.length > 0 ? picked : decision.actions).map((a) => a.action.operation.toUpperCase())),
  ];
  return ops.length === 0 ? 'the request' : ops.join(', ');
}

/**
 * Who must approve, for messages: `approval by one of [managers]`,
 * `approval by 2 people from [managers] and by one of [dba]`.
 *
 * @example
 * ```ts
 * approvalsNeeded([{ ruleId: 'w', approvers: { groups: ['managers'] }, minApprovals: 1, ttlMs: 1, grant: 'once' }]);
 * // 'approval by one of [managers]'
 * ```
 */
export function approvalsNeeded(requirements: readonly ReviewRequirement[]): string {
  const parts = requirements.map((r) => {
    const who = [...(r.approvers.groups ?? []), ...(r.approvers.subjects ?? [])].join(', ');
    return r.minApprovals > 1 ? `by ${String(r.minApprovals)} people from [${who}]` : `by one of [${who}]`;
  });
  return `approval ${parts.join(' and ')}`;
}

/** `: reason; reason`, or nothing. */
export function reasonsOf(decision: Decision): string {
  return decision.reasons.length === 0 ? '' : ` (${decision.reasons.join('; ')})`;
}
