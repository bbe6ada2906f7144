/**
 * The approval model (docs/ §2 "Approval", §4 item 5): plain, serialisable data, so a store
 * can keep it in memory, in PostgreSQL rows or in JSON.
 *
 * @packageDocumentation
 */
import type { Action, Principal, Request, ReviewRequirement } from '../types.js';

/**
 * Where an approval request is in its life.
 *
 * - `pending`: waiting for votes; becomes `expired` at `expiresAt`.
 * - `approved`: every requirement is met; the grant may be used until `grantExpiresAt`.
 * - `denied`: an eligible approver denied it. Final.
 * - `reserved`: a `once` grant held by a request running inside a transaction that is still
 *   open: nobody else can use it; it becomes `consumed` if the transaction commits and
 *   `approved` again if it certainly did not (see {@link ApprovalStore.endReservation}). Time
 *   does not end a reservation: one whose holder vanished stays `reserved`, unusable.
 * - `consumed`: a `once` grant was used by the request it approved (and, for a reservation, its
 *   transaction committed or may have). Final.
 * - `expired`: the pending request or the grant ran out of time. Final.
 */
export type ApprovalStatus = 'pending' | 'approved' | 'reserved' | 'denied' | 'consumed' | 'expired';

/** What an approval lets the requester do once approved (see {@link ApprovalRequest.grant}). */
export type ApprovalGrant = 'once' | 'window';

/** One vote, as stored. */
export interface ApprovalVote {
  /** The approver's subject: the person, counted once however many groups they are in. */
  readonly subject: string;
  /** The issuer (`iss`) of the approver's token, when they came from one: who vouched for the subject. */
  readonly issuer?: string;
  /** The approver's groups when they voted (for the audit trail). */
  readonly groups: readonly string[];
  readonly verdict: 'approve' | 'deny';
  readonly comment?: string;
  /** ISO 8601 UTC. */
  readonly at: string;
}

/**
 * A pending review of one exact request, and (once approved) the grant it carries.
 *
 * Times are ISO 8601 UTC strings so the record stays plain data.
 */
export interface ApprovalRequest {
  /** A random UUID; what approvers quote (`portcullis approvals approve <id>`). */
  readonly id: string;
  /** {@link hashRequest} of (subject, actor chain, target, canonical request): the exact request approved. */
  readonly requestHash: string;
  /**
   * {@link hashScope} of (subject, actor chain, target): the key under which `window` grants
   * are looked up.
   */
  readonly scopeHash: string;
  readonly status: ApprovalStatus;
  /** Who asked (copied from the principal when the request was created). */
  readonly requester: Principal;
  /** The requester's actor chain, current actor first; empty when no agent is involved. */
  readonly actors: readonly string[];
  readonly target: string;
  /** The request to be approved, exactly as it will run, for approvers to read. */
  readonly request: Request;
  /** The actions the request classified into. */
  readonly actions: readonly Action[];
  /** Every requirement of the decision; all must be met. */
  readonly requirements: readonly ReviewRequirement[];
  /**
   * `once` when any requirement asks for `once` (the stricter grant), else `window`.
   * A `once` grant runs the exact request one time; a `window` grant lets the same principal
   * run requests needing the same review rules on the same target until `grantExpiresAt`.
   */
  readonly grant: ApprovalGrant;
  /** The decision's reasons, for approvers to read. */
  readonly reasons: readonly string[];
  /** Every vote, in order. */
  readonly votes: readonly ApprovalVote[];
  readonly createdAt: string;
  /** When the pending request expires if not decided. */
  readonly expiresAt: string;
  /** When it was approved or denied. */
  readonly decidedAt?: string;
  /** Approved only: decision time plus the shortest `ttlMs` of the requirements. */
  readonly grantExpiresAt?: string;
  /** Consumed only: when the `once` grant was used. */
  readonly consumedAt?: string;
  /**
   * Reserved (and, after the reservation, consumed) only: the holder that reserved the grant
   * ({@link GrantQuery.reserve}), an opaque id the engine makes per use.
   */
  readonly reservedBy?: string;
  /** Reserved (and, after the reservation, consumed) only: when the grant was reserved. */
  readonly reservedAt?: string;
}

