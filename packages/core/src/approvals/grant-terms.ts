import type { ReviewRequirement } from '../types.js';
import type { ApprovalGrant } from './types.js';

/** The terms an approval for a set of review requirements carries. */
export interface GrantTerms {
  /** `once` when any requirement asks for `once` (the stricter grant), else `window`. */
  readonly grant: ApprovalGrant;
  /** How long the grant lasts once approved: the shortest `ttlMs`. */
  readonly ttlMs: number;
  /** How long the request may stay pending by default: the longest `ttlMs`. */
  readonly pendingTtlMs: number;
  /** Distinct approvals each requirement needs: its `minApprovals`, and never fewer than one. */
  readonly needed: readonly number[];
}

/**
 * Combines the requirements of one `review` decision into the terms of its approval. When
 * several review rules apply, the strictest grant wins (`once` over `window`, the shortest
 * ttl), since the approval must satisfy every rule at once.
 *
 * @example
 * ```ts
 * grantTerms([{ ruleId: 'a', approvers: { groups: ['managers'] }, minApprovals: 1, ttlMs: 60_000, grant: 'window' },
 *             { ruleId: 'b', approvers: { groups: ['dba'] }, minApprovals: 2, ttlMs: 10_000, grant: 'once' }]);
 * // { grant: 'once', ttlMs: 10_000, pendingTtlMs: 60_000, needed: [1, 2] }
 * ```
 * @throws TypeError when there is no requirement or a ttl is not a positive finite number.
 */
export function grantTerms(requirements: readonly ReviewRequirement[]): GrantTerms {
  if (requirements.length === 0) throw new TypeError('a review needs at least one requirement');
  let grant: ApprovalGrant = 'window';
  let ttlMs = Infinity;
  let pendingTtlMs = 0;
  const needed: number[] = [];
  for (const requirement of requirements) {
    if (!Number.isFinite(requirement.ttlMs) || requirement.ttlMs <= 0) {
      throw new TypeError(
        `review rule ${requirement.ruleId} needs a positive ttl, got ${String(requirement.ttlMs)}`,
      );
    }
    if (requirement.grant !== 'window') grant = 'once';
    ttlMs = Math.min(ttlMs, requirement.ttlMs);
    pendingTtlMs = Math.max(pendingTtlMs, requirement.ttlMs);
    // A review that needs nobody would be an allow in disguise: fail closed to one person.
    needed.push(Math.max(1, Math.floor(requirement.minApprovals)));
  }
  return { grant, ttlMs, pendingTtlMs, needed };
}
