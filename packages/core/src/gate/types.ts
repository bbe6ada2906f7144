/**
 * Public types of the gate runtime: what an adapter supplies ({@link GateAdapter}) and what it
 * gets ({@link Gate}, {@link GateSession}, {@link GateRun}). docs/gate-runtime.md walks through
 * building an adapter on them.
 *
 * @packageDocumentation
 */
import type { Authorization, Portcullis, ReviewOptions } from '../engine/types.js';
import type { Masker, MaskValueContext } from '../mask/types.js';
import type { ResultEventData } from '../record/event-data.js';
import type { ClassifyContext, Principal, PrincipalInput, Request } from '../types.js';

/**
 * Limits on what one request may return, enforced while the result streams in, so an
 * enormous result is cut off rather than held in memory. Passing one stops the request with a
 * `ResultTooLargeError` (`ERR_RESULT_TOO_LARGE`) naming the cap.
 */
export interface ResultCaps {
  /** Rows (or items) one request may return. Default 1 000 000. */
  readonly maxRows: number;
  /** Bytes of result data (cell text, output bytes) one request may return. Default 256 MiB. */
  readonly maxBytes: number;
  /** How long one request may run once it is allowed, in ms. Default 600 000 (10 minutes). */
  readonly maxDurationMs: number;
}

/**
 * What the adapter's toRequest says about one call: the request the policy decides on, and
 * what classification depends on besides it.
 */
export interface GateRequest {
  /** The request exactly as it goes to the target (what is classified, approved and recorded). */
  readonly request: Request;
  /** What the session knows that classification reads (SQL prepared statements). */
  readonly context?: ClassifyContext;
  /**
   * A string that identifies `context` by its content (not by a per-session counter: plans are
   * shared by every session of the gate for the same principal). Part of the plan-cache key.
   * Default: empty (no context).
   */
  readonly state?: string;
  /**
   * What identifies the request for classification; part of the plan-cache key. Default: the
   * canonical JSON of `request`. An adapter whose classifier ignores some of the request (SQL
   * parameter values) may leave it out here, keeping its shape (`sql + '\0' + params.length`).
   * Used only with the built-in classifier: with an engine given its own `classify`, plans are
   * keyed by the whole request.
   */
  readonly key?: string;
  /**
   * When set, the request is refused without deciding: a denial with this reason is recorded and
   * thrown (`DeniedError`), and nothing runs. For calls the adapter itself can tell are unsafe
   * (a statement name it does not know).
   */
  readonly refuse?: string;
}

/** One column of a result shape (a RowDescription), for {@link MaskingPlan.columns}. */
export interface GateColumn {
  /** The name the value sits under (object rows) or is described as (array rows). */
  readonly name: string;
  /** `schema.table.column` when the value comes straight from a table column. */
  readonly source?: string;
  /**
   * Whether the column's type can carry text (default true). Columns that cannot (integers,
   * booleans, numerics, dates and times, uuids) skip content detection; a column rule that
   * names them still applies.
   */
  readonly text?: boolean;
}

/** One result shape's masking, with every column's rule resolved once (see {@link MaskingPlan.columns}). */
export interface ColumnMasking {
  /** The columns as given. */
  readonly columns: readonly GateColumn[];
  /** Masks the value of column `index`. Repeated values are masked once per result. */
  value(index: number, value: unknown): unknown;
  /**
   * Masks one row: an array in column order, or an object by column name (a repeated name takes
   * its last column, as `pg` keeps the last value). Returns a new row; never changes `row`.
   */
  row<R>(row: R): R;
  /**
   * Masks a row the caller owns, in place, and returns it: for a row a driver has just built
   * from this shape (an array in column order, or an object whose own keys are exactly the
   * columns' names), where a copy would only add garbage. Values it cannot mask are replaced
   * as {@link ColumnMasking.row} would replace them. An object key no column names is masked by
   * content, as `row` masks it.
   */
  rowInPlace<R>(row: R): R;
  /** How many values this result's masking has replaced so far. */
  readonly masked: number;
}

/**
 * Streaming masking of one output stream: secrets split across chunks are still found, because
 * the end of each chunk that could start a secret is held back until the next chunk (or the end).
 */
export interface GateOutput {
  /**
   * Masks a chunk (bytes are UTF-8, split characters are kept for the next chunk), counts its
   * bytes against `maxBytes`, and records the masked text as an `output` event with the stream
   * name and elapsed time. Resolves with the masked text that may be shown now (possibly empty).
   *
   * @throws ResultTooLargeError past `maxBytes`; RecordingError when recording is required and
   * fails (show nothing then).
   */
  write(chunk: string | Uint8Array): Promise<string>;
  /** Emits (and records) what can no longer be part of a secret, for interactive streams that pause. */
  idle(): Promise<string>;
  /** Ends the stream: the held-back rest, masked and recorded. */
  end(): Promise<string>;
}

