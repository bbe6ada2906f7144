/**
 * A principal's `GatedSession` facade over a core gate session: frozen own closures, nothing on
 * a shared prototype to patch and no internal hook to reach. The pipeline (order, decide,
 * approve, execute, mask, record) is the core gate runtime's; this file routes pg's call shapes
 * into it, and runs transactions.
 */
import { createGateQueue, type Gate, type GateQueue, type PrincipalInput } from '@portcullis/core';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { PoolClient } from 'pg';
import type { CursorCall, PgCall, QueryCall, StreamCall } from '../internal-types.js';
import { toRequest } from '../to-request.js';
import type { GatedNotice, GatedReviewOptions, GatedSession, GatedTransaction } from '../types.js';
import type { CursorHandle } from './gated-cursor.js';
import type { PgGateCall, PgResult } from './pg-adapter.js';
import { withConfigTraps } from './config-trap.js';
import { createPgConnection, type PgConnection } from './pg-connection.js';
import type { PoolContext } from './pool-context.js';
import { transactionStatus } from './wire-guard.js';

const noop = (): void => undefined;

/**
 * Which session's transaction the current async context runs in: a query on the session itself
 * from inside `transaction(work)` would wait for the transaction to end, forever.
 */
const inTransaction = new AsyncLocalStorage<{ readonly session: object; readonly open: () => boolean }>();

/** A transaction's connection, set by its BEGIN. */
interface Hold {
  client: PoolClient | undefined;
}

/**
 * Opens one principal's session and returns its facade.
 *
 * @example
 * ```ts
 * const session = createGatedSession(gate, ctx, principal, { mode: 'defer' }, forget);
 * await session.query('SELECT 1');
 * ```
 */
export function createGatedSession(
  gate: Gate<PgGateCall, PgResult>,
  ctx: PoolContext,
  principal: PrincipalInput,
  review: GatedReviewOptions,
  onEnd: (session: GatedSession) => void,
): GatedSession {
  const session = gate.open(principal, { review });
  const conn: PgConnection = createPgConnection(ctx, (error) => {
    void session.note('ERR_BYPASS', error.message);
  });

  const assertOpen = (): void => {
    if (session.ended) throw new TypeError('this session has ended');
    const context = inTransaction.getStore();
    if (context?.session === facade && context.open()) {
      throw new TypeError(
        'inside transaction(work), run queries on its tx handle: the session waits for the transaction',
      );
    }
  };

  /** Routes one normalised call; `queue` and `hold` are a transaction's. */
  const dispatch = (call: PgCall, queue: GateQueue | undefined, hold: Hold | undefined): unknown => {
    const order = queue === undefined ? undefined : { queue };
    if (call.kind === 'query') {
      const gateCall: PgGateCall = hold === undefined ? { call, conn } : { call, conn, hold };
      return settle(session.run(gateCall, order), call.callback);
    }
    const base = { conn, ...(hold === undefined ? {} : { hold }) };
    let opened!: (handle: CursorHandle) => void;
    let failed!: (error: unknown) => void;
    const handle = new Promise<CursorHandle>((resolve, reject) => {
      opened = resolve;
      failed = reject;
    });
    // A denial reaches the caller through read(); this keeps it from being an unhandled rejection.
    handle.catch(noop);
    attachCursorFacade(call, handle);
    session.run({ call, ...base, opened }, order).catch(failed);
    return call.kind === 'cursor' ? call.cursor : call.stream;
  };

  const runTransaction = async <T>(work: (tx: GatedTransaction) => Promise<T>): Promise<T> => {
    const queue = createGateQueue();
    const hold: Hold = { client: undefined };
    let open = true;
    const step = (text: string): Promise<unknown> =>
      session.run({ call: plainCall(text), conn, hold }, { queue });
    const tx = Object.freeze({
      query: (config: unknown, values?: unknown, callback?: unknown): never => {
        const call = toRequest(config, values, callback);
        if (!open) throw new TypeError('this transaction has ended; run queries on the session');
        return dispatch(call, queue, hold) as never;
      },
    }) as GatedTransaction;
    const state = { broken: false };
    try {
      await step('BEGIN');
      let value: T;
      try {
        value = await inTransaction.run({ session: facade, open: () => open }, () => work(tx));
        await queue.idle();
        const commit = (await step('COMMIT')) as PgResult;
        // COMMIT of a transaction that failed inside `work` answers ROLLBACK, not an error.
        if (!Array.isArray(commit) && commit?.command === 'ROLLBACK') {
          throw new Error('the transaction had failed and was rolled back');
        }
      } catch (err) {
        await queue.idle();
        const held = heldBy(hold);
        if (held !== undefined && transactionStatus(held) !== 'I') {
          // A ROLLBACK the policy refuses or that fails: closing the connection rolls back.
          await step('ROLLBACK').catch(() => {
            state.broken = true;
          });
        }
        throw err;
      }
      return value;
    } finally {
      open = false;
      const held = heldBy(hold);
      if (held !== undefined) conn.afterUse(held, state.broken || transactionStatus(held) !== 'I');
    }
  };

  const facade: GatedSession = Object.freeze(
    withConfigTraps(
      {
        principal: session.principal,
        query: ((config: unknown, values?: unknown, callback?: unknown): unknown => {
          const call = toRequest(config, values, callback);
          assertOpen();
          return dispatch(call, undefined, undefined);
        }) as GatedSession['query'],
        transaction: <T>(work: (tx: GatedTransaction) => Promise<T>): Promise<T> => {
          if (typeof work !== 'function')
            throw new TypeError('transaction() takes an async function (tx) => …');
          assertOpen();
          return session.enqueue(() => runTransaction(work));
        },
        on: (event: 'notice', listener: (notice: GatedNotice) => void): GatedSession => {
          if ((event as string) !== 'notice' || typeof listener !== 'function')
            throw new TypeError("on() takes 'notice' and a listener");
          conn.listeners.add(listener);
          return facade;
        },
        off: (event: 'notice', listener: (notice: GatedNotice) => void): GatedSession => {
          if ((event as string) === 'notice') conn.listeners.delete(listener);
          return facade;
        },
        end: (): Promise<void> =>
          session.end(async () => {
            try {
              await conn.close();
            } finally {
              onEnd(facade);
            }
          }),
      },
      'a gated session',
    ),
  );
  return facade;
}

/** The client a transaction holds (BEGIN's execute sets it, out of the type checker's sight). */
function heldBy(hold: Hold): PoolClient | undefined {
  return hold.client;
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

/** The promise, or with a node-style callback nothing: the outcome goes to the callback. */
function settle<T>(result: Promise<T>, callback: unknown): Promise<T> | undefined {
  if (typeof callback !== 'function') return result;
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

/** Replaces the caller's cursor's reads with the gate's masked ones; the caller's object is never submitted. */
function attachCursorFacade(call: CursorCall | StreamCall, handle: Promise<CursorHandle>): void {
  const target = call.cursor as unknown as Record<string, unknown>;
  const read = (rows: unknown, callback?: unknown): Promise<unknown[]> | undefined => {
    if (typeof rows !== 'number' || !Number.isInteger(rows) || rows < 0) {
      throw new TypeError('read() takes a whole number of rows');
    }
    return settle(
      handle.then((h) => h.read(rows)),
      callback,
    );
  };
  const close = (callback?: unknown): Promise<void> | undefined =>
    settle(
      handle.then(
        (h) => h.close(),
        () => undefined,
      ),
      callback,
    );
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
