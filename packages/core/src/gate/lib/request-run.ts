// One allowed request's GateRun: what its executor and shaper may use. One object per request,
// its methods on a frozen prototype and its state in private fields, so a request makes no
// closure per member (the executor cannot reach the state, nor patch the methods).
import { LaterRecording, type RequestSeqBox, withRequestSeq } from '../../engine/later-recording.js';
import { recordStep } from '../../engine/record-step.js';
import type { Authorization } from '../../engine/types.js';
import type { Principal, Request, SessionRecorder } from '../../types.js';
import type { ExecutionSpan } from '../../telemetry/telemetry.js';
import { capError } from '../result-caps.js';
import { toSafeError } from '../safe-error.js';
import type { GateAdapter, GateOutput, GateRun, MaskingPlan, ResultCaps } from '../types.js';
import { countingPlan } from './counting-plan.js';
import { createGateOutput } from './gate-output.js';

const noop = (): void => undefined;

/** What a request's run needs from its session and gate. */
export interface RunParts {
  readonly principal: Principal;
  readonly target: string;
  readonly caps: ResultCaps;
  /** Where a cap error says to raise the cap. */
  readonly hint: string;
  readonly adapter: Pick<GateAdapter<never, unknown, unknown, unknown>, 'safeError'>;
  /** The session's recording (undefined without one) and when it started (performance.now()). */
  readonly session: SessionRecorder | undefined;
  readonly recordingStarted: number;
  /** The runs in progress (for the session's end) and their deadlines. */
  readonly running: Map<RequestRun<unknown>, number>;
}

/**
 * An allowed request in progress (see {@link GateRun}). The runtime stops it with
 * {@link RequestRun.stop} and waits for its executor with {@link RequestRun.until}.
 */
export class RequestRun<Effects> implements GateRun<Effects> {
  readonly principal: Principal;
  readonly target: string;
  readonly request: Request;
  readonly authorization: Authorization;
  readonly effects: Effects;
  readonly masking: MaskingPlan;
  readonly caps: ResultCaps;
  readonly #parts: RunParts;
  readonly #execution: ExecutionSpan;
  /** The request's `seq` in the recording (filled in when its events are recorded later). */
  readonly #record: RequestSeqBox;
  readonly #required: boolean;
  #findings: Map<string, number> | undefined;
  #rows = 0;
  #bytes = 0;
  #stopReason: Error | undefined;
  #controller: AbortController | undefined;
  #listeners: ((reason: Error) => void)[] | undefined;
  #reject: ((reason: Error) => void) | undefined;
  #ended = false;

  constructor(
    parts: RunParts,
    request: Request,
    auth: Authorization,
    seq: RequestSeqBox,
    effects: Effects,
    masking: MaskingPlan,
    execution: ExecutionSpan,
  ) {
    this.principal = parts.principal;
    this.target = parts.target;
    this.request = request;
    this.authorization = auth;
    this.effects = effects;
    this.caps = parts.caps;
    this.#parts = parts;
    this.#execution = execution;
    this.#record = seq;
    this.#required = auth.decision.recordingRequired;
    // Everything this request masks goes through the counting plan, which tallies the values
    // masked by detector for the execution's span.
    this.masking = countingPlan(masking, (label) => {
      const findings = (this.#findings ??= new Map<string, number>());
      findings.set(label, (findings.get(label) ?? 0) + 1);
    });
    // Its members are fixed (its private state still changes).
    Object.freeze(this);
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#stopReason !== undefined) this.#controller.abort(this.#stopReason);
    }
    return this.#controller.signal;
  }

  onStop(listener: (reason: Error) => void): () => void {
    if (this.#stopReason !== undefined) {
      listener(this.#stopReason);
      return noop;
    }
    const list = (this.#listeners ??= []);
    list.push(listener);
    return () => {
      const at = list.indexOf(listener);
      if (at >= 0) list.splice(at, 1);
    };
  }

  get stopped(): boolean {
    return this.#stopReason !== undefined;
  }

  count(rows: number, bytes: number): void {
    this.#rows += rows;
    this.#bytes += bytes;
    if (this.#rows > this.caps.maxRows) throw this.#capError('maxRows');
    if (this.#bytes > this.caps.maxBytes) throw this.#capError('maxBytes');
  }

  output(stream: string): GateOutput {
    const parts = this.#parts;
    const seq = this.#record;
    const required = this.#required;
    return createGateOutput({
      stream,
      plan: this.masking,
      count: (bytes) => {
        this.count(0, bytes);
      },
      record: (data) => {
        // What waits to be recorded goes first, which also tells this request's seq.
        if (parts.session instanceof LaterRecording) LaterRecording.drain(parts.session);
        return recordStep(parts.session, 'output', withRequestSeq(seq.requestSeq, data), required).then(noop);
      },
      elapsed: () => (performance.now() - parts.recordingStarted) / 1000,
    });
  }

  safeError(error: unknown): Error {
    const adapter = this.#parts.adapter;
    return toSafeError(
      error,
      (text) => this.masking.text(text),
      this.target,
      adapter.safeError?.bind(adapter),
    );
  }

  /** Ends the execution's span of `run` once (telemetry is an observer: never throws). */
  static finish(
    run: RequestRun<unknown>,
    outcome: { readonly error?: string; readonly rows?: number },
  ): void {
    if (run.#ended) return;
    run.#ended = true;
    try {
      const findings = run.#findings === undefined ? {} : Object.fromEntries(run.#findings);
      run.#execution.end(
        outcome.error !== undefined
          ? { error: outcome.error, findings }
          : outcome.rows !== undefined
            ? { rows: outcome.rows, findings }
            : { findings },
      );
    } catch {
      // Telemetry is an observer: it never changes what the caller gets.
    }
  }

  #capError(cap: 'maxRows' | 'maxBytes' | 'maxDurationMs'): Error {
    return capError(cap, this.caps, this.target, this.#parts.hint);
  }

  /**
   * Stops `run` (past `maxDurationMs`, or its session ended): its signal aborts, its stop
   * listeners hear `reason`, and {@link RequestRun.until} rejects with it at once.
   */
  static stop(run: RequestRun<unknown>, reason: Error): void {
    if (run.#stopReason !== undefined) return;
    run.#stopReason = reason;
    run.#parts.running.delete(run);
    run.#controller?.abort(reason);
    for (const listener of run.#listeners?.splice(0) ?? []) {
      try {
        listener(reason);
      } catch {
        // an executor's listener failing must not keep the others from stopping their work
      }
    }
    run.#reject?.(reason);
  }

  /** Stops `run` at its deadline (a timer's callback: no closure per request). */
  static expire(run: RequestRun<unknown>): void {
    RequestRun.stop(run, run.#capError('maxDurationMs'));
  }

  /**
   * What `executing` settles with, or the stop's reason as soon as `run` is stopped: the caller
   * hears of a stop at once, while the runtime still waits for the executor to stop.
   */
  static until<Raw>(run: RequestRun<unknown>, executing: Promise<Raw>): Promise<Raw> {
    return new Promise<Raw>((resolve, reject) => {
      run.#reject = reject;
      if (run.#stopReason !== undefined) reject(run.#stopReason);
      executing.then(resolve, reject);
    });
  }
}
Object.freeze(RequestRun.prototype);
