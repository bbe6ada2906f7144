import { randomUUID } from 'node:crypto';
import { LONGEST_TIMER_MS } from '../longest-timer.js';
import { grantCovers } from '../approvals/consume-grant.js';
import { hashRequest, hashScope, shownRequest } from '../approvals/hash-request.js';
import type { ApprovalRequest, ApprovalStore, GrantQuery, ReservationOutcome } from '../approvals/types.js';
import { ApprovalError, DeniedError, ReviewRequiredError } from '../errors.js';
import type { PortcullisError } from '../errors.js';
import type { Action, Decision, Principal, ReviewRequirement, SessionRecorder, Target } from '../types.js';
import { decideRequest, messageOf } from './decide-request.js';
import type { Decided, DecideDeps } from './decide-request.js';
import { denyDecision } from './deny-decision.js';
import { approvalsNeeded, operationsOf, reasonsOf } from './messages.js';
import { LaterRecording, type RequestSeqBox, withRequestSeq } from './later-recording.js';
import { recordRequestAndDecision, recordStep } from './record-step.js';
import type { AuthorizationSpan } from '../telemetry/telemetry.js';
import type { Authorization, AuthorizeInput, GrantReservation } from './types.js';

/** What {@link authorizeRequest} needs besides deciding. */
export interface AuthorizeDeps extends DecideDeps {
  readonly store: ApprovalStore;
  readonly now: () => Date;
  readonly pendingTtlMs?: number;
  /** The target each session started by the engine records for, so events name it only when it differs. */
  readonly sessionTargets: WeakMap<object, string>;
}

/** A failure of the approval store, carried to the point where it becomes a denial. */
class StoreFailure extends Error {
  /** `error`: what the denial chains as its cause; `detail`: the underlying failure, for the message. */
  constructor(
    readonly error: ApprovalError,
    readonly detail: string,
  ) {
    super(error.message, { cause: error });
  }
}

/**
 * The body of `Portcullis.authorize` (see its TSDoc): decide, then either throw the outcome or
 * obtain the approval and record, failing closed at every step.
 *
 * @example
 * ```ts
 * const { mask, requestSeq } = await authorizeRequest(deps, { principal, target: 'warehouse', request, session });
 * ```
 * @throws DeniedError, ReviewRequiredError, or TypeError for malformed input.
 */
export async function authorizeRequest(deps: AuthorizeDeps, input: AuthorizeInput): Promise<Authorization> {
  assertAuthorizeInput(input);
  return authorizeDecided(deps, input, decideRequest(deps, input));
}

/**
 * {@link authorizeRequest} for a request whose decision is already made (the gate runtime's
 * plan cache holds decisions): approvals, expiry and recording, failing closed as there. The
 * caller vouches that `decided` is `decideRequest(deps, input)` for this exact input.
 *
 * @example
 * ```ts
 * const auth = await authorizeDecided(deps, input, cached ?? decideRequest(deps, input));
 * ```
 * @throws DeniedError, ReviewRequiredError, or TypeError for malformed input.
 */
export async function authorizeDecided(
  deps: AuthorizeDeps,
  input: AuthorizeInput,
  decided: Decided,
): Promise<Authorization> {
  assertAuthorizeInput(input);
  const telemetry = deps.telemetry;
  if (telemetry === undefined)
    return allowedAtOnce(deps, input, decided) ?? authorizeTraced(deps, input, decided, undefined);
  const span = telemetry.startAuthorization(input.target);
  const log = { target: input.target, subject: input.principal.subject };
  try {
    const granted =
      allowedAtOnce(deps, input, decided) ?? (await authorizeTraced(deps, input, decided, span));
    span.end(granted.decision, 'allowed');
    if (telemetry.logging !== false)
      telemetry.logger.debug(summary(granted.decision, log), 'portcullis: request authorized');
    return granted;
  } catch (err) {
    const decision =
      err instanceof DeniedError || err instanceof ReviewRequiredError ? err.decision : undefined;
    const outcome = err instanceof ReviewRequiredError ? 'review-pending' : 'denied';
    span.end(decision, outcome);
    const fields: Record<string, unknown> =
      decision === undefined ? { target: log.target, subject: log.subject } : summary(decision, log);
    fields['code'] = (err as { code?: unknown }).code;
    // A denial that a failure caused (store, recording, classifier) is worth an operator's look.
    if (err instanceof DeniedError && err.cause !== undefined) {
      fields['cause'] = messageOf(err.cause);
      telemetry.logger.warn(fields, 'portcullis: request denied by a failure');
    } else telemetry.logger.info(fields, `portcullis: request ${outcome}`);
    throw err;
  }
}

