/**
 * The engine's public shapes: what {@link createPortcullis} takes and the {@link Portcullis} it
 * returns. Adapters (pg, ssh, k8s) build on these.
 *
 * @packageDocumentation
 */
import type { Telemetry, TelemetryOptions } from '../telemetry/telemetry.js';
import type {
  ApprovalFilter,
  ApprovalRequest,
  ApprovalStore,
  ReservationOutcome,
} from '../approvals/types.js';
import type { IdentityResolver, ResolveOptions } from '../identity/resolve-identity.js';
import type { CompiledPolicy } from '../policy/policy-types.js';
import type {
  Action,
  ClassifyContext,
  Decision,
  Principal,
  Recorder,
  Request,
  SessionRecorder,
} from '../types.js';

/** Turns a request into actions (docs/ §3). Must be synchronous and pure; a throw denies. */
export type Classify = (request: Request, context?: ClassifyContext) => readonly Action[];

/** Options of {@link createPortcullis}. Everything but the policy has a default. */
export interface PortcullisOptions {
  /** The compiled policy (`loadPolicyFile`, `parsePolicy`, `compilePolicy`). */
  readonly policy: CompiledPolicy;
  /**
   * Resolves bearer tokens. Default: `createIdentityResolver(policy.identity, { now })` when the
   * policy has an `identity` section; without either, `resolvePrincipal` throws a TypeError.
   */
  readonly identity?: IdentityResolver;
  /**
   * Where approval requests live. Default: a new in-memory store (one process, lost on
   * restart); pass the PostgreSQL store to share approvals between processes.
   */
  readonly approvals?: ApprovalStore;
  /** Starts recorded sessions. Without one, `startSession` resolves `undefined`. */
  readonly recorder?: Recorder;
  /** The clock for approvals, grants and credential expiry (default `() => new Date()`). */
  readonly now?: () => Date;
  /**
   * The classifier. Default: the built-in `classifyRequest` (its WebAssembly grammars are loaded
   * by `createPortcullis`). Tests and hosts with their own vocabulary may pass another.
   */
  readonly classify?: Classify;
  /**
   * How long an approval request may stay pending before it expires, in ms. Default: the
   * longest ttl of the review rules that asked for it.
   */
  readonly pendingTtlMs?: number;
  /**
   * OpenTelemetry providers and a logger (docs/operations.md). Default: the global providers of
   * `@opentelemetry/api` (a no-op unless the host registered an SDK) and a silent logger.
   */
  readonly telemetry?: TelemetryOptions;
}

/** What is decided: who asks, on which target, for what. */
export interface DecideInput {
  readonly principal: Principal;
  /** A target name from the policy. */
  readonly target: string;
  readonly request: Request;
  /** What the session knows (prepared statements), filled in by the adapter. */
  readonly context?: ClassifyContext;
}

/** How `authorize` handles a decision that needs review. */
export interface ReviewOptions {
  /**
   * `defer` (default): create (or find) the approval request and throw a
   * `ReviewRequiredError` with its id at once; the caller runs the request again once it is
   * approved. `wait`: hold the call until the request is approved (then run), denied
   * (`DeniedError`), or `timeoutMs` passes (`ReviewRequiredError`, code
   * `ERR_REVIEW_TIMEOUT`).
   */
  readonly mode: 'defer' | 'wait';
  /** `wait` only: the longest wait in ms (default: until the approval request expires). */
  readonly timeoutMs?: number;
  /** `wait` only: aborting ends the wait with a `ReviewRequiredError` (`ERR_REVIEW_REQUIRED`). */
  readonly signal?: AbortSignal;
}

/** What `authorize` needs: a {@link DecideInput}, the session to record in, and the review mode. */
export interface AuthorizeInput extends DecideInput {
  /**
   * The recorded session this request belongs to (from `startSession`). Required when the
   * decision requires recording: without it, the request is denied.
   */
  readonly session?: SessionRecorder;
  /** How to handle `review` (default `{ mode: 'defer' }`). */
  readonly review?: ReviewOptions;
  /**
   * For adapters whose requests may run inside a transaction that can still roll back: a `once`
   * grant this request uses is reserved rather than consumed, and the caller must end
   * `Authorization.reservation` once it knows whether the request's work committed. Ignored
   * (the grant is consumed at once) when the approval store has no `endReservation`.
   */
  readonly reserveGrant?: boolean;
}

/**
 * A `once` grant reserved by a request (see {@link AuthorizeInput.reserveGrant}): nobody can use
 * it until it is ended. End it `consumed` when the transaction the request ran in committed or
 * might have (a COMMIT whose answer was lost, a text that commits part-way), `released` only
 * when it certainly did not (ROLLBACK, a failed COMMIT, a connection closed mid-transaction).
 * A reservation never ended stays reserved: the grant is then spent without having run —
 * the safe side.
 *
 * @example
 * ```ts
 * const auth = await portcullis.authorize({ ...input, reserveGrant: true });
 * // … the request runs inside BEGIN … and the transaction commits:
 * await auth.reservation?.end('consumed');
 * ```
 */
