// One principal's gate session: the ordered queue and the step pipeline, as closures over
// private state (nothing to patch on a shared prototype, no internal hook on the object).
import { LONGEST_TIMER_MS } from '../../longest-timer.js';
import type { LruCache } from '../../classify/sql/cache.js';
import { classifyRequest } from '../../classify/classify.js';
import { authorizeAtOnce, authorizeDecided, authorizeLater } from '../../engine/authorize.js';
import { decideRequest, type Decided } from '../../engine/decide-request.js';
import { denyDecision } from '../../engine/deny-decision.js';
import type { EngineParts } from '../../engine/engine-registry.js';
import { LaterRecording, type RequestSeqBox, withRequestSeq } from '../../engine/later-recording.js';
import { recordStep } from '../../engine/record-step.js';
import type { Authorization, AuthorizeInput, Portcullis, ReviewOptions } from '../../engine/types.js';
import { DeniedError, RecordingError } from '../../errors.js';
import type { Decision, Principal, SessionRecorder } from '../../types.js';
import { canonicalJson } from '../../record/canonical-json.js';
import { deepFreeze } from '../../deep-freeze.js';
import { createGateQueue } from '../queue.js';
import type {
  GateAdapter,
  GateRequest,
  GateResultRecord,
  GateRunOptions,
  GateSession,
  MaskingPlan,
  ResultCaps,
} from '../types.js';
import type { ExecutionSpan } from '../../telemetry/telemetry.js';
import { RequestRun, type RunParts } from './request-run.js';

/** A cached plan: the decision and the request's session effects, and the masking plan once known. */
export interface Plan {
  readonly decided: Decided;
  effects?: { readonly value: unknown };
  masking?: { readonly profile: string | undefined; readonly plan: MaskingPlan };
}

/** What every session of one gate shares. */
export interface GateShared<Call, Raw, Result, Effects> {
  readonly portcullis: Portcullis;
  readonly parts: EngineParts | undefined;
  readonly target: string;
  readonly adapter: GateAdapter<Call, Raw, Result, Effects>;
  readonly caps: ResultCaps;
  readonly resultRows: number;
  readonly hint: string;
  readonly plans: LruCache<string, Plan> | undefined;
  maskingFor(profile: string | undefined): MaskingPlan;
}

const noop = (): void => undefined;

/**
 * Opens a session (see {@link GateSession}).
 *
 * @example
 * ```ts
 * const session = openGateSession(shared, principal, { mode: 'defer' });
 * ```
 */