/**
 * {@link authorizeDecided} for a request it would authorise at once (allowed, nothing to record,
 * no approval, the credential unexpired), returned synchronously with the same telemetry; else
 * `undefined`, and the caller takes {@link authorizeDecided}. For the gate runtime's hot path.
 *
 * @example
 * ```ts
 * const auth = authorizeAtOnce(deps, input, decided) ?? (await authorizeDecided(deps, input, decided));
 * ```
 * @throws TypeError for malformed input.
 */
export function authorizeAtOnce(
  deps: AuthorizeDeps,
  input: AuthorizeInput,
  decided: Decided,
): Authorization | undefined {
  assertAuthorizeInput(input);
  return grantedAtOnce(deps, input, decided, false);
}

/** {@link authorizeAtOnce} after its input check; `later`: the session records the request later. */
function grantedAtOnce(
  deps: AuthorizeDeps,
  input: AuthorizeInput,
  decided: Decided,
  later: boolean,
): Authorization | undefined {
  const granted = allowedAtOnce(deps, input, decided, later);
  if (granted === undefined) return undefined;
  const telemetry = deps.telemetry;
  if (telemetry !== undefined) {
    telemetry.startAuthorization(input.target).end(granted.decision, 'allowed');
    if (telemetry.logging !== false) {
      telemetry.logger.debug(
        summary(granted.decision, { target: input.target, subject: input.principal.subject }),
        'portcullis: request authorized',
      );
    }
  }
  return granted;
}

/**
 * {@link authorizeAtOnce} for a request with a recording session that can record later: an
 * allowed request whose recording is not required, with no approval and the credential
 * unexpired, is authorised at once and its `request` and `decision` events are left to `session`
 * to record later, in order (see {@link LaterRecording}); the returned box gets the request's
 * `seq` when they are. `undefined` for anything else, which takes {@link authorizeDecided}.
 *
 * @example
 * ```ts
 * const later = authorizeLater(deps, input, decided, lane);
 * const auth = later?.auth ?? (await authorizeDecided(deps, input, decided));
 * ```
 * @throws TypeError for malformed input.
 */
export function authorizeLater(
  deps: AuthorizeDeps,
  input: AuthorizeInput,
  decided: Decided,
  session: LaterRecording,
): { readonly auth: Authorization; readonly seq: RequestSeqBox } | undefined {
  assertAuthorizeInput(input);
  if (input.session !== session || !session.canDefer) return undefined;
  const auth = grantedAtOnce(deps, input, decided, true);
  if (auth === undefined) return undefined;
  const seq: RequestSeqBox = {};
  const { decision, actions } = decided;
  session.later((inner) => {
    const requestSeq = inner.nextSeq;
    const request = requestEventData(deps, input, actions, inner);
    if (typeof requestSeq !== 'number') {
      // The recording no longer says which seq comes next: the decision follows the request's.
      inner.record('request', request).then(
        (event) => {
          seq.requestSeq = event.seq;
          LaterRecording.optional(inner, 'decision', { requestSeq: event.seq, ...decision });
        },
        () => undefined,
      );
      return;
    }
    LaterRecording.optional(inner, 'request', request);
    seq.requestSeq = requestSeq;
    LaterRecording.optional(inner, 'decision', { requestSeq, ...decision });
  });
  return { auth, seq };
}

/** The data of a request's `request` event; it names the target when `session` records another. */
function requestEventData(
  deps: AuthorizeDeps,
  input: AuthorizeInput,
  actions: readonly Action[],
  session: SessionRecorder | undefined,
): Record<string, unknown> {
  const { target } = input;
  const data: Record<string, unknown> = { request: shownRequest(input.request), actions };
  const recording = session instanceof LaterRecording ? session.inner : session;
  if (recording === undefined || deps.sessionTargets.get(recording) !== target) {
    const known: Target | undefined = deps.policy.targets.get(target);
    data['target'] = known ?? { name: target };
  }
  return data;
}

/**
 * A log line's fields: `fields`, then what it says about a decision: effect, operations and rule
 * ids (never request values).
 */
function summary(
  decision: Decision,
  fields: { readonly target: string; readonly subject: string },
): Record<string, unknown> {
  return {
    target: fields.target,
    subject: fields.subject,
    effect: decision.effect,
    operations: [...new Set(decision.actions.map((a) => a.action.operation))],
    rules: decision.rules,
  };
}

