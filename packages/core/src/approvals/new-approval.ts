import type { Principal } from '../types.js';
import { grantTerms } from './grant-terms.js';
import { actorsOf, hashRequest, hashScope, shownRequest } from './hash-request.js';
import { createMasker } from '../mask/create-masker.js';
import type { Masker } from '../mask/types.js';
import type { ApprovalRequest, CreateApprovalInput } from './types.js';

let shownValues: Masker | undefined;

/** A bound value as approvers see it: every built-in detector's findings redacted. */
function maskShownValue(value: string): string {
  shownValues ??= createMasker();
  return shownValues.maskText(value).text;
}

/**
 * Builds the record of a new pending approval request: binds it to {@link hashRequest} and
 * {@link hashScope}, fixes its grant ({@link grantTerms}) and when it expires while pending
 * (`input.pendingTtlMs`, default the longest requirement ttl). The store supplies the id.
 *
 * @example
 * ```ts
 * const record = newApprovalRequest({ requester, target: 'warehouse', request, actions, requirements, at: new Date() }, randomUUID());
 * record.status; // 'pending'
 * ```
 * @throws TypeError when there is no requirement, a ttl is not positive, or the time is invalid.
 */
export function newApprovalRequest(input: CreateApprovalInput, id: string): ApprovalRequest {
  const terms = grantTerms(input.requirements);
  const pendingTtlMs = input.pendingTtlMs ?? terms.pendingTtlMs;
  if (!Number.isFinite(pendingTtlMs) || pendingTtlMs <= 0) {
    throw new TypeError(
      `pendingTtlMs must be a positive number of milliseconds, got ${String(pendingTtlMs)}`,
    );
  }
  const now = input.at.getTime();
  if (!Number.isFinite(now)) throw new TypeError('the creation time is not a valid date');
  const requester = copyPrincipal(input.requester);
  return {
    id,
    requestHash: hashRequest({ principal: requester, target: input.target, request: input.request }),
    scopeHash: hashScope({ principal: requester, target: input.target }),
    status: 'pending',
    requester,
    actors: [...actorsOf(requester)],
    target: input.target,
    request: structuredClone(shownRequest(input.request, maskShownValue)),
    actions: input.actions.map((a) => ({ ...a })),
    requirements: structuredClone(input.requirements),
    grant: terms.grant,
    reasons: [...(input.reasons ?? [])],
    votes: [],
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + pendingTtlMs).toISOString(),
  };
}

// Keeps only the plain fields of a principal, so a record never holds whatever else a caller
// attached to the object.
function copyPrincipal(p: Principal): Principal {
  return {
    subject: p.subject,
    groups: [...p.groups],
    kind: p.kind,
    ...(p.actor === undefined ? {} : { actor: p.actor }),
    ...(p.actorChain === undefined ? {} : { actorChain: [...p.actorChain] }),
    ...(p.issuer === undefined ? {} : { issuer: p.issuer }),
    ...(p.tokenId === undefined ? {} : { tokenId: p.tokenId }),
    ...(p.expiresAt === undefined ? {} : { expiresAt: p.expiresAt }),
  };
}
