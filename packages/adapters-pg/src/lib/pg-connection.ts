/**
 * One gated session's hold on the database: the connection it keeps while the server holds
 * state for it (a transaction, prepared statements), the statements it prepared, and its notice
 * listeners. Internal: the facade never exposes it.
 */
import type { Action, ClassifyContext, GrantReservation, MaskingPlan } from '@portcullis/core';
import type { PoolClient } from 'pg';
import type { GatedNotice } from '../types.js';
import type { PoolContext, SqlEffects } from './pool-context.js';
import { claimConnection } from './connection-reset.js';
import { grantFate, type StatementEnd } from './grant-fate.js';
import { bypassOf, transactionStatus } from './wire-guard.js';

// Operations after which table and column names may have changed.
const DDL = new Set(['create', 'alter', 'drop', 'truncate', 'unknown', 'do', 'call', 'function']);

/** The session's connection state (see the module comment). */
export interface PgConnection {
  readonly ctx: PoolContext;
  /** Protocol-level named statements this session prepared: name → text. */
  readonly named: Map<string, string>;
  /** The classify context: SQL-level `PREPARE`d statements, name → actions. */
  readonly context: ClassifyContext;
  /**
   * An SQL-level prepared statement this session saw succeed: the request text it was prepared
   * in (what the server keeps as its `statement`) and the PREPARE statement's own text.
   */
  preparedSql(name: string): PreparedSql | undefined;
  /** Forgets an SQL-level prepared statement (a later EXECUTE of it is then refused). */
  forgetPrepared(name: string): void;
  /** `context` described by content, for the plan-cache key. */
  state(): string;
  /**
   * The pinned connection, or a new one from the pool, for a request (or a transaction) until
   * its {@link PgConnection.afterUse}.
   */
  acquire(): Promise<PoolClient>;
  /**
   * The pinned connection, taken for a request as {@link PgConnection.acquire} takes it, when
   * it can be used at once (no ending of held grants to wait for); else `undefined`: then
   * {@link PgConnection.acquire}.
   */
  pinnedNow(): PoolClient | undefined;
  /**
   * After a request: keep the connection while it holds session state; else keep it only until
   * the event loop's next check phase (see {@link createPgConnection}), then give it back.
   */
  afterUse(client: PoolClient, broken: boolean): void;
  /**
   * Applies the effects of the request `text` on prepared statements, and forgets cached columns
   * after DDL.
   */
  afterStatement(effects: SqlEffects, actions: readonly Action[], succeeded: boolean, text: string): void;
  /**
   * After a statement, before its caller hears of it: decides the fate of the `once` grants
   * reserved in the transaction so far, and of `reservation` (the statement's own), with
   * {@link grantFate} — keep, consume or release — and ends them in the approval store. Resolves
   * once the store calls ending reservations have; `undefined` when there is nothing to wait for.
   */
  settleGrants(end: StatementEnd, reservation: GrantReservation | undefined): Promise<void> | undefined;
  /**
   * Whether {@link PgConnection.settleGrants} has anything to do for a statement without a
   * reservation of its own: grants of the open transaction are held, or an ending is still due.
   */
  holdsGrants(): boolean;
  /** Releases the pinned connection (the session ends); resolves once held grants are released. */
  close(): Promise<void>;
  readonly listeners: Set<(notice: GatedNotice) => void>;
  /** Passes a server notice, masked, to the listeners. */
  notice(notice: unknown, masking: MaskingPlan): void;
}

/** Where an SQL-level prepared statement came from (see {@link PgConnection.preparedSql}). */
export interface PreparedSql {
  readonly request: string;
  readonly statement: string;
}

/**
 * Creates a session's connection state. `onBypass` hears when the backstop destroyed a
 * connection this session held.
 *
 * @example
 * ```ts
 * const conn = createPgConnection(ctx, (error) => void session.note('ERR_BYPASS', error.message));
 * ```
 */