/**
 * The authorization of an allowed request with nothing to record and nothing to wait for (no
 * recording session, recording not required, no approval, the credential unexpired), made at
 * once: what {@link authorizeTraced} returns for it, without its per-request machinery.
 * `undefined` for anything else, which takes the full path.
 */
function allowedAtOnce(
  deps: AuthorizeDeps,
  input: AuthorizeInput,
  decided: Decided,
  later = false,
): Authorization | undefined {
  const { decision } = decided;
  if (
    decided.failure !== undefined ||
    decision.effect !== 'allow' ||
    decision.recordingRequired ||
    (input.session !== undefined && !later)
  ) {
    return undefined;
  }
  if (input.principal.expiresAt !== undefined) {
    try {
      if (credentialExpired(input.principal, deps.now().getTime()) !== undefined) return undefined;
    } catch {
      return undefined;
    }
  }
  const mask = decision.mask ?? deps.policy.masking.default;
  return mask === undefined
    ? { decision, actions: decided.actions }
    : { decision, actions: decided.actions, mask };
}

async function authorizeTraced(
  deps: AuthorizeDeps,
  input: AuthorizeInput,
  decided: Decided,
  span: AuthorizationSpan | undefined,
): Promise<Authorization> {
  const { actions } = decided;
  const { decision } = decided;
  const { session, target, principal } = input;
  const required = decision.recordingRequired;
  let requestSeq: number | undefined;

  // Everything after the decision is recorded under the request's seq; a denial is recorded
  // as far as the session allows and never depends on it.
  const deny = async (message: string, denied: Decision, cause?: unknown): Promise<never> => {
    const error = new DeniedError(message, denied, cause === undefined ? undefined : { cause });
    await recordOutcome(error, denied);
    throw error;
  };
  const recordOutcome = async (error: PortcullisError, shown: Decision): Promise<void> => {
    if (requestSeq === undefined) {
      requestSeq = (await recordStep(session, 'request', requestData(), false))?.seq;
      if (requestSeq !== undefined) await recordStep(session, 'decision', { requestSeq, ...shown }, false);
    }
    await recordStep(
      session,
      'error',
      withRequestSeq(requestSeq, { code: error.code, message: error.message }),
      false,
    );
  };
  const requestData = (): Record<string, unknown> => requestEventData(deps, input, actions, session);
  const failed = (reason: string, cause?: unknown): Promise<never> =>
    deny(
      `${operationsOf(decision)} on ${target} is denied: ${reason}`,
      denyDecision(reason, actions, required, decision),
      cause,
    );

  try {
    if (decided.failure !== undefined) {
      return await deny(
        `${operationsOf(decision)} on ${target} is denied: ${decided.failure.reason}`,
        decision,
        decided.failure.cause,
      );
    }
    if (decision.effect === 'deny') {
      const why = decision.reasons.length > 0 ? decision.reasons.join('; ') : 'no rule allows it';
      return await deny(`${operationsOf(decision, 'deny')} on ${target} is denied: ${why}`, decision);
    }
    const expired = credentialExpired(principal, deps.now().getTime());
    if (expired !== undefined) return await failed(expired);
    if (required && session === undefined) {
      return await failed(
        `recording is required for ${target} and no recording session was given; configure a recorder and pass the session from startSession()`,
      );
    }

    try {
      requestSeq = await recordRequestAndDecision(
        session,
        requestData(),
        (seq) => withRequestSeq(seq, decision),
        required,
      );
    } catch (cause) {
      return await failed(
        `recording is required and the request could not be recorded (${messageOf(cause)}); nothing ran`,
        cause,
      );
    }

    const mask = decision.mask ?? deps.policy.masking.default;
    const granted = { decision, actions, ...(mask === undefined ? {} : { mask }) };
    if (decision.effect === 'allow') {
      return requestSeq === undefined ? granted : { requestSeq, ...granted };
    }

    let grant: ApprovalRequest;
    // Whoever ends up holding a reserved grant: this request (until it hands the reservation
    // to the caller), so any failure before then releases it — nothing ran.
    const holder =
      input.reserveGrant === true && typeof deps.store.endReservation === 'function'
        ? randomUUID()
        : undefined;
    const waitStarted = deps.now().getTime();
    const waited = (outcome: string): void => {
      span?.approvalWait((deps.now().getTime() - waitStarted) / 1000, outcome);
    };
    try {
      grant = await obtainGrant(deps, input, decision, actions, holder, async (event) => {
        await recordStep(session, 'approval', withRequestSeq(requestSeq, event), false);
      });
      waited('granted');
    } catch (err) {
      waited(
        err instanceof ReviewRequiredError ? 'pending' : err instanceof DeniedError ? 'denied' : 'failed',
      );
      if (err instanceof StoreFailure) {
        return await failed(
          `the approval store failed (${err.detail}); nothing ran — check the approval store and try again`,
          err.error,
        );
      }
      if (err instanceof ReviewRequiredError || err instanceof DeniedError)
        await recordOutcome(err, decision);
      throw err;
    }
    const reservation =
      grant.status === 'reserved' && holder !== undefined
        ? reservationOf(deps, session, requestSeq, grant.id, holder)
        : undefined;
    try {
      await recordStep(
        session,
        'approval',
        withRequestSeq(requestSeq, {
          approvalId: grant.id,
          status: reservation === undefined ? 'used' : 'reserved',
          by: approvers(grant),
        }),
        required,
      );
    } catch (cause) {
      await reservation?.end('released');
      return await failed(
        `recording is required and the approval could not be recorded (${messageOf(cause)}); nothing ran`,
        cause,
      );
    }
    return {
      approvalId: grant.id,
      ...granted,
      ...(reservation === undefined ? {} : { reservation }),
      ...(requestSeq === undefined ? {} : { requestSeq }),
    };
  } catch (err) {
    if (err instanceof DeniedError || err instanceof ReviewRequiredError) throw err;
    // A bug or an unexpected failure on the way: never an allow.
    return await failed(`an unexpected error stopped the request (${messageOf(err)}); nothing ran`, err);
  }
}

