import type { ApprovalRequest, Masker } from '@portcullis/core';
import { boundValueLines, grantTerms, requestText } from '@portcullis/core';

/** What a person needs to decide on one approval request, with the request's values masked. */
export interface ApprovalView {
  readonly id: string;
  readonly status: ApprovalRequest['status'];
  /** The accountable person. */
  readonly subject: string;
  readonly kind: string;
  /** The agent chain the request came through, current agent first; empty for a person. */
  readonly actors: readonly string[];
  readonly target: string;
  /** The request as it will run, masked by the detectors. */
  readonly request: string;
  /** `operation resource` per classified action. */
  readonly actions: readonly string[];
  /** The review rules that asked for approval and who may approve under each. */
  readonly rules: readonly { readonly ruleId: string; readonly needed: number; readonly approvers: string }[];
  readonly reasons: readonly string[];
  readonly votes: readonly {
    readonly subject: string;
    readonly verdict: 'approve' | 'deny';
    readonly at: string;
    readonly comment?: string;
  }[];
  readonly grant: ApprovalRequest['grant'];
  readonly createdAt: string;
  /** Pending: when it expires; approved: until when the grant may be used. */
  readonly until: string | undefined;
}

/**
 * Turns an approval record into what approvers see: the request text and comments masked with
 * `masker` (a request can carry a password or a token in its text), and the review rules
 * spelled out. Pure; the caller escapes for its medium.
 */
export function describeApproval(approval: ApprovalRequest, masker: Masker): ApprovalView {
  const mask = (text: string): string => masker.maskText(text).text;
  const { needed } = grantTerms(approval.requirements);
  return {
    id: approval.id,
    status: approval.status,
    subject: approval.requester.subject,
    kind: approval.requester.kind,
    actors: approval.actors,
    target: approval.target,
    // An approval record keeps the bound values masked; shown under the text, masked again.
    request: mask([requestText(approval.request), ...boundValueLines(approval.request)].join('\n')),
    actions: approval.actions.map((a) =>
      mask(a.resource === undefined ? a.operation : `${a.operation} ${a.resource}`),
    ),
    rules: approval.requirements.map((r, i) => ({
      ruleId: r.ruleId,
      needed: needed[i] ?? 1,
      approvers: [
        ...(r.approvers.subjects ?? []).map((s) => `subject ${s}`),
        ...(r.approvers.groups ?? []).map((g) => `group ${g}`),
      ].join(', '),
    })),
    reasons: approval.reasons,
    votes: approval.votes.map((v) => ({
      subject: v.subject,
      verdict: v.verdict,
      at: v.at,
      ...(v.comment === undefined ? {} : { comment: mask(v.comment) }),
    })),
    grant: approval.grant,
    createdAt: approval.createdAt,
    until:
      approval.status === 'pending'
        ? approval.expiresAt
        : approval.status === 'approved'
          ? approval.grantExpiresAt
          : undefined,
  };
}