/** What {@link ApprovalStore.create} needs: the request being held for review. */
export interface CreateApprovalInput {
  readonly requester: Principal;
  readonly target: string;
  readonly request: Request;
  readonly actions: readonly Action[];
  /** The `review` decision's requirements (at least one). */
  readonly requirements: readonly ReviewRequirement[];
  readonly reasons?: readonly string[];
  /** When it is created. */
  readonly at: Date;
  /**
   * How long the request may stay pending. Default: the longest `ttlMs` of the requirements.
   */
  readonly pendingTtlMs?: number;
}

/** A vote being cast. */
export interface ApprovalVoteInput {
  /** Who votes. Must be a person acting directly (no actor), eligible for a requirement. */
  readonly approver: Principal;
  readonly verdict: 'approve' | 'deny';
  readonly comment?: string;
}

/** A filter for {@link ApprovalStore.list}; absent fields match anything. */
export interface ApprovalFilter {
  readonly status?: ApprovalStatus | readonly ApprovalStatus[];
  /** The requester's subject. */
  readonly subject?: string;
  readonly target?: string;
  readonly requestHash?: string;
}

/** What {@link ApprovalStore.consume} and {@link ApprovalStore.findWindowGrant} look for. */
export interface GrantQuery {
  /** Who wants to run the request now. */
  readonly principal: Principal;
  /** {@link hashRequest} of the request about to run (consume) — ignored by `findWindowGrant`. */
  readonly requestHash: string;
  /** {@link hashScope} of (principal, target). */
  readonly scopeHash: string;
  /** The requirements the current decision asks for; the grant must cover each one. */
  readonly requirements: readonly ReviewRequirement[];
  readonly at: Date;
  /**
   * `consume` only: reserve the `once` grant for this holder (status `reserved`) instead of
   * consuming it, because the request runs in a transaction that may still roll back. The holder
   * ends the reservation with {@link ApprovalStore.endReservation}. Ignored by `findWindowGrant`.
   */
  readonly reserve?: string;
}

/** How a reservation ends (see {@link ApprovalStore.endReservation}). */
export type ReservationOutcome = 'consumed' | 'released';

/** A change a store reports to subscribers. */
export interface ApprovalChange {
  readonly type: 'created' | 'voted' | 'consumed';
  readonly approval: ApprovalRequest;
}

/**
 * Where approval requests live. Every operation is a domain operation that the store runs
 * atomically (a transaction with a row lock in PostgreSQL; a critical section in memory), and
 * every rule (separation of duties, eligibility, distinct counting, expiry, status transitions)
 * lives in the pure functions of this folder that every store calls inside that section:
 * {@link newApprovalRequest}, {@link applyVote}, {@link settleApproval}, {@link grantCovers},
 * {@link consumeGrant}, {@link matchesFilter}. A store adds storage, atomicity and notification,
 * never rules.
 *
 * Every operation rejects with an `ApprovalError`: the rule codes (`ERR_APPROVAL_NOT_FOUND`,
 * `ERR_APPROVAL_FORBIDDEN`, `ERR_APPROVAL_EXPIRED`, `ERR_APPROVAL_CLOSED`) come from the pure
 * functions; a storage failure is `ERR_APPROVAL_STORE` with the cause chained. The engine denies
 * on any rejection it did not expect.
 *
 * @example
 * ```ts
 * const store = createMemoryApprovalStore();
 * const pending = await store.create({ requester, target: 'warehouse', request, actions, requirements, at: new Date() });
 * await store.vote(pending.id, { approver: bob, verdict: 'approve' }, new Date());
 * const grant = await store.consume({ principal: requester, requestHash: pending.requestHash, scopeHash: pending.scopeHash, requirements, at: new Date() });
 * ```
 */
