import type { ApprovalFilter, ApprovalRequest } from './types.js';

/**
 * Whether a (settled) approval matches a list filter; absent fields match anything.
 *
 * @example
 * ```ts
 * matchesFilter(pending, { status: ['pending', 'approved'], target: 'warehouse' }); // true
 * ```
 */
export function matchesFilter(approval: ApprovalRequest, filter: ApprovalFilter): boolean {
  if (filter.status !== undefined) {
    const statuses: readonly string[] = typeof filter.status === 'string' ? [filter.status] : filter.status;
    if (!statuses.includes(approval.status)) return false;
  }
  if (filter.subject !== undefined && approval.requester.subject !== filter.subject) return false;
  if (filter.target !== undefined && approval.target !== filter.target) return false;
  if (filter.requestHash !== undefined && approval.requestHash !== filter.requestHash) return false;
  return true;
}
