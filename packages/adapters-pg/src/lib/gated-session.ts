import {
  DeniedError,
  RecordingError,
  type Action,
  type Authorization,
  type Decision,
  type Principal,
  type SessionRecorder,
  type SqlRequest,
} from '@portcullis/core';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { PoolClient, QueryConfig } from 'pg';
import type { CursorCall, PgCall, QueryCall, StreamCall } from '../internal-types.js';
import { sqlRequestOf, toRequest } from '../to-request.js';
import type {
  GatedNotice,
  GatedQueryResult,
  GatedReviewOptions,
  GatedSession,
  GatedTransaction,
} from '../types.js';
import { openCursor, type CursorHandle } from './gated-cursor.js';
import type { Masking } from './masking.js';
import type { BypassListener, PoolContext } from './pool-context.js';
import { runInternal } from './run-internal.js';
import { RAW_TEXT, shapeResult, type RawResult } from './shape-result.js';
import { toSafeError } from './safe-error.js';
import { bypassOf, issueTickets, queryTickets, revokeTickets, transactionStatus } from './wire-guard.js';

// Operations after which table and column names may have changed.
const DDL = new Set(['create', 'alter', 'drop', 'truncate', 'unknown', 'do', 'call', 'function']);

const noop = (): void => undefined;

/**
 * Which session's transaction the current async context runs in: a query on the session itself
 * from inside `transaction(work)` would wait for the transaction to end, forever.
 */
const inTransaction = new AsyncLocalStorage<{ readonly session: object; readonly open: () => boolean }>();

/** Private: only the gated pool may create sessions. */
export const SESSION_KEY = Symbol('gated-session');

/** The per-request pieces every step needs. */
interface Step {
  readonly request: SqlRequest;
  readonly auth: Authorization;
  readonly masking: Masking;
  readonly recorder: SessionRecorder | undefined;
  readonly started: number;
}

/**
 * One principal's session (see {@link GatedSession}). Its state sits in private fields; the
 * only way in is its methods, and what they return is plain data.
 */
export class GatedSessionImpl implements GatedSession, BypassListener {
  readonly #ctx: PoolContext;
  readonly #principal: Principal;
  readonly #review: GatedReviewOptions;
  #tail: Promise<unknown> = Promise.resolve();
  #recorder: SessionRecorder | undefined;
  #ended = false;
  #endPromise: Promise<void> | undefined;
  /** Protocol-level named statements this session prepared: name → text. */
  readonly #named = new Map<string, string>();
  /** SQL-level `PREPARE`d statements: name → actions (the classifier's context). */
  readonly #prepared = new Map<string, readonly Action[]>();
  /** The connection kept for this session while it holds server-side state. */
  #pinned: PoolClient | undefined;
  readonly #noticeListeners = new Set<(notice: GatedNotice) => void>();