export interface ApprovalStore {
  /**
   * Creates a pending request for (requester, target, request), or returns the live pending
   * request with the same `requestHash` (the hash binds the requester), so retries and
   * concurrent callers share one approval. Builds the record with {@link newApprovalRequest};
   * an existing pending request past its `expiresAt` is settled as `expired` first and a new
   * one is created.
   */
  create(input: CreateApprovalInput): Promise<ApprovalRequest>;

  /** The request with this id, settled for expiry at `at` ({@link settleApproval}), or `undefined`. */
  get(id: string, at: Date): Promise<ApprovalRequest | undefined>;

  /** Requests matching the filter (settled at `at`), oldest first. */
  list(filter: ApprovalFilter, at: Date): Promise<readonly ApprovalRequest[]>;

  /**
   * Records a vote with {@link applyVote} and returns the new state: `approved` once every
   * requirement has enough distinct eligible approvers, `denied` on any eligible denial.
   * Rejects with `ERR_APPROVAL_NOT_FOUND`, `ERR_APPROVAL_FORBIDDEN` (self-approval, an
   * approver through an agent, not an eligible approver), `ERR_APPROVAL_EXPIRED` or
   * `ERR_APPROVAL_CLOSED` (already decided or consumed).
   */
  vote(id: string, vote: ApprovalVoteInput, at: Date): Promise<ApprovalRequest>;

  /**
   * Atomically uses one approved, unexpired `once` grant for exactly `query.requestHash` that
   * covers `query.requirements` ({@link grantCovers}) and marks it `consumed`, or `reserved` by
   * `query.reserve` when that is set ({@link consumeGrant}). Resolves with the new record, or
   * `undefined` when there is none. Of any number of concurrent callers, exactly one gets a
   * given grant; a reserved grant is nobody else's until its reservation ends.
   */
  consume(query: GrantQuery): Promise<ApprovalRequest | undefined>;

  /**
   * Ends the reservation `holder` made on approval `id` ({@link GrantQuery.reserve}), with
   * {@link endReservation}: `consumed` when the transaction the grant was used in committed (or
   * may have), `released` when it certainly did not — the grant is `approved` again (or
   * `expired`, settled at `at`) and can be used once more. Resolves with the new record, or
   * `undefined` when `id` is not reserved by `holder` (unknown, or already ended). Atomic like
   * `consume`.
   *
   * Optional, so stores written before reservations existed still satisfy the interface: the
   * engine reserves only with a store that has it, and otherwise consumes at first use.
   */
  endReservation?(
    id: string,
    holder: string,
    outcome: ReservationOutcome,
    at: Date,
  ): Promise<ApprovalRequest | undefined>;

  /**
   * An approved, unexpired `window` grant for `query.scopeHash` that covers
   * `query.requirements` ({@link grantCovers}), or `undefined`. Not consumed: a window grant
   * is used any number of times until it expires.
   */
  findWindowGrant(query: GrantQuery): Promise<ApprovalRequest | undefined>;

  /**
   * Resolves with the request as soon as it is no longer `pending` in the store (approved,
   * denied, consumed or expired by a store operation) — immediately if it already is. Time
   * alone does not resolve it: the caller bounds the wait with `signal` (and the request's
   * `expiresAt`). Rejects with the signal's reason when aborted, `ERR_APPROVAL_NOT_FOUND` for
   * an unknown id. A PostgreSQL store wakes waiters in every process through LISTEN/NOTIFY.
   */
  waitFor(id: string, signal?: AbortSignal): Promise<ApprovalRequest>;

  /**
   * Calls `listener` after every change (for notifying approvers); returns the function that
   * unsubscribes. Listeners must not throw; what they throw is ignored.
   */
  subscribe(listener: (change: ApprovalChange) => void): () => void;
}