/**
 * The masking for one decision's profile, built once per plan. Results, output, notices and
 * error texts of a request all go through the same plan.
 */
export interface MaskingPlan {
  /** The compiled masker of the profile (see `maskerFor`). */
  readonly masker: Masker;
  /** Masks free text (error messages, notices, headers). */
  text(text: string): string;
  /** Masks one value; with a context, column and field rules apply. */
  value(value: unknown, context?: MaskValueContext): unknown;
  /** Masks a parsed JSON document (field rules, Kubernetes Secrets, content detection). */
  json(document: unknown): unknown;
  /** A masking for one result shape: call once per RowDescription, then mask each row with it. */
  columns(columns: readonly GateColumn[]): ColumnMasking;
  /** A fresh streaming masker (no recording, no caps): for text the adapter streams itself. */
  stream(): { write(text: string): string; idle(): string; end(): string };
}

/**
 * Everything one allowed request's executor and shaper may use. Valid until the run settles.
 */
export interface GateRun<Effects = undefined> {
  readonly principal: Principal;
  readonly target: string;
  /** The request as toRequest gave it. */
  readonly request: Request;
  /** What the engine returned: decision, actions, masking profile, approval used, request seq. */
  readonly authorization: Authorization;
  /** The adapter's `effects(request, context)` for this plan, computed once and cached. */
  readonly effects: Effects;
  /** The masking plan of the decision's profile. */
  readonly masking: MaskingPlan;
  /** The caps in force for this request. */
  readonly caps: ResultCaps;
  /**
   * Aborts when the request passes `maxDurationMs` (its reason is the `ResultTooLargeError`) or
   * the session is ended. The executor must stop the driver's work when it fires.
   */
  readonly signal: AbortSignal;
  /**
   * Calls `listener` once when the request is stopped (past `maxDurationMs`, or the session
   * ended), with the same reason `signal` carries — at once if it already is. Returns a function
   * that removes the listener. A cheaper way than `signal` for an executor on a hot path: the
   * signal is only made when read.
   */
  onStop(listener: (reason: Error) => void): () => void;
  /** Whether the request has been stopped (see {@link GateRun.onStop}). */
  readonly stopped: boolean;
  /**
   * Counts rows and bytes of the result as they arrive, before they are kept.
   *
   * @throws ResultTooLargeError once `maxRows` or `maxBytes` is passed (stop reading then).
   */
  count(rows: number, bytes: number): void;
  /** A masked, recorded, capped output stream named `stream` (`stdout`, `stderr`, `stdin`, `body`, …). */
  output(stream: string): GateOutput;
  /**
   * Masks an error for the caller with this request's plan (the adapter's `safeError`, else the
   * runtime's generic one). The runtime does this itself for anything execute or shape throws.
   */
  safeError(error: unknown): Error;
}

/**
 * What the shaper says about a result, for the `result` event: every field of
 * `ResultEventData` but the ones the runtime fills in (`requestSeq`, `durationMs`), each
 * optional. An array `body` is cut to `resultRows` items by the runtime (then `truncated` is set).
 */
export type GateResultRecord = Partial<Omit<ResultEventData, 'requestSeq' | 'durationMs'>>;

/** A shaped result: what the caller gets and what the recording keeps. */
export interface GateShaped<Result> {
  readonly value: Result;
  readonly record: GateResultRecord;
}

/**
 * What an adapter supplies. The runtime calls, for each request: `toRequest` (in queue order),
 * decides (cached plan) and approves, then `execute` (the only code that touches the driver),
 * then `shape`, and records each step. Anything execute or shape throws is made safe
 * (`safeError`), recorded and rethrown.
 *
 * @typeParam Call - the adapter's normalised call (its own union of call shapes).
 * @typeParam Raw - what `execute` resolves with.
 * @typeParam Result - what the caller gets.
 * @typeParam Effects - what `effects` computes per plan (session-state changes); `undefined` when unused.
 */