/**
 * The caller's handle on a reserved grant: ends it once in the store and records the outcome
 * under the request that reserved it. Never rejects; a failure leaves the grant reserved.
 */
function reservationOf(
  deps: AuthorizeDeps,
  session: AuthorizeInput['session'],
  requestSeq: number | undefined,
  approvalId: string,
  holder: string,
): GrantReservation {
  let ended: Promise<void> | undefined;
  const finish = async (outcome: ReservationOutcome): Promise<void> => {
    let detail: string;
    try {
      const record = await deps.store.endReservation?.(approvalId, holder, outcome, deps.now());
      if (record !== undefined && record.id === approvalId && record.status !== 'reserved') {
        const status = record.status === 'consumed' ? 'consumed' : 'released';
        await recordStep(session, 'approval', withRequestSeq(requestSeq, { approvalId, status }), false);
        return;
      }
      detail = 'it was no longer reserved by this request';
    } catch (cause) {
      detail = `the approval store failed: ${messageOf(cause)}`;
    }
    await recordStep(
      session,
      'error',
      withRequestSeq(requestSeq, {
        code: 'ERR_APPROVAL_STORE',
        message: `approval ${approvalId} could not be marked ${outcome} (${detail}); it stays reserved and cannot be used again`,
      }),
      false,
    );
  };
  return Object.freeze({
    approvalId,
    end(outcome: ReservationOutcome): Promise<void> {
      // Anything but an explicit release spends the grant: the safe side.
      ended ??= finish(outcome === 'released' ? 'released' : 'consumed');
      return ended;
    },
  });
}

interface ApprovalEvent {
  readonly approvalId: string;
  readonly status: 'pending' | 'approved' | 'denied' | 'expired';
  readonly by?: readonly string[];
  readonly comment?: string;
}

/**
 * Finds a usable grant (an approved `once` grant for this exact request, consumed now — or
 * reserved for `holder` when one is given; or a live `window` grant), else creates or finds the
 * pending approval request and defers or waits.
 */
