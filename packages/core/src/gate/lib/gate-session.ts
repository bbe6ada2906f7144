// One principal's gate session: the ordered queue and the step pipeline, as closures over
// private state (nothing to patch on a shared prototype, no internal hook on the object).
import type { LruCache } from '../../classify/sql/cache.js';
import { classifyRequest } from '../../classify/classify.js';
import { authorizeDecided } from '../../engine/authorize.js';
import { decideRequest, type Decided } from '../../engine/decide-request.js';
import type { EngineParts } from '../../engine/engine-registry.js';
import { recordStep } from '../../engine/record-step.js';
import type { Authorization, AuthorizeInput, Portcullis, ReviewOptions } from '../../engine/types.js';
import { DeniedError, RecordingError } from '../../errors.js';
import type { Decision, Principal, SessionRecorder } from '../../types.js';
import { canonicalJson } from '../../record/canonical-json.js';
import { createGateQueue } from '../queue.js';
import { capError, createCapMeter } from '../result-caps.js';
import { toSafeError } from '../safe-error.js';
import type {
  GateAdapter,
  GateRequest,
  GateResultRecord,
  GateRun,
  GateRunOptions,
  GateSession,
  MaskingPlan,
  ResultCaps,
} from '../types.js';
import type { ExecutionSpan } from '../../telemetry/telemetry.js';
import { countingPlan } from './counting-plan.js';
import { createGateOutput } from './gate-output.js';

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
  // The stop functions of the requests running now, for end().
  const running = new Set<(reason: Error) => void>();
  let ended = false;
  let endPromise: Promise<void> | undefined;
  let recorder: SessionRecorder | undefined;
  let noRecorder = parts !== undefined && !parts.recorder;
  let recordingStarted = 0;

  // Started at the first request, and only when the engine has a recorder. A failure to start
  // is retried by the next request; the engine denies whatever requires recording meanwhile.
  const recording = async (): Promise<SessionRecorder | undefined> => {
    if (recorder !== undefined || noRecorder) return recorder;
    try {
      recorder = await portcullis.startSession(principal, target);
    } catch {
      return undefined;
    }
    if (recorder === undefined) noRecorder = true;
    else recordingStarted = performance.now();
    return recorder;
  };

  const refuse = async (reason: string, input: AuthorizeInput): Promise<never> => {
    const action = { operation: 'unknown' } as const;
    const decision: Decision = {
      effect: 'deny',
      rules: [],
      reasons: [reason],
      actions: [{ action, effect: 'deny', rules: [], reasons: [reason] }],
      recordingRequired: false,
    };
    const error = new DeniedError(`a request on ${target} is denied: ${reason}`, decision);
    const requestSeq = (
      await recordStep(input.session, 'request', { request: input.request, actions: [action] }, false)
    )?.seq;
    const seq = requestSeq === undefined ? {} : { requestSeq };
    await recordStep(input.session, 'decision', { ...seq, ...decision }, false);
    await recordStep(input.session, 'error', { ...seq, code: error.code, message: error.message }, false);
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

  // classify → decide (cached plan) → screen → approve → record request/decision/approval.
  const authorize = async (
    call: Call,
    input: AuthorizeInput,
    key: string,
  ): Promise<{ readonly auth: Authorization; readonly plan: Plan | undefined }> => {
    if (parts === undefined) {
      // An engine that is not ours records its own decision: the screen can only refuse after it.
      const auth = await portcullis.authorize(input);
      const reason = screen(call, auth.mask);
      if (reason !== undefined) {
        // Nothing ran: a reserved grant goes back.
        await auth.reservation?.end('released');
        await refuseAfter(reason, input.session, auth.requestSeq);
      }
      return { auth, plan: undefined };
    }
    let plan = shared.plans?.get(key);
    if (plan === undefined) {
      const decided = decideRequest(parts.deps, input);
      plan = { decided };
      // A failure (classifier or evaluator threw) is not a plan: the next request tries again.
      if (decided.failure === undefined) shared.plans?.set(key, plan);
    }
    let decided = plan.decided;
    const { decision } = decided;
    if (decided.failure === undefined && decision.effect !== 'deny') {
      // Screened per call (it may read session state), before approval: what the policy would
      // allow under a masking profile it cannot be run under is a denial, recorded as the decision.
      const reason = screen(call, decision.mask ?? parts.deps.policy.masking.default);
      if (reason !== undefined)
        decided = { actions: decided.actions, decision: screenedOut(decided, reason) };
    }
    return { auth: await authorizeDecided(parts.deps, input, decided), plan };
  };

  const refuseAfter = async (
    reason: string,
    recording: SessionRecorder | undefined,
    requestSeq: number | undefined,
  ): Promise<never> => {
    const decision: Decision = {
      effect: 'deny',
      rules: [],
      reasons: [reason],
      actions: [],
      recordingRequired: false,
    };
    const error = new DeniedError(`a request on ${target} is denied: ${reason}`, decision);
    const seq = requestSeq === undefined ? {} : { requestSeq };
    await recordStep(recording, 'error', { ...seq, code: error.code, message: error.message }, false);
    throw error;
  };

  const runOne = async (
    call: Call,
    deliver: (value: Result) => void,
    fail: (error: unknown) => void,
  ): Promise<void> => {
    const gate = adapter.toRequest(call);
    const session = await recording();
    const input: AuthorizeInput = {
      principal,
      target,
      request: gate.request,
      ...(gate.context === undefined ? {} : { context: gate.context }),
      ...(session === undefined ? {} : { session }),
      review,
      ...(adapter.reservesGrants === true ? { reserveGrant: true } : {}),
    };
    if (gate.refuse !== undefined) await refuse(gate.refuse, input);
    // An adapter's shorter key describes what the built-in classifiers read; another classifier
    // may read anything in the request, so its plans are keyed by all of it.
    const requestKey = gate.key !== undefined && builtIn ? gate.key : canonicalJson(gate.request);
    const key = `${principalKey}\u0000${requestKey}\u0000${gate.state ?? ''}`;
    const { auth, plan } = await authorize(call, input, key);
    try {
      await prepareAndRun(auth, plan, session, gate, call, deliver, fail);
    } catch (err) {
      // Until execute has it, a reserved grant is this runtime's: nothing ran, so release it.
      if (!handedOver.has(auth)) await auth.reservation?.end('released');
      throw err;
    }
  };

  // Execute's runs that were handed a reservation (ending it is then the adapter's job).
  const handedOver = new WeakSet<Authorization>();

  const prepareAndRun = async (
    auth: Authorization,
    plan: Plan | undefined,
    session: SessionRecorder | undefined,
    gate: GateRequest,
    call: Call,
    deliver: (value: Result) => void,
    fail: (error: unknown) => void,
  ): Promise<void> => {
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

    const required = auth.decision.recordingRequired;
    const seq = auth.requestSeq === undefined ? {} : { requestSeq: auth.requestSeq };
    const started = performance.now();
    // The execution's span: codes and counts only (see Telemetry). Everything this request
    // masks goes through `counted`, which tallies the values masked by detector for it.
    const execution = startExecution(portcullis, target, auth);
    const tally = new Map<string, number>();
    const counted = countingPlan(masking, (label) => {
      tally.set(label, (tally.get(label) ?? 0) + 1);
    });
    const finish = (outcome: { readonly error?: string; readonly rows?: number }): void => {
      try {
        execution.end({ ...outcome, findings: Object.fromEntries(tally) });
      } catch {
        // Telemetry is an observer: it never changes what the caller gets.
      }
    };
    const fails = (cap: 'maxRows' | 'maxBytes' | 'maxDurationMs'): Error =>
      capError(cap, shared.caps, target, shared.hint);
    const meter = createCapMeter(shared.caps, fails);
    // Stopping (the deadline, or the session's end) without an AbortController per request:
    // one is made only if the executor reads run.signal.
    let stopReason: Error | undefined;
    let controller: AbortController | undefined;
    let listeners: ((reason: Error) => void)[] | undefined;
    let rejectRun: ((reason: Error) => void) | undefined;
    const stop = (reason: Error): void => {
      if (stopReason !== undefined) return;
      stopReason = reason;
      running.delete(stop);
      controller?.abort(reason);
      for (const listener of listeners?.splice(0) ?? []) {
        try {
          listener(reason);
        } catch {
          // an executor's listener failing must not keep the others from stopping their work
        }
      }
      rejectRun?.(reason);
    };
    running.add(stop);
    const timer = setTimeout(() => {
      stop(fails('maxDurationMs'));
    }, shared.caps.maxDurationMs);
    const maskText = (text: string): string => counted.text(text);
    const safeError = (error: unknown): Error =>
      toSafeError(error, maskText, target, adapter.safeError?.bind(adapter));
    const run: GateRun<Effects> = Object.freeze({
      principal,
      target,
      request: gate.request,
      authorization: auth,
      effects: effects.value as Effects,
      masking: counted,
      caps: shared.caps,
      get signal(): AbortSignal {
        if (controller === undefined) {
          controller = new AbortController();
          if (stopReason !== undefined) controller.abort(stopReason);
        }
        return controller.signal;
      },
      onStop(listener: (reason: Error) => void): () => void {
        if (stopReason !== undefined) {
          listener(stopReason);
          return noop;
        }
        const list = (listeners ??= []);
        list.push(listener);
        return () => {
          const at = list.indexOf(listener);
          if (at >= 0) list.splice(at, 1);
        };
      },
      get stopped(): boolean {
        return stopReason !== undefined;
      },
      count: (rows: number, bytes: number) => {
        meter.count(rows, bytes);
      },
      output: (stream: string) =>
        createGateOutput({
          stream,
          plan: counted,
          count: (bytes) => {
            meter.count(0, bytes);
          },
          record: (data) => recordStep(session, 'output', { ...seq, ...data }, required).then(noop),
          elapsed: () => (performance.now() - recordingStarted) / 1000,
        }),
      safeError,
    });

    let value: Result;
    let record: GateResultRecord;
    try {
      handedOver.add(auth);
      const executing = adapter.execute(call, run);
      // The caller hears of a stop at once; the queue moves on only once the executor has
      // stopped.
      let raw: Raw;
      try {
        raw = await new Promise<Raw>((resolve, reject) => {
          rejectRun = reject;
          if (stopReason !== undefined) reject(stopReason);
          executing.then(resolve, reject);
        });
      } catch (err) {
        if (stopReason !== undefined) {
          const safe = safeError(err);
          await recordStep(session, 'error', { ...seq, code: codeOf(safe), message: safe.message }, false);
          fail(safe);
          await executing.then(noop, noop);
          finish({ error: codeOf(safe) });
          return;
        }
        throw err;
      }
      ({ value, record } = adapter.shape(raw, run));
    } catch (err) {
      const safe = err instanceof RecordingError ? err : safeError(err);
      await recordStep(session, 'error', { ...seq, code: codeOf(safe), message: safe.message }, false);
      finish({ error: codeOf(safe) });
      fail(safe);
      return;
    } finally {
      clearTimeout(timer);
      running.delete(stop);
    }
    try {
      await recordStep(session, 'result', resultData(seq, record, shared.resultRows, started), required);
    } catch (cause) {
      const error = new RecordingError(
        `the request ran on ${target} but its result could not be recorded, which the policy requires; the result is withheld`,
        { cause },
      );
      finish({ error: codeOf(error) });
      fail(error);
      return;
    }
    finish(record.rowCount === undefined ? {} : { rows: record.rowCount });
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
          for (const stopOne of [...running])
            stopOne(new TypeError('the session ended while the request ran'));
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
  return {
    effect: 'deny',
    rules: [],
    reasons: [reason],
    actions: decided.actions.map((action) => ({ action, effect: 'deny', rules: [], reasons: [reason] })),
    recordingRequired: decided.decision.recordingRequired,
  };
}

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

function resultData(
  seq: { readonly requestSeq?: number },
  record: GateResultRecord,
  resultRows: number,
  started: number,
): Record<string, unknown> {
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
  return {
    ...seq,
    ...(record.summary === undefined ? {} : { summary: record.summary }),
    ...(record.rowCount === undefined ? {} : { rowCount: record.rowCount }),
    ...(record.exitCode === undefined ? {} : { exitCode: record.exitCode }),
    ...(record.signal === undefined ? {} : { signal: record.signal }),
    ...(body === undefined ? {} : { body }),
    truncated,
    ...(record.masked === undefined ? {} : { masked: record.masked }),
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
  };
}