export interface GateAdapter<Call, Raw, Result, Effects = undefined> {
  /**
   * The request a call makes, with the session state classification depends on. Called when the
   * call's turn comes (so it sees the state earlier requests left). Pure; a throw fails the call.
   */
  toRequest(call: Call): GateRequest;
  /**
   * Session-state changes the request makes if it runs (for SQL: `PREPARE`, `DEALLOCATE`),
   * computed once per plan alongside the decision and handed to execute as `run.effects`.
   */
  effects?(request: Request, context: ClassifyContext | undefined): Effects;
  /**
   * A denial the decision implies for this call that only the adapter can see (SQL column rules:
   * a protected column read where its rule does not allow it). Called after the policy decided
   * `allow` or `review` and before any approval is sought or anything runs, with the masking plan
   * of the decision's profile. A reason denies the request: it is recorded as the request's
   * decision (`deny`, with the reason) and thrown as a `DeniedError`; a throw denies too. Pure;
   * called for every request (it may read session state), never cached.
   */
  screen?(call: Call, masking: MaskingPlan): string | undefined;
  /**
   * Runs the allowed request on the driver. Must count rows/bytes as they arrive
   * (`run.count`), stream output through `run.output`, and stop when `run.signal` aborts.
   */
  execute(call: Call, run: GateRun<Effects>): Promise<Raw>;
  /** Turns the driver's result into the caller's (masked with `run.masking`) and its record. */
  shape(raw: Raw, run: GateRun<Effects>): GateShaped<Result>;
  /**
   * Driver-specific safe errors: return an error holding only masked text (`mask`) for errors
   * this driver raises, or `undefined` to use the runtime's generic conversion.
   */
  safeError?(error: unknown, mask: (text: string) => string, target: string): Error | undefined;
  /** How the caps are raised in this adapter's options, for the cap error's message. */
  readonly capsHint?: string;
  /**
   * True for an adapter whose requests can run inside a transaction that may roll back (SQL):
   * a `once` grant a request uses is then reserved (`run.authorization.reservation`), and the
   * adapter must end every reservation its `execute` is handed — `consumed` once the
   * transaction committed or may have, `released` when it certainly did not. The runtime
   * releases it itself when the request fails before `execute` is called.
   */
  readonly reservesGrants?: boolean;
}

/** Options of {@link createGate}. */
export interface GateOptions<Call, Raw, Result, Effects = undefined> {
  /** The engine. */
  readonly portcullis: Portcullis;
  /** The policy's target name; its protocol is checked by the adapter. */
  readonly target: string;
  readonly adapter: GateAdapter<Call, Raw, Result, Effects>;
  /** Caps for every request (each field defaults, see {@link ResultCaps}). */
  readonly caps?: Partial<ResultCaps>;
  /** The default review mode of sessions (default `{ mode: 'defer' }`). */
  readonly review?: ReviewOptions;
  /** The `hash` masking style's key. */
  readonly hashKey?: string | Uint8Array;
  /** How many items of an array body a `result` event keeps (default 100; 0: summary only). */
  readonly resultRows?: number;
  /** How many plans the plan cache keeps (default 1000; 0 disables it). */
  readonly planCacheSize?: number;
}

/** Per-run options of {@link GateSession.run}. */
export interface GateRunOptions {
  /**
   * The queue that orders this run (default: the session's). A transaction passes its own
   * queue for the statements inside it while the session's queue waits for the transaction.
   */
  readonly queue?: GateQueue;
}

/** A first-in first-out queue of async tasks: each starts when the previous one settled. */
export interface GateQueue {
  /** Runs `task` after every task enqueued before it has settled; resolves or rejects as it does. */
  enqueue<T>(task: () => Promise<T>): Promise<T>;
  /** Settles once every task enqueued so far has settled; never rejects. */
  idle(): Promise<void>;
}

/**
 * One principal's session on the target. Requests run one at a time in call order, even while
 * one waits for approval. Keep it inside the adapter: hand callers a facade of frozen closures.
 */
export interface GateSession<Call, Result> {
  /** Who the session acts for (a frozen copy). */
  readonly principal: Principal;
  readonly target: string;
  /** Whether `end()` was called. */
  readonly ended: boolean;
  /**
   * classify → decide → approve → execute → mask → record one call, in queue order.
   *
   * @throws TypeError once the session has ended; DeniedError, ReviewRequiredError,
   * ResultTooLargeError, RecordingError, or the adapter's safe error.
   */
  run(call: Call, options?: GateRunOptions): Promise<Result>;
  /** Runs adapter work (opening a transaction, closing state) in the session's order. */
  enqueue<T>(task: () => Promise<T>): Promise<T>;
  /**
   * Records an event the adapter observed outside a request (a connection destroyed by a
   * backstop). Best effort: never throws. Keep it off the facade.
   */
  note(code: string, message: string): Promise<void>;
  /**
   * Ends the session: later runs throw; waits for queued work; writes `session.end` when a
   * recording was started. `beforeEnd` runs after the queue drained (release connections).
   */
  end(beforeEnd?: () => Promise<void> | void): Promise<void>;
}

/** Options of {@link Gate.open}. */
export interface GateSessionOptions {
  /** This session's review mode (default: the gate's). */
  readonly review?: ReviewOptions;
}

/** A gate: one adapter on one target, with the caches its sessions share. */
export interface Gate<Call, Result> {
  readonly target: string;
  readonly caps: ResultCaps;
  /**
   * A session for a principal the host has already authenticated; `kind` defaults to `human`.
   *
   * @throws TypeError when the principal has no subject, no groups list or an unknown kind.
   */
  open(principal: PrincipalInput, options?: GateSessionOptions): GateSession<Call, Result>;
  /** The masking plan for a decision's masking profile (see `maskerFor`). */
  maskingFor(profile: string | undefined): MaskingPlan;
}