  constructor(key: symbol, ctx: PoolContext, principal: Principal, review: GatedReviewOptions) {
    if (key !== SESSION_KEY)
      throw new TypeError('create sessions with gatedPool.as() or gatedPool.withToken()');
    this.#ctx = ctx;
    // A deep copy: the caller's arrays (groups, actors) must not change who this session is.
    this.#principal = Object.freeze({
      ...principal,
      groups: Object.freeze([...principal.groups]),
      ...(principal.actorChain === undefined ? {} : { actorChain: Object.freeze([...principal.actorChain]) }),
    });
    this.#review = review;
  }

  get principal(): Principal {
    return this.#principal;
  }

  query(config: unknown, values?: unknown, callback?: unknown): never {
    const call = toRequest(config, values, callback);
    if (this.#ended) throw new TypeError('this session has ended');
    this.#assertNotInOwnTransaction();
    return this.#dispatch(call, (task) => this.#enqueue(task), undefined) as never;
  }

  transaction<T>(work: (tx: GatedTransaction) => Promise<T>): Promise<T> {
    if (typeof work !== 'function') throw new TypeError('transaction() takes an async function (tx) => …');
    if (this.#ended) throw new TypeError('this session has ended');
    this.#assertNotInOwnTransaction();
    return this.#enqueue(() => this.#transaction(work));
  }

  on(event: 'notice', listener: (notice: GatedNotice) => void): this {
    if ((event as string) !== 'notice' || typeof listener !== 'function')
      throw new TypeError("on() takes 'notice' and a listener");
    this.#noticeListeners.add(listener);
    return this;
  }

  off(event: 'notice', listener: (notice: GatedNotice) => void): this {
    if ((event as string) === 'notice') this.#noticeListeners.delete(listener);
    return this;
  }

  end(): Promise<void> {
    this.#endPromise ??= this.#finish();
    return this.#endPromise;
  }

  #assertNotInOwnTransaction(): void {
    const context = inTransaction.getStore();
    if (context?.session === this && context.open()) {
      throw new TypeError(
        'inside transaction(work), run queries on its tx handle: the session waits for the transaction',
      );
    }
  }

  /** Called by the pool when the backstop destroyed a connection this session held. */
  noteBypass(error: Error): void {
    void this.#recordQuietly('error', { code: 'ERR_BYPASS', message: error.message });
  }

  async #finish(): Promise<void> {
    this.#ended = true;
    await this.#tail.then(noop, noop);
    if (this.#pinned !== undefined) {
      // Server-side state (a transaction, prepared statements) must not reach another session.
      this.#ctx.release(this.#pinned, true);
      this.#pinned = undefined;
    }
    this.#ctx.forget(this);
    if (this.#recorder !== undefined) await this.#recorder.end({ reason: 'ended' });
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(task);
    this.#tail = run.then(noop, noop);
    return run;
  }

  /** Routes one normalised call; `schedule` orders it (the session's queue or a transaction's). */
  #dispatch(
    call: PgCall,
    schedule: <T>(task: () => Promise<T>) => Promise<T>,
    txClient: PoolClient | undefined,
  ): unknown {
    if (call.kind === 'query') {
      const run = schedule(() => this.#runQuery(call, txClient));
      if (call.callback === undefined) return run;
      const callback = call.callback;
      run.then(
        (result) => {
          process.nextTick(callback, null, result);
        },
        (err: unknown) => {
          process.nextTick(callback, err);
        },
      );
      return undefined;
    }
    return this.#dispatchCursor(call, schedule, txClient);
  }

  #dispatchCursor(
    call: CursorCall | StreamCall,
    schedule: <T>(task: () => Promise<T>) => Promise<T>,
    txClient: PoolClient | undefined,
  ): unknown {
    let opened!: (handle: CursorHandle) => void;
    let failed!: (error: Error) => void;
    const handle = new Promise<CursorHandle>((resolve, reject) => {
      opened = resolve;
      failed = reject;
    });
    // A denial reaches the caller through read(); this keeps it from being an unhandled rejection.
    handle.catch(noop);
    attachCursorFacade(call, handle);
    schedule(async () => {
      let step: Step;
      try {
        step = await this.#authorize(call.request);
      } catch (err) {
        failed(err as Error);
        return;
      }
      const client = txClient ?? (await this.#acquireSafely(step, failed));
      if (client === undefined) return;
      let broken = false;
      try {
        const cursor = await openCursor({
          ctx: this.#ctx,
          client,
          call,
          masking: step.masking,
          onNotice: (notice) => {
            this.#emitNotice(notice, step.masking);
          },
        });
        opened(cursor);
        const outcome = await cursor.finished;
        broken = outcome.error !== undefined && !isServerError(outcome.error);
        await this.#recordOutcome(step, outcome.error, {
          summary: `${outcome.command ?? 'SELECT'} ${outcome.rowCount}`,
          rowCount: outcome.rowCount,
          rows: outcome.sample,
          truncated: outcome.rowCount > outcome.sample.length,
          masked: outcome.masked,
        });
      } catch (err) {
        broken = !isServerError(err);
        const safe = toSafeError(err, step.masking.text, this.#ctx.target);
        await this.#recordError(step, safe);
        failed(safe);
      } finally {
        if (txClient === undefined) this.#afterUse(client, broken);
      }
    }).catch((err: unknown) => {
      // The transaction ended before the cursor could start.
      failed(err as Error);
    });
    return call.kind === 'cursor' ? call.cursor : call.stream;
  }

  async #runQuery(
    call: QueryCall,
    txClient: PoolClient | undefined,
  ): Promise<GatedQueryResult | GatedQueryResult[]> {
    const { text, name } = await this.#statement(call);
    const step = await this.#authorize(sqlRequestOf(text, call.values));
    const client = txClient ?? (await this.#acquireOrThrow(step));
    let broken = false;
    try {
      const config = {
        text,
        ...(name === undefined ? {} : { name }),
        ...(call.values === undefined ? {} : { values: [...call.values] }),
        ...(call.rowMode === undefined ? {} : { rowMode: call.rowMode }),
        ...(call.types === undefined ? {} : { types: RAW_TEXT }),
        ...(call.queryMode === undefined ? {} : { queryMode: call.queryMode }),
      };
      const tickets = queryTickets({
        text,
        name,
        values: call.values,
        extended: call.queryMode === 'extended',
      });
      let raw: RawResult | RawResult[];
      try {
        raw = await this.#send(client, config, tickets, step.masking);
      } catch (err) {
        this.#afterStatement(text, step.auth.actions, false);
        throw err;
      }
      if (name !== undefined) this.#named.set(name, text);
      this.#afterStatement(text, step.auth.actions, true);

      const results = Array.isArray(raw) ? raw : [raw];
      const shaped: GatedQueryResult[] = [];
      let masked = 0;
      for (const result of results) {
        const sources = await this.#ctx.catalog.sources(result.fields, (sql) => runInternal(client, sql));
        const out = shapeResult(result, sources, step.masking, call.rowMode === 'array', call.types);
        shaped.push(out.result);
        masked += out.masked;
      }
      const rows = shaped.flatMap((r) => r.rows);
      await this.#recordOutcome(step, undefined, {
        summary: shaped.map((r) => `${r.command}${r.rowCount === null ? '' : ` ${r.rowCount}`}`).join('; '),
        rowCount: shaped.reduce((n, r) => n + (r.rowCount ?? r.rows.length), 0),
        rows: rows.slice(0, this.#ctx.resultRows),
        truncated: rows.length > this.#ctx.resultRows,
        masked,
      });
      return Array.isArray(raw) ? shaped : (shaped[0] ?? emptyResult());
    } catch (err) {
      broken = !isServerError(err);
      if (err instanceof RecordingError) throw err;
      const safe = toSafeError(err, step.masking.text, this.#ctx.target);
      await this.#recordError(step, safe);
      throw safe;
    } finally {
      if (txClient === undefined) this.#afterUse(client, broken);
    }
  }

  async #transaction<T>(work: (tx: GatedTransaction) => Promise<T>): Promise<T> {
    const begin = await this.#authorize({ type: 'sql', sql: 'BEGIN' });
    const client = await this.#acquireOrThrow(begin);
    let open = true;
    let txTail: Promise<unknown> = Promise.resolve();
    const schedule = <R>(task: () => Promise<R>): Promise<R> => {
      if (!open)
        return Promise.reject(new TypeError('this transaction has ended; run queries on the session'));
      const run = txTail.then(task);
      txTail = run.then(noop, noop);
      return run;
    };
    const tx: GatedTransaction = Object.freeze({
      query: (config: unknown, values?: unknown, callback?: unknown): never => {
        const call = toRequest(config, values, callback);
        if (!open) throw new TypeError('this transaction has ended; run queries on the session');
        return this.#dispatch(call, schedule, client) as never;
      },
    }) as GatedTransaction;
    const state = { broken: false };
    try {
      await this.#sendGated(begin, client, 'BEGIN');
      let value: T;
      try {
        value = await inTransaction.run({ session: this, open: () => open }, () => work(tx));
        await txTail;
        const commit = await this.#runQuery(plainCall('COMMIT'), client);
        // COMMIT of a transaction that failed inside `work` answers ROLLBACK, not an error.
        if (!Array.isArray(commit) && commit.command === 'ROLLBACK') {
          throw new Error('the transaction had failed and was rolled back');
        }
      } catch (err) {
        await txTail.then(noop, noop);
        if (transactionStatus(client) !== 'I') {
          try {
            await this.#runQuery(plainCall('ROLLBACK'), client);
          } catch {
            // A ROLLBACK the policy refuses or that fails: closing the connection rolls back.
            state.broken = true;
          }
        }
        throw err;
      }
      return value;
    } finally {
      open = false;
      this.#afterUse(client, state.broken || transactionStatus(client) !== 'I');
    }
  }

  /** Runs an already authorized fixed statement (BEGIN) and records its result. */
  async #sendGated(step: Step, client: PoolClient, text: string): Promise<void> {
    try {
      const raw = await this.#send(client, { text }, queryTickets({ text }), step.masking);
      const result = Array.isArray(raw) ? raw[0] : raw;
      await this.#recordOutcome(step, undefined, {
        summary: result?.command ?? text,
        rowCount: 0,
        rows: [],
        truncated: false,
        masked: 0,
      });
    } catch (err) {
      if (err instanceof RecordingError) throw err;
      const safe = toSafeError(err, step.masking.text, this.#ctx.target);
      await this.#recordError(step, safe);
      throw safe;
    }
  }

  /** The text a call runs: its own, or for a name alone the text the name was prepared with. */
  async #statement(call: QueryCall): Promise<{ readonly text: string; readonly name: string | undefined }> {
    const { name } = call;
    if (name === undefined) return { text: call.text ?? '', name };
    const known = this.#named.get(name);
    if (call.text === undefined) {
      if (known === undefined) {
        throw await this.#refuse(
          `prepared statement "${name}" is not known to this session; send its text with the first use`,
          name,
        );
      }
      return { text: known, name };
    }
    if (known !== undefined && known !== call.text) {
      throw await this.#refuse(
        `prepared statement "${name}" was prepared with another text; use a new name for a new text`,
        name,
        call.text,
      );
    }
    return { text: call.text, name };
  }

  /** A denial the adapter makes itself (statement names): recorded as the engine records its own. */
  async #refuse(reason: string, name: string, text?: string): Promise<DeniedError> {
    const action = { operation: 'unknown' } as const;
    const decision: Decision = {
      effect: 'deny',
      rules: [],
      reasons: [reason],
      actions: [{ action, effect: 'deny', rules: [], reasons: [reason] }],
      recordingRequired: false,
    };
    const error = new DeniedError(`a statement on ${this.#ctx.target} is denied: ${reason}`, decision);
    const recorder = await this.#startRecording();
    if (recorder !== undefined) {
      try {
        const request = await recorder.record('request', {
          request: { type: 'sql', sql: text ?? '' },
          statement: name,
          actions: [action],
        });
        await recorder.record('decision', { requestSeq: request.seq, ...decision });
        await recorder.record('error', { requestSeq: request.seq, code: error.code, message: error.message });
      } catch {
        // A denial stands whether or not it could be recorded.
      }
    }
    return error;
  }

  async #authorize(request: SqlRequest): Promise<Step> {
    const recorder = await this.#startRecording();
    const auth = await this.#ctx.portcullis.authorize({
      principal: this.#principal,
      target: this.#ctx.target,
      request,
      context: { preparedStatements: new Map(this.#prepared) },
      ...(recorder === undefined ? {} : { session: recorder }),
      review: this.#review,
    });
    return { request, auth, masking: this.#ctx.masking(auth.mask), recorder, started: performance.now() };
  }

  async #startRecording(): Promise<SessionRecorder | undefined> {
    if (this.#recorder !== undefined) return this.#recorder;
    try {
      this.#recorder = await this.#ctx.portcullis.startSession(this.#principal, this.#ctx.target);
    } catch {
      // The engine denies every request whose decision requires recording when there is no
      // session; one that does not require it runs unrecorded. The next request tries again.
      return undefined;
    }
    return this.#recorder;
  }

  async #acquireOrThrow(step: Step): Promise<PoolClient> {
    if (this.#pinned !== undefined) return this.#pinned;
    try {
      return await this.#ctx.acquire(this);
    } catch (err) {
      const safe = toSafeError(err, step.masking.text, this.#ctx.target);
      await this.#recordError(step, safe);
      throw safe;
    }
  }

  async #acquireSafely(step: Step, failed: (error: Error) => void): Promise<PoolClient | undefined> {
    try {
      return await this.#acquireOrThrow(step);
    } catch (err) {
      failed(err as Error);
      return undefined;
    }
  }

  /** After a request: keep the connection while it holds session state, else give it back. */
  #afterUse(client: PoolClient, broken: boolean): void {
    if (broken || bypassOf(client) !== undefined) {
      if (this.#pinned === client) {
        this.#pinned = undefined;
        // The server-side state went with the connection.
        this.#prepared.clear();
      }
      this.#ctx.release(client, true);
      return;
    }
    const holdsState = transactionStatus(client) !== 'I' || this.#prepared.size > 0;
    if (holdsState) {
      this.#pinned = client;
      return;
    }
    if (this.#pinned === client) this.#pinned = undefined;
    this.#ctx.release(client, false);
  }

  /** Tracks SQL-level PREPARE/DEALLOCATE, and forgets cached column names after DDL. */
  #afterStatement(text: string, actions: readonly Action[], succeeded: boolean): void {
    if (actions.some((a) => DDL.has(a.operation))) this.#ctx.catalog.invalidate();
    const effects = this.#ctx.effects(text, { preparedStatements: this.#prepared });
    if (!succeeded) {
      // Which statements of a failed text took effect is unknown: forget every name it touched,
      // so a later EXECUTE of it classifies as unknown (fail closed).
      if (effects.deallocatesAll) this.#prepared.clear();
      for (const { name } of effects.prepares) this.#prepared.delete(name);
      for (const name of effects.deallocates) this.#prepared.delete(name);
      return;
    }
    for (const statement of orderedEffects(effects)) {
      if (statement.kind === 'all') this.#prepared.clear();
      else if (statement.kind === 'deallocate') this.#prepared.delete(statement.name);
      else this.#prepared.set(statement.name, statement.actions);
    }
  }

  async #send(
    client: PoolClient,
    config: QueryConfig,
    tickets: readonly string[],
    masking: Masking,
  ): Promise<RawResult | RawResult[]> {
    const onNotice = (notice: unknown): void => {
      this.#emitNotice(notice, masking);
    };
    client.on('notice', onNotice);
    issueTickets(client, tickets);
    try {
      const result: unknown = await client.query(config);
      // The server can report, within the same reply, a change the gate closes the connection
      // for (a client_encoding other than UTF8): the request did run, but its success would
      // hide that the connection is gone, so the caller gets the reason instead.
      const closed = bypassOf(client);
      if (closed !== undefined) throw closed;
      return result as RawResult | RawResult[];
    } finally {
      revokeTickets(client);
      client.off('notice', onNotice);
    }
  }

  #emitNotice(notice: unknown, masking: Masking): void {
    if (this.#noticeListeners.size === 0 || typeof notice !== 'object' || notice === null) return;
    const n = notice as Record<string, unknown>;
    const text = (key: string): Record<string, string> =>
      typeof n[key] === 'string' ? { [key]: masking.text(n[key]) } : {};
    const plain = Object.freeze({
      message: typeof n['message'] === 'string' ? masking.text(n['message']) : '',
      ...text('severity'),
      ...text('code'),
      ...text('detail'),
      ...text('hint'),
      ...text('where'),
    }) as GatedNotice;
    for (const listener of this.#noticeListeners) {
      try {
        listener(plain);
      } catch (err) {
        process.nextTick(() => {
          throw err;
        });
      }
    }
  }

  async #recordOutcome(
    step: Step,
    error: Error | undefined,
    result: {
      readonly summary: string;
      readonly rowCount: number;
      readonly rows: readonly unknown[];
      readonly truncated: boolean;
      readonly masked: number;
    },
  ): Promise<void> {
    if (error !== undefined) {
      await this.#recordError(step, toSafeError(error, step.masking.text, this.#ctx.target));
      return;
    }
    const { recorder, auth } = step;
    if (recorder === undefined) return;
    const data = {
      ...(auth.requestSeq === undefined ? {} : { requestSeq: auth.requestSeq }),
      summary: result.summary,
      rowCount: result.rowCount,
      ...(this.#ctx.resultRows > 0 ? { body: result.rows.slice(0, this.#ctx.resultRows) } : {}),
      truncated: result.truncated || (this.#ctx.resultRows === 0 && result.rowCount > 0),
      masked: result.masked,
      durationMs: Math.round((performance.now() - step.started) * 1000) / 1000,
    };
    try {
      await recorder.record('result', data);
    } catch (cause) {
      if (auth.decision.recordingRequired) {
        throw new RecordingError(
          `the request ran on ${this.#ctx.target} but its result could not be recorded, which the policy requires; the result is withheld`,
          { cause },
        );
      }
    }
  }

  async #recordError(step: Step, error: Error): Promise<void> {
    const { recorder, auth } = step;
    if (recorder === undefined) return;
    const raw = (error as unknown as { code?: unknown }).code;
    const code = typeof raw === 'string' ? raw : error.name;
    try {
      await recorder.record('error', {
        ...(auth.requestSeq === undefined ? {} : { requestSeq: auth.requestSeq }),
        code,
        message: error.message,
      });
    } catch {
      // The caller gets the error either way; a lost error event cannot be made up for here.
    }
  }

  async #recordQuietly(type: 'error', data: Readonly<Record<string, unknown>>): Promise<void> {
    try {
      await this.#recorder?.record(type, data);
    } catch {
      // Best effort: the bypass itself is refused whether or not it is recorded.
    }
  }
}