export function openGateSession<Call, Raw, Result, Effects>(
  shared: GateShared<Call, Raw, Result, Effects>,
  given: Principal,
  review: ReviewOptions,
): GateSession<Call, Result> {
  const { portcullis, parts, target, adapter } = shared;
  // A deep copy: the caller's arrays must not change who this session is.
  const principal: Principal = Object.freeze({
    ...given,
    groups: Object.freeze([...given.groups]),
    ...(given.actorChain === undefined ? {} : { actorChain: Object.freeze([...given.actorChain]) }),
  });
  const principalKey = canonicalJson(principal);
  const builtIn = parts?.deps.classify === classifyRequest;
  const queue = createGateQueue();
  // The requests running now (for end()) and their deadlines, in the order they started: every
  // run gets the same cap, so that is also the order of their deadlines.
  const running = new Map<RequestRun<unknown>, number>();
  // One timer stops the runs past their deadline, so a request costs no timer of its own (a
  // timer set and cleared per request cost more than the rest of the run's bookkeeping). It
  // holds the process open only while a request runs, as a timer per request did.
  let deadlines: NodeJS.Timeout | undefined;
  const expireDue = (): void => {
    deadlines = undefined;
    // Timers keep whole milliseconds: what is due within one is due now.
    const now = performance.now() + 1;
    for (const [run, deadline] of running) {
      if (deadline > now) {
        deadlines = setTimeout(expireDue, Math.min(deadline - now + 1, LONGEST_TIMER_MS));
        return;
      }
      RequestRun.expire(run);
    }
  };
  const finished = (run: RequestRun<unknown>): void => {
    running.delete(run);
    if (running.size === 0) deadlines?.unref();
  };
  let ended = false;
  let endPromise: Promise<void> | undefined;
  let recorder: SessionRecorder | undefined;
  let noRecorder = parts !== undefined && !parts.recorder;
  let recordingStarted = 0;

  // Started at the first request, and only when the engine has a recorder. A failure to start
  // is retried by the next request; the engine denies whatever requires recording meanwhile.
  // With our own engine, the events of a request whose recording is not required are written
  // later, in order (LaterRecording): after the request was sent, not before, in the caller's time.
  const recording = async (): Promise<SessionRecorder | undefined> => {
    if (recorder !== undefined || noRecorder) return recorder;
    let started: SessionRecorder | undefined;
    try {
      started = await portcullis.startSession(principal, target);
    } catch {
      return undefined;
    }
    if (started === undefined) noRecorder = true;
    else {
      recorder = parts === undefined ? started : new LaterRecording(started);
      recordingStarted = performance.now();
    }
    return recorder;
  };

  // What every run of this session shares, made again only when the recording changes.
  let sharedRun: RunParts | undefined;
  const runParts = (session: SessionRecorder | undefined): RunParts => {
    if (sharedRun?.session !== session || sharedRun === undefined) {
      sharedRun = Object.freeze({
        principal,
        target,
        caps: shared.caps,
        hint: shared.hint,
        adapter,
        session,
        recordingStarted,
        running,
      });
    }
    return sharedRun;
  };

  const refuse = async (reason: string, input: AuthorizeInput): Promise<never> => {
    const action = { operation: 'unknown' } as const;
    const decision = denyDecision(reason, [action], false);
    const error = new DeniedError(`a request on ${target} is denied: ${reason}`, decision);
    const requestSeq = (
      await recordStep(input.session, 'request', { request: input.request, actions: [action] }, false)
    )?.seq;
    await recordStep(input.session, 'decision', withRequestSeq(requestSeq, decision), false);
    await recordStep(
      input.session,
      'error',
      withRequestSeq(requestSeq, { code: error.code, message: error.message }),
      false,
    );
    throw error;
  };

  // The adapter's screen of a call under the masking its decision implies: a reason to deny, or
  // undefined. A screen that throws denies (fail closed).
  const screen = (call: Call, profile: string | undefined): string | undefined => {
    if (adapter.screen === undefined) return undefined;
    try {
      return adapter.screen(call, shared.maskingFor(profile));
    } catch (err) {
      return `the request could not be checked against the masking rules (${err instanceof Error ? err.message : String(err)}); nothing ran`;
    }
  };

  // An engine that is not ours records its own decision: the screen can only refuse after it.
  const authorizeForeign = async (call: Call, input: AuthorizeInput): Promise<Authorization> => {
    const auth = await portcullis.authorize(input);
    const reason = screen(call, auth.mask);
    if (reason !== undefined) {
      // Nothing ran: a reserved grant goes back.
      await auth.reservation?.end('released');
      await refuseAfter(reason, input.session, auth.requestSeq);
    }
    return auth;
  };

  // This session's last plan and what it was keyed by (its principal is the session's): a
  // repeated request takes it without building and looking up its full key in the shared cache.
  let lastPlan: { readonly requestKey: string; readonly state: string; readonly plan: Plan } | undefined;

  // classify → decide, cached per plan key. A failure (classifier or evaluator threw) is not a
  // plan: the next request tries again.
  const planFor = (deps: EngineParts['deps'], input: AuthorizeInput, key: string): Plan => {
    let plan = shared.plans?.get(key);
    if (plan === undefined) {
      const decided = decideRequest(deps, input);
      if (decided.failure === undefined && shared.plans !== undefined) {
        // Every repeat of the request gets these objects (and a denial hands them to the
        // caller, in its error): frozen, so no caller can change what the next one is decided.
        plan = { decided: deepFreeze(decided) };
        shared.plans.set(key, plan);
      } else plan = { decided };
    }
    return plan;
  };

  // The plan's decision after the adapter's screen. Screened per call (it may read session
  // state), before approval: what the policy would allow under a masking profile it cannot be
  // run under is a denial, recorded as the decision.
  const screened = (deps: EngineParts['deps'], call: Call, plan: Plan): Decided => {
    const decided = plan.decided;
    const { decision } = decided;
    if (decided.failure !== undefined || decision.effect === 'deny') return decided;
    const reason = screen(call, decision.mask ?? deps.policy.masking.default);
    if (reason === undefined) return decided;
    return { actions: decided.actions, decision: screenedOut(decided, reason) };
  };

  const refuseAfter = async (
    reason: string,
    recording: SessionRecorder | undefined,
    requestSeq: number | undefined,
  ): Promise<never> => {
    const error = new DeniedError(
      `a request on ${target} is denied: ${reason}`,
      denyDecision(reason, [], false),
    );
    await recordStep(
      recording,
      'error',
      withRequestSeq(requestSeq, { code: error.code, message: error.message }),
      false,
    );
    throw error;
  };

  const runOne = async (
    call: Call,
    deliver: (value: Result) => void,
    fail: (error: unknown) => void,
  ): Promise<void> => {
    const gate = adapter.toRequest(call);
    const session = recorder !== undefined || noRecorder ? recorder : await recording();
    const input: Mutable<AuthorizeInput> = { principal, target, request: gate.request, review };
    if (gate.context !== undefined) input.context = gate.context;
    if (session !== undefined) input.session = session;
    if (adapter.reservesGrants === true) input.reserveGrant = true;
    if (gate.refuse !== undefined) await refuse(gate.refuse, input);
    let plan: Plan | undefined;
    let auth: Authorization | undefined;
    let seq: RequestSeqBox | undefined;
    if (parts === undefined) auth = await authorizeForeign(call, input);
    else {
      // An adapter's shorter key describes what the built-in classifiers read; another
      // classifier may read anything in the request, so its plans are keyed by all of it.
      const requestKey = gate.key !== undefined && builtIn ? gate.key : canonicalJson(gate.request);
      const state = gate.state ?? '';
      const last = lastPlan;
      if (last !== undefined && last.requestKey === requestKey && last.state === state) plan = last.plan;
      else {
        plan = planFor(parts.deps, input, `${principalKey}\u0000${requestKey}\u0000${state}`);
        // Only a plan the cache keeps: a failure is tried again by the next request.
        if (plan.decided.failure === undefined && shared.plans !== undefined)
          lastPlan = { requestKey, state, plan };
      }
      const decided = screened(parts.deps, call, plan);
      if (session instanceof LaterRecording) {
        const later = authorizeLater(parts.deps, input, decided, session);
        if (later !== undefined) ({ auth, seq } = later);
      } else auth = authorizeAtOnce(parts.deps, input, decided);
      auth ??= await authorizeDecided(parts.deps, input, decided);
    }
    seq ??= auth.requestSeq === undefined ? {} : { requestSeq: auth.requestSeq };
    await prepareAndRun(auth, plan, session, seq, gate, call, deliver, fail);
  };

  const prepareAndRun = async (
    auth: Authorization,
    plan: Plan | undefined,
    session: SessionRecorder | undefined,
    seq: RequestSeqBox,
    gate: GateRequest,
    call: Call,
    deliver: (value: Result) => void,
    fail: (error: unknown) => void,
  ): Promise<void> => {
    let run: RequestRun<Effects>;
    let executing: Promise<Raw>;
    try {
      const cached = plan?.masking;
      let masking = cached !== undefined && cached.profile === auth.mask ? cached.plan : undefined;
      if (masking === undefined) {
        masking = shared.maskingFor(auth.mask);
        if (plan !== undefined) plan.masking = { profile: auth.mask, plan: masking };
      }
      let effects = plan?.effects;
      if (effects === undefined) {
        effects = { value: adapter.effects?.(gate.request, gate.context) };
        if (plan !== undefined) plan.effects = effects;
      }
      // The execution's span: codes and counts only (see Telemetry).
      const execution = startExecution(portcullis, target, auth);
      run = new RequestRun<Effects>(
        runParts(session),
        gate.request,
        auth,
        seq,
        effects.value as Effects,
        masking,
        execution,
      );
    } catch (err) {
      // Until execute has it, a reserved grant is this runtime's: nothing ran, so release it.
      await auth.reservation?.end('released');
      throw err;
    }
    const started = performance.now();
    const required = auth.decision.recordingRequired;
    running.set(run, started + shared.caps.maxDurationMs);
    if (deadlines === undefined)
      deadlines = setTimeout(expireDue, Math.min(shared.caps.maxDurationMs, LONGEST_TIMER_MS));
    else if (running.size === 1) deadlines.ref();

    let value: Result;
    let record: GateResultRecord;
    try {
      executing = adapter.execute(call, run);
      // The caller hears of a stop at once; the queue moves on only once the executor has
      // stopped.
      let raw: Raw;
      try {
        raw = await RequestRun.until(run, executing);
      } catch (err) {
        if (run.stopped) {
          const safe = run.safeError(err);
          await recordOptional(session, 'error', seq, { code: codeOf(safe), message: safe.message });
          fail(safe);
          await executing.then(noop, noop);
          RequestRun.finish(run, { error: codeOf(safe) });
          return;
        }
        throw err;
      }
      ({ value, record } = adapter.shape(raw, run));
    } catch (err) {
      const safe = err instanceof RecordingError ? err : run.safeError(err);
      await recordOptional(session, 'error', seq, { code: codeOf(safe), message: safe.message });
      RequestRun.finish(run, { error: codeOf(safe) });
      fail(safe);
      return;
    } finally {
      finished(run);
    }
    if (session !== undefined && !required) {
      await recordOptional(session, 'result', seq, resultData(record, shared.resultRows, started));
    } else if (session !== undefined) {
      try {
        await recordStep(
          session,
          'result',
          withRequestSeq(seq.requestSeq, resultData(record, shared.resultRows, started)),
          true,
        );
      } catch (cause) {
        const error = new RecordingError(
          `the request ran on ${target} but its result could not be recorded, which the policy requires; the result is withheld`,
          { cause },
        );
        RequestRun.finish(run, { error: codeOf(error) });
        fail(error);
        return;
      }
    }
    RequestRun.finish(run, record.rowCount === undefined ? {} : { rows: record.rowCount });
    deliver(value);
  };

  const session: GateSession<Call, Result> = {
    principal,
    target,
    get ended() {
      return ended;
    },
    run(call: Call, options?: GateRunOptions): Promise<Result> {
      if (ended) return Promise.reject(new TypeError('this session has ended'));
      const order = options?.queue ?? queue;
      return new Promise<Result>((resolve, reject) => {
        order.enqueue(() => runOne(call, resolve, reject)).catch(reject);
      });
    },
    enqueue<T>(task: () => Promise<T>): Promise<T> {
      if (ended) return Promise.reject(new TypeError('this session has ended'));
      return queue.enqueue(task);
    },
    async note(code: string, message: string): Promise<void> {
      await recordStep(recorder, 'error', { code, message }, false);
    },
    end(beforeEnd?: () => Promise<void> | void): Promise<void> {
      endPromise ??= (async () => {
        ended = true;
        await queue.idle();
        try {
          await beforeEnd?.();
        } finally {
          for (const run of [...running.keys()])
            RequestRun.stop(run, new TypeError('the session ended while the request ran'));
          if (recorder !== undefined) await recorder.end({ reason: 'ended' });
        }
      })();
      return endPromise;
    },
  };
  return Object.freeze(session);
}