async function obtainGrant(
  deps: AuthorizeDeps,
  input: AuthorizeInput,
  decision: Decision,
  actions: readonly Action[],
  holder: string | undefined,
  note: (event: ApprovalEvent) => Promise<void>,
): Promise<ApprovalRequest> {
  const { store } = deps;
  const { principal, target } = input;
  const requirements: readonly ReviewRequirement[] = decision.review ?? [];
  const requestHash = hashRequest({ principal, target, request: input.request });
  const scopeHash = hashScope({ principal, target });
  const anyWindow = requirements.every((r) => r.grant === 'window');
  const mode = input.review?.mode ?? 'defer';
  const what = operationsOf(decision, 'review');
  // The reasons travel in the message too: a library that wraps the error keeps only its text.
  const needed = `${approvalsNeeded(requirements)}${reasonsOf(decision)}`;
  // The caller's wait budget, on the real clock (timers), not the injectable one.
  const waitUntil =
    input.review?.timeoutMs === undefined ? Infinity : performance.now() + input.review.timeoutMs;
  const noted = new Set<string>();

  for (;;) {
    const at = deps.now();
    // The credential may have run out while the request waited for approval: checked before a
    // grant is consumed, so an expired caller neither runs nor uses up the approval.
    const expired = credentialExpired(principal, at.getTime());
    if (expired !== undefined) {
      throw new DeniedError(
        `${operationsOf(decision)} on ${target} is denied: ${expired}`,
        denyDecision(expired, actions, decision.recordingRequired, decision),
      );
    }
    const query: GrantQuery = {
      principal,
      requestHash,
      scopeHash,
      requirements,
      at,
      ...(holder === undefined ? {} : { reserve: holder }),
    };
    // What the store hands back is checked against the same rules it was meant to apply: a
    // faulty or foreign store answering with any record must not turn into an allow.
    const once = await fromStore(() => store.consume(query));
    if (once !== undefined) {
      if (!isGrantFor(once, query, 'once')) throw malformed('consume()', once);
      return once;
    }
    if (anyWindow) {
      const window = await fromStore(() => store.findWindowGrant(query));
      if (window !== undefined) {
        if (!isGrantFor(window, query, 'window')) throw malformed('findWindowGrant()', window);
        return window;
      }
    }
    const pending = await fromStore(() =>
      store.create({
        requester: principal,
        target,
        request: input.request,
        actions,
        requirements,
        reasons: decision.reasons,
        at,
        ...(deps.pendingTtlMs === undefined ? {} : { pendingTtlMs: deps.pendingTtlMs }),
      }),
    );
    if (pending.status !== 'pending') {
      throw new StoreFailure(
        new ApprovalError('ERR_APPROVAL_STORE', `create() returned a ${pending.status} request`, pending.id),
        `create() returned a ${pending.status} request`,
      );
    }
    const id = pending.id;
    if (!noted.has(id)) {
      noted.add(id);
      await note({ approvalId: id, status: 'pending' });
    }
    const ask = `run \`portcullis approvals approve ${id}\``;
    if (mode === 'defer') {
      throw new ReviewRequiredError(
        `${what} on ${target} needs ${needed}; approval id ${id}; ${ask}, then run the request again`,
        decision,
        id,
      );
    }

    const pendingLeft = Date.parse(pending.expiresAt) - deps.now().getTime();
    const budgetLeft = waitUntil - performance.now();
    const outcome = await waitFor(store, id, Math.min(pendingLeft, budgetLeft), input.review?.signal);
    if (outcome.kind === 'aborted') {
      throw new ReviewRequiredError(
        `${what} on ${target} stopped waiting for ${needed}; approval id ${id} stays pending — ${ask}, then run the request again`,
        decision,
        id,
        { cause: outcome.reason },
      );
    }
    const settled = outcome.kind === 'settled' ? outcome.approval : undefined;
    if (settled === undefined || settled.status === 'expired' || settled.status === 'pending') {
      const expired = settled?.status === 'expired' || pendingLeft <= budgetLeft;
      if (expired) await note({ approvalId: id, status: 'expired' });
      throw new ReviewRequiredError(
        expired
          ? `${what} on ${target} got no ${needed} before approval ${id} expired; run the request again to ask anew`
          : `${what} on ${target} is still waiting for ${needed}; approval id ${id} stays pending — ${ask}, then run the request again`,
        decision,
        id,
        { timedOut: true },
      );
    }
    if (settled.status === 'denied') {
      const by = settled.votes.filter((v) => v.verdict === 'deny');
      const last = by.at(-1);
      await note({
        approvalId: id,
        status: 'denied',
        by: by.map((v) => v.subject),
        ...(last?.comment === undefined ? {} : { comment: last.comment }),
      });
      const reason = `${last?.subject ?? 'an approver'} denied approval ${id}${last?.comment === undefined ? '' : `: ${last.comment}`}`;
      throw new DeniedError(
        `${what} on ${target} is denied: ${reason}`,
        denyDecision(reason, actions, decision.recordingRequired, decision),
      );
    }
    // approved (or consumed by an identical concurrent request): go round and use, or ask anew.
    await note({ approvalId: id, status: 'approved', by: approvers(settled) });
  }
}