function emptyResult(): GatedQueryResult {
  return { command: '', rowCount: null, oid: null, rows: [], fields: [] };
}

function plainCall(text: string): QueryCall {
  return {
    kind: 'query',
    text,
    name: undefined,
    values: undefined,
    rowMode: undefined,
    types: undefined,
    queryMode: undefined,
    callback: undefined,
    request: { type: 'sql', sql: text },
  };
}

type Effect =
  | { readonly kind: 'all' }
  | { readonly kind: 'deallocate'; readonly name: string }
  | { readonly kind: 'prepare'; readonly name: string; readonly actions: readonly Action[] };

function orderedEffects(effects: ReturnType<PoolContext['effects']>): readonly Effect[] {
  const out: Effect[] = [];
  if (effects.deallocatesAll) out.push({ kind: 'all' });
  for (const name of effects.deallocates) out.push({ kind: 'deallocate', name });
  for (const prepare of effects.prepares) out.push({ kind: 'prepare', ...prepare });
  return out;
}

function isServerError(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as Record<string, unknown>)['severity'] === 'string' &&
    typeof (err as Record<string, unknown>)['code'] === 'string'
  );
}

/** Replaces the caller's cursor's reads with the gate's masked ones; the caller's object is never submitted. */
function attachCursorFacade(call: CursorCall | StreamCall, handle: Promise<CursorHandle>): void {
  const target = call.cursor as unknown as Record<string, unknown>;
  const read = (rows: unknown, callback?: unknown): Promise<unknown[]> | undefined => {
    if (typeof rows !== 'number' || !Number.isInteger(rows) || rows < 0) {
      throw new TypeError('read() takes a whole number of rows');
    }
    const result = handle.then((h) => h.read(rows));
    if (typeof callback === 'function') {
      result.then(
        (out) => {
          process.nextTick(callback, null, out);
        },
        (err: unknown) => {
          process.nextTick(callback, err);
        },
      );
      return undefined;
    }
    return result;
  };
  const close = (callback?: unknown): Promise<void> | undefined => {
    const result = handle.then(
      (h) => h.close(),
      () => undefined,
    );
    if (typeof callback === 'function') {
      result.then(
        () => {
          process.nextTick(callback);
        },
        (err: unknown) => {
          process.nextTick(callback, err);
        },
      );
      return undefined;
    }
    return result;
  };
  const define = (key: string, value: unknown): void => {
    Object.defineProperty(target, key, { value, configurable: false, writable: false, enumerable: false });
  };
  define('read', read);
  define('close', close);
  // pg-cursor's end() terminates the whole connection; here it closes the cursor.
  define('end', close);
  define('submit', () => {
    throw new TypeError('this cursor belongs to the gate; read it with read()');
  });
  // Tell the caller's listeners about a denial or failure as pg-cursor would.
  handle.catch((err: unknown) => {
    const emitter = target as {
      listenerCount?: (e: string) => number;
      emit?: (e: string, v: unknown) => boolean;
    };
    if (
      call.kind === 'cursor' &&
      typeof emitter.listenerCount === 'function' &&
      emitter.listenerCount('error') > 0
    ) {
      emitter.emit?.('error', err);
    }
    if (call.kind === 'stream') call.stream.destroy(err as Error);
  });
}