export function createPgConnection(ctx: PoolContext, onBypass: (error: Error) => void): PgConnection {
  const named = new Map<string, string>();
  const prepared = new Map<string, readonly Action[]>();
  const sources = new Map<string, PreparedSql>();
  const context: ClassifyContext = Object.freeze({ preparedStatements: prepared });
  const listeners = new Set<(notice: GatedNotice) => void>();
  let pinned: PoolClient | undefined;
  // A connection without session state is kept after a request only until the event loop's next
  // check phase (setImmediate), not given back to the pool at once: the session's next request,
  // when it comes in the same turn (a caller that awaits one query and sends the next), takes it
  // without waiting for the pool (a tick and a promise per request). Another session waits for
  // it at most that turn.
  let lingering = false;
  // Whether a request (or a transaction) has the connection now: a lingering one is given back
  // only while nobody does.
  let inUse = false;
  let lingerEnds: NodeJS.Immediate | undefined;
  // This session, as the connection-reset module knows it: another session's connection is reset first.
  const owner = {};
  let state: string | undefined = '';
  // The grants reserved by statements of the transaction open on the pinned connection, and
  // the store calls that end reservations (a session's end waits for them).
  const held: GrantReservation[] = [];
  let ending: Promise<void> = Promise.resolve();
  // Whether `ending` has settled: then a request need not wait a turn for it.
  let endingSettled = true;

  const endHeld = (outcome: 'consumed' | 'released'): Promise<void> => {
    if (held.length === 0) return ending;
    const ended = held.splice(0).map((r) => r.end(outcome));
    const next = Promise.all([ending, ...ended]).then(noop);
    ending = next;
    endingSettled = false;
    void next.then(() => {
      if (ending === next) endingSettled = true;
    });
    return ending;
  };

  const claimed = async (client: PoolClient, claiming: Promise<void>): Promise<PoolClient> => {
    try {
      await claiming;
    } catch (err) {
      release(client, true);
      throw err;
    }
    return client;
  };

  // A pool's client made fit for this session (see claimConnection).
  const claim = (client: PoolClient): PoolClient | Promise<PoolClient> => {
    let claiming: Promise<void> | undefined;
    try {
      claiming = claimConnection(client, owner);
    } catch (err) {
      release(client, true);
      throw err;
    }
    return claiming === undefined ? client : claimed(client, claiming);
  };

  // One step after the pool's answer, not an async function around it: every layer of those
  // costs a request a turn of the microtask queue (and a promise) on its way to the wire. (Its
  // callers are async functions and promise callbacks: a throw here rejects them as before.)
  const acquireNow = (): Promise<PoolClient> => {
    inUse = true;
    return pinned !== undefined ? Promise.resolve(pinned) : ctx.acquire(onBypass).then(claim);
  };

  const endLinger = (): void => {
    lingerEnds = undefined;
    if (lingering && !inUse && pinned !== undefined) release(pinned, false);
  };

  const release = (client: PoolClient, destroy: boolean): void => {
    if (pinned === client) {
      pinned = undefined;
      lingering = false;
    }
    // A connection closed with a transaction open rolls it back: nothing held was committed.
    // One given back to the pool has no transaction open; anything still held is spent.
    if (held.length > 0) void endHeld(destroy ? 'released' : 'consumed');
    ctx.release(client, destroy);
  };

  return {
    ctx,
    named,
    context,
    preparedSql: (name) => sources.get(name),
    forgetPrepared(name) {
      if (prepared.delete(name)) state = undefined;
      sources.delete(name);
    },
    state: () => (state ??= JSON.stringify([...prepared].sort(([a], [b]) => (a < b ? -1 : 1)))),
    acquire: () => {
      inUse = true;
      // Grants a closed connection released are usable again before this session goes on.
      if (!endingSettled) return ending.then(acquireNow);
      return acquireNow();
    },
    pinnedNow: () => {
      if (!endingSettled || pinned === undefined) return undefined;
      inUse = true;
      return pinned;
    },
    afterUse(client, broken) {
      inUse = false;
      if (broken || bypassOf(client) !== undefined) {
        // The server-side state went with the connection.
        if (pinned === client && prepared.size > 0) {
          prepared.clear();
          sources.clear();
          state = undefined;
        }
        release(client, true);
        return;
      }
      pinned = client;
      lingering = transactionStatus(client) === 'I' && prepared.size === 0;
      if (!lingering) return;
      // As if given back now: what is still held is spent (see release).
      if (held.length > 0) void endHeld('consumed');
      lingerEnds ??= setImmediate(endLinger);
    },
    afterStatement(effects, actions, succeeded, text) {
      for (const action of actions) {
        if (DDL.has(action.operation)) {
          ctx.catalog.invalidate();
          break;
        }
      }
      if (effects.prepares.length === 0 && effects.deallocates.length === 0 && !effects.deallocatesAll)
        return;
      state = undefined;
      const forget = (name: string): void => {
        prepared.delete(name);
        sources.delete(name);
      };
      if (effects.deallocatesAll) {
        prepared.clear();
        sources.clear();
      }
      for (const name of effects.deallocates) forget(name);
      for (const { name, actions: prepares, statement } of effects.prepares) {
        // Which statements of a failed text took effect is unknown: every name it touched is
        // forgotten, so a later EXECUTE of it is refused (fail closed).
        if (!succeeded) forget(name);
        else {
          prepared.set(name, prepares);
          sources.set(name, { request: text, statement });
        }
      }
    },
    settleGrants(end, reservation) {
      if (reservation !== undefined) held.push(reservation);
      // Nothing held: whatever the fate, there is only an earlier ending to wait for.
      const fate = held.length === 0 ? 'keep' : grantFate(end);
      if (fate !== 'keep') return endHeld(fate === 'consume' ? 'consumed' : 'released');
      return endingSettled ? undefined : ending;
    },
    holdsGrants: () => held.length > 0 || !endingSettled,
    close() {
      // Server-side state (a transaction, prepared statements) must not reach another session.
      // A lingering connection holds none: it goes back to the pool.
      if (pinned !== undefined) release(pinned, !lingering);
      return ending;
    },
    listeners,
    notice(notice, masking) {
      if (listeners.size === 0 || typeof notice !== 'object' || notice === null) return;
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
      for (const listener of listeners) {
        try {
          listener(plain);
        } catch (err) {
          process.nextTick(() => {
            throw err;
          });
        }
      }
    },
  };
}

function noop(): void {
  // Reservations never reject; nothing to do once they have ended.
}