type WaitOutcome =
  | { readonly kind: 'settled'; readonly approval: ApprovalRequest }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'aborted'; readonly reason: unknown };

// Waits for the store to report the request decided, at most `ms`, or until `signal` aborts.
async function waitFor(
  store: ApprovalStore,
  id: string,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<WaitOutcome> {
  if (signal?.aborted === true) return { kind: 'aborted', reason: signal.reason };
  if (!(ms > 0)) return { kind: 'timeout' };
  const controller = new AbortController();
  const timeout = new Error('timed out');
  const timer = setTimeout(
    () => {
      controller.abort(timeout);
    },
    Math.min(ms, LONGEST_TIMER_MS),
  );
  const onAbort = (): void => {
    controller.abort();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return { kind: 'settled', approval: await fromStore(() => store.waitFor(id, controller.signal)) };
  } catch (err) {
    if (controller.signal.aborted) {
      return controller.signal.reason === timeout
        ? { kind: 'timeout' }
        : { kind: 'aborted', reason: signal?.reason };
    }
    throw err;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

// Runs one store operation; any failure becomes a StoreFailure (ERR_APPROVAL_STORE).
async function fromStore<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (cause) {
    if (cause instanceof ApprovalError && cause.code === 'ERR_APPROVAL_STORE') {
      throw new StoreFailure(cause, cause.message);
    }
    const error = new ApprovalError(
      'ERR_APPROVAL_STORE',
      `the approval store failed: ${messageOf(cause)}`,
      undefined,
      {
        cause,
      },
    );
    throw new StoreFailure(error, messageOf(cause));
  }
}

// Whether a store's answer is a grant this query may use: a `once` grant must come back
// consumed (or reserved by exactly this query's holder), and must have been usable (approved,
// unexpired) for exactly this request; a window must cover it now. Any malformed record makes
// the rules throw, which is a "no" too.
function isGrantFor(value: unknown, query: GrantQuery, use: 'once' | 'window'): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as ApprovalRequest;
  try {
    if (use === 'window') return grantCovers(record, query, 'window');
    const used =
      record.status === 'consumed' ||
      (record.status === 'reserved' && query.reserve !== undefined && record.reservedBy === query.reserve);
    return (
      used && typeof record.id === 'string' && grantCovers({ ...record, status: 'approved' }, query, 'once')
    );
  } catch {
    return false;
  }
}

function malformed(operation: string, value: unknown): StoreFailure {
  const id = (value as { id?: unknown } | null)?.id;
  const detail = `${operation} returned a record that is not a usable grant for this request${typeof id === 'string' ? ` (${id})` : ''}`;
  return new StoreFailure(
    new ApprovalError('ERR_APPROVAL_STORE', detail, typeof id === 'string' ? id : undefined),
    detail,
  );
}

// Why the principal's credential can no longer be used at `nowMs`, or undefined while it can. An
// expiry that is not a finite number of seconds counts as expired (fail closed).
function credentialExpired(principal: Principal, nowMs: number): string | undefined {
  const expiresAt: unknown = principal.expiresAt;
  if (expiresAt === undefined) return undefined;
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) {
    return `the credential of ${principal.subject} has no valid expiry; resolve a fresh token`;
  }
  if (expiresAt * 1000 > nowMs) return undefined;
  return `the credential of ${principal.subject} expired at ${new Date(expiresAt * 1000).toISOString()}; resolve a fresh token`;
}

function approvers(approval: ApprovalRequest): readonly string[] {
  return [...new Set(approval.votes.filter((v) => v.verdict === 'approve').map((v) => v.subject))];
}

function assertAuthorizeInput(input: AuthorizeInput): void {
  const review = input.review as { readonly mode?: unknown; readonly timeoutMs?: unknown } | null | undefined;
  if (review !== undefined) {
    if (
      typeof review !== 'object' ||
      review === null ||
      (review.mode !== 'defer' && review.mode !== 'wait')
    ) {
      throw new TypeError("review must be { mode: 'defer' | 'wait', timeoutMs?, signal? }");
    }
    if (review.timeoutMs !== undefined && !(typeof review.timeoutMs === 'number' && review.timeoutMs >= 0)) {
      throw new TypeError('review.timeoutMs must be a non-negative number of milliseconds');
    }
  }
  const session = input.session as AuthorizeInput['session'] | null;
  if (
    session !== undefined &&
    (typeof session !== 'object' || session === null || typeof session.record !== 'function')
  ) {
    throw new TypeError('session must be a SessionRecorder (from startSession())');
  }
}