/** The decision of a request the adapter's screen refused: every action denied for `reason`. */
function screenedOut(decided: Decided, reason: string): Decision {
  return denyDecision(reason, decided.actions, decided.decision.recordingRequired);
}

/** `T` with its members writable, for building a frozen-to-be object member by member. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const silentExecution: ExecutionSpan = Object.freeze({ end: noop });

/** The engine's execution span for an authorised request; a silent one when telemetry fails. */
function startExecution(portcullis: Portcullis, target: string, auth: Authorization): ExecutionSpan {
  try {
    const telemetry = (portcullis as Partial<Portcullis>).telemetry;
    if (telemetry === undefined) return silentExecution;
    const protocol = portcullis.policy.targets.get(target)?.protocol;
    return telemetry.startExecution({
      target,
      ...(protocol === undefined ? {} : { protocol }),
      decision: auth.decision,
    });
  } catch {
    return silentExecution;
  }
}

function codeOf(error: Error): string {
  const raw = (error as { code?: unknown }).code;
  return typeof raw === 'string' ? raw : error.name;
}

/**
 * Records an event of a request whose recording is not required, never failing: later, in order
 * ({@link LaterRecording}), when the session can; at once otherwise. The event is made later from
 * a copy of `data` taken now, since what it holds (a result's rows) is the caller's to change
 * once delivered; data that cannot be copied cheaply (values that are objects) is recorded at once.
 */
