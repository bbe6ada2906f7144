import type { ApprovalRequest } from './types.js';

/**
 * The request as it stands at `at`: a `pending` request past its `expiresAt`, or an `approved`
 * one past its `grantExpiresAt`, becomes `expired`; anything else is returned unchanged (the
 * same object). Stores call it before every rule and every read, so expiry needs no timer.
 *
 * @example
 * ```ts
 * settleApproval(pending, new Date(Date.parse(pending.expiresAt) + 1)).status; // 'expired'
 * ```
 */
export function settleApproval(approval: ApprovalRequest, at: Date): ApprovalRequest {
  const now = at.getTime();
  if (approval.status === 'pending' && !(now < Date.parse(approval.expiresAt))) {
    return { ...approval, status: 'expired' };
  }
  if (
    approval.status === 'approved' &&
    !(approval.grantExpiresAt !== undefined && now < Date.parse(approval.grantExpiresAt))
  ) {
    return { ...approval, status: 'expired' };
  }
  return approval;
}