export interface GrantReservation {
  /** The approval whose grant is reserved. */
  readonly approvalId: string;
  /**
   * Ends the reservation in the store and records an `approval` event (`consumed` or
   * `released`) under the request that reserved it. Only the first call counts. Never rejects:
   * a store that fails leaves the grant reserved (unusable), and the failure is recorded as an
   * `error` event.
   */
  end(outcome: ReservationOutcome): Promise<void>;
}

/** A request that may run now. */
export interface Authorization {
  /**
   * The decision: `allow`, or `review` when an approval grant was used (then `approvalId`
   * names it).
   */
  readonly decision: Decision;
  /** The actions the request classified into. */
  readonly actions: readonly Action[];
  /**
   * The masking profile to apply to results and output (a key of `policy.masking.profiles`):
   * the decision's, else the policy's `masking.default`. Absent: neither names one, and adapters
   * mask with every built-in detector (docs/policy.md).
   */
  readonly mask?: string;
  /** The approval whose grant was used, for a reviewed request. */
  readonly approvalId?: string;
  /**
   * Present when the request asked for `reserveGrant` and used a `once` grant: the reservation
   * the caller must end (see {@link GrantReservation}).
   */
  readonly reservation?: GrantReservation;
  /**
   * The `seq` of the `request` event in `session`, when it was recorded: adapters pass it as
   * `requestSeq` in the `result`, `output` and `error` events of this request.
   */
  readonly requestSeq?: number;
}

/** Approving and denying, as people (never agents) do it. */
export interface PortcullisApprovals {
  /**
   * Approves a pending request as `approver`. Resolves with the new state (`approved` once
   * every requirement has its distinct approvers, else still `pending`).
   *
   * @throws ApprovalError `ERR_APPROVAL_NOT_FOUND`, `ERR_APPROVAL_FORBIDDEN` (self-approval, the
   * requesting agent, an approval through an agent, not an eligible approver),
   * `ERR_APPROVAL_EXPIRED`, `ERR_APPROVAL_CLOSED`, or `ERR_APPROVAL_STORE` (cause chained).
   */
  approve(id: string, approver: Principal, comment?: string): Promise<ApprovalRequest>;
  /** Denies a pending request as `approver`: it ends (`denied`). Throws as `approve`. */
  deny(id: string, approver: Principal, comment?: string): Promise<ApprovalRequest>;
  /** The request with this id as it stands now, or `undefined`. */
  get(id: string): Promise<ApprovalRequest | undefined>;
  /** Requests matching `filter` (default: all), oldest first. */
  list(filter?: ApprovalFilter): Promise<readonly ApprovalRequest[]>;
}

/**
 * The enforcement engine: identity → classify → evaluate → approvals → recording. Adapters
 * call `authorize` before every request and forward it only when it resolves.
 */
export interface Portcullis {
  readonly policy: CompiledPolicy;
  /**
   * Verifies a bearer token and returns its principal.
   *
   * @throws TokenError when the token (or its DPoP proof) is rejected, or could not be checked.
   * @throws TypeError when no identity is configured.
   */
  resolvePrincipal(token: string, options?: ResolveOptions): Promise<Principal>;
  /**
   * Classifies and evaluates one request, with no side effects: no approval is created or
   * used, nothing is recorded. Every failure (unknown target, a request of the wrong protocol,
   * a classifier or evaluator error) is a `deny` decision saying why. `decision.actions` holds
   * each classified action with its effect.
   *
   * @throws TypeError when the input is not a principal, target name and request.
   */
  decide(input: DecideInput): Decision;
  /**
   * Decides one request and, when it may run, resolves with what the adapter needs to run it.
   * Order: classify → evaluate → (review: use an approved `once` grant for this exact request
   * or a live `window` grant; else create or find the approval request and defer or wait) →
   * record `request`, `decision` and (when a grant is used) `approval` events in `session`.
   * Fails closed: any failure of classification, evaluation, the approval store or a required
   * recording rejects with a `DeniedError` whose `cause` is the failure.
   *
   * @throws DeniedError (`ERR_DENIED`) when the policy denies, an approver denied, the
   * credential expired, or anything failed.
   * @throws ReviewRequiredError (`ERR_REVIEW_REQUIRED`, or `ERR_REVIEW_TIMEOUT` after a `wait`
   * that ran out) with the approval id.
   * @throws TypeError when the input is malformed.
   */
  authorize(input: AuthorizeInput): Promise<Authorization>;
  /**
   * The engine's telemetry, for the code that executes authorised requests (the gate runtime
   * does this for every adapter built on it): call `startExecution({ target, decision })` after
   * `authorize` resolved and `end({ error?, rows?, findings? })` it when the driver answered.
   */
  readonly telemetry: Telemetry;
  /** Approve, deny, inspect approval requests. */
  readonly approvals: PortcullisApprovals;
  /**
   * Starts a recorded session for `principal` on `target` (`session.start` with both), or
   * resolves `undefined` when no recorder is configured.
   *
   * @throws RecordingError when the recorder fails.
   * @throws TypeError for a target the policy does not name.
   */
  startSession(principal: Principal, target: string): Promise<SessionRecorder | undefined>;
}