function recordOptional(
  session: SessionRecorder | undefined,
  type: 'result' | 'error',
  seq: RequestSeqBox,
  data: Record<string, unknown>,
): Promise<unknown> | undefined {
  if (session === undefined) return undefined;
  if (!(session instanceof LaterRecording))
    return recordStep(session, type, withRequestSeq(seq.requestSeq, data), false);
  const kept = flatCopy(data, 3);
  session.later((inner) => {
    LaterRecording.optional(inner, type, withRequestSeq(seq.requestSeq, kept ?? data));
  });
  if (kept === undefined) LaterRecording.drain(session);
  return undefined;
}

/**
 * A copy of `value` that shares no object with it: primitives as they are, arrays and plain
 * objects copied member by member, `depth` levels down; `undefined` when it holds anything else
 * (a Date, a Buffer, a class instance, objects deeper than `depth`).
 */
function flatCopy(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return typeof value === 'function' ? undefined : value;
  if (depth === 0) return undefined;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const kept = typeof item === 'object' && item !== null ? flatCopy(item, depth - 1) : item;
      if (kept === undefined && item !== undefined) return undefined;
      copy[i] = kept;
    }
    return copy;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item: unknown = (value as Record<string, unknown>)[key];
    const kept = typeof item === 'object' && item !== null ? flatCopy(item, depth - 1) : item;
    if (kept === undefined && item !== undefined) return undefined;
    if (key === '__proto__')
      Object.defineProperty(copy, key, { value: kept, enumerable: true, writable: true, configurable: true });
    else copy[key] = kept;
  }
  return copy;
}

function resultData(record: GateResultRecord, resultRows: number, started: number): Record<string, unknown> {
  let body: unknown = record.body;
  let truncated = record.truncated ?? false;
  if (Array.isArray(body)) {
    if (resultRows === 0) {
      truncated ||= body.length > 0 || (record.rowCount ?? 0) > 0;
      body = undefined;
    } else if (body.length > resultRows) {
      body = body.slice(0, resultRows);
      truncated = true;
    }
  }
  // Member by member: see withRequestSeq.
  const data: Record<string, unknown> = {};
  if (record.summary !== undefined) data['summary'] = record.summary;
  if (record.rowCount !== undefined) data['rowCount'] = record.rowCount;
  if (record.exitCode !== undefined) data['exitCode'] = record.exitCode;
  if (record.signal !== undefined) data['signal'] = record.signal;
  if (body !== undefined) data['body'] = body;
  data['truncated'] = truncated;
  if (record.masked !== undefined) data['masked'] = record.masked;
  data['durationMs'] = Math.round((performance.now() - started) * 1000) / 1000;
  return data;
}
