/**
 * The pool-shaped facade: the part of `pg.Pool` that query builders use (drizzle-orm,
 * Kysely's `PostgresDialect`, knex's `connectionPool`), over gated sessions of one principal.
 * `query` runs on one shared session; every `connect()` opens a session of its own (its own
 * order, its own transaction state) that `release()` ends.
 */
import type { GatedPgPool, GatedPgPoolClient, GatedSession } from '../types.js';
import { withConfigTraps } from './config-trap.js';

const EVENTS = new Set(['error', 'connect', 'acquire', 'release', 'remove', 'notice', 'end', 'drain']);

/**
 * Drizzle tells a pool from a client by its prototype constructor's name: a frozen, empty
 * prototype named `GatedPgPool` makes it check out a client for a transaction. Nothing on it to patch.
 */
const POOL_PROTOTYPE: object = Object.freeze(
  Object.create(null, {
    constructor: {
      value: Object.freeze(
        Object.defineProperty(
          function GatedPgPool() {
            throw new TypeError('create a gated pool facade with db.pool(principal)');
          },
          'prototype',
          { value: undefined },
        ),
      ),
    },
  }) as object,
);

/**
 * Builds a pool facade; `open` opens one gated session of the principal.
 *
 * @example
 * ```ts
 * const pool = createPoolFacade(() => impl.as(principal));
 * const client = await pool.connect();
 * await client.query('BEGIN'); … client.release();
 * ```
 */
export function createPoolFacade(open: () => GatedSession): GatedPgPool {
  const made = buildPoolFacade(open);
  facades.add(made);
  return made;
}

/** Every pool facade this module built: what {@link isPoolFacade} recognises. */
const facades = new WeakSet<object>();

/**
 * Whether `value` is a pool facade of a gated pool (`db.pool(principal)`), not a look-alike.
 *
 * @example
 * ```ts
 * isPoolFacade(db.pool(alice)); // true
 * isPoolFacade(new pg.Pool()); // false
 * ```
 */
export function isPoolFacade(value: unknown): value is GatedPgPool {
  return typeof value === 'object' && value !== null && facades.has(value);
}

function buildPoolFacade(open: () => GatedSession): GatedPgPool {
  const clients = new Set<GatedSession>();
  let shared: GatedSession | undefined;
  let ended: Promise<void> | undefined;

  const assertOpen = (): void => {
    if (ended !== undefined) throw new TypeError('this gated pool facade has ended');
  };

  const onEvent = (event: unknown, listener: unknown): void => {
    if (typeof event !== 'string' || !EVENTS.has(event) || typeof listener !== 'function') {
      throw new TypeError(`on() takes one of ${[...EVENTS].join(', ')} and a listener`);
    }
    // The gate's errors reach each call; an idle connection's error is the gate's to handle.
  };

  const connect = (callback?: unknown): Promise<GatedPgPoolClient> | undefined => {
    let checkedOut: Promise<GatedPgPoolClient>;
    try {
      assertOpen();
      const session = open();
      clients.add(session);
      checkedOut = Promise.resolve(
        clientFacade(session, () => {
          clients.delete(session);
        }),
      );
    } catch (err) {
      checkedOut = Promise.reject(err instanceof Error ? err : new TypeError(String(err)));
    }
    if (typeof callback !== 'function') return checkedOut;
    checkedOut.then(
      (client) => {
        process.nextTick(callback, null, client, () => {
          client.release();
        });
      },
      (err: unknown) => {
        process.nextTick(callback, err);
      },
    );
    return undefined;
  };

  const facade = Object.create(POOL_PROTOTYPE) as Record<string, unknown>;
  const define = (key: string, value: unknown): void => {
    Object.defineProperty(facade, key, { value, enumerable: true, writable: false, configurable: false });
  };
  define('query', (config: unknown, values?: unknown, callback?: unknown): unknown => {
    assertOpen();
    shared ??= open();
    return queryOn(shared, config, values, callback);
  });
  define('connect', connect);
  define('end', (callback?: unknown): Promise<void> | undefined => {
    ended ??= (async () => {
      const sessions = [...clients, ...(shared === undefined ? [] : [shared])];
      clients.clear();
      await Promise.allSettled(sessions.map((s) => s.end()));
    })();
    if (typeof callback !== 'function') return ended;
    ended.then(() => {
      process.nextTick(callback);
    }, noop);
    return undefined;
  });
  for (const name of ['on', 'once', 'addListener']) {
    define(name, (event: unknown, listener: unknown) => {
      onEvent(event, listener);
      return facade;
    });
  }
  for (const name of ['off', 'removeListener']) define(name, () => facade);
  Object.defineProperty(facade, 'totalCount', {
    enumerable: true,
    get: () => clients.size + (shared === undefined ? 0 : 1),
  });
  Object.defineProperty(facade, 'idleCount', { enumerable: true, get: () => 0 });
  Object.defineProperty(facade, 'waitingCount', { enumerable: true, get: () => 0 });
  Object.defineProperty(facade, 'ended', { enumerable: true, get: () => ended !== undefined });
  return Object.freeze(withConfigTraps(facade, 'a gated pool facade')) as unknown as GatedPgPool;
}

const noop = (): void => undefined;

/** pg's `query` with whatever call shape the library used; the session checks the shape. */
function queryOn(session: GatedSession, config: unknown, values: unknown, callback: unknown): unknown {
  return (session as unknown as { query: (...args: unknown[]) => unknown }).query(config, values, callback);
}

/**
 * A checked-out client: its own gated session. Extensible (knex tags the clients it holds),
 * but every method is fixed: non-writable, non-configurable.
 */
function clientFacade(session: GatedSession, forget: () => void): GatedPgPoolClient {
  let released = false;
  const client = Object.create(null) as Record<string, unknown>;
  const define = (key: string, value: unknown): void => {
    Object.defineProperty(client, key, { value, enumerable: true, writable: false, configurable: false });
  };
  define('query', (config: unknown, values?: unknown, callback?: unknown): unknown => {
    if (released) throw new TypeError('this client was released to the gated pool; check out another');
    return queryOn(session, config, values, callback);
  });
  define('release', (_destroy?: unknown): void => {
    if (released) throw new Error('Release called on client which has already been released to the pool.');
    released = true;
    forget();
    // Ending the session closes a connection still in a transaction (which rolls it back).
    void session.end().catch(noop);
  });
  for (const name of ['on', 'once', 'addListener']) {
    define(name, (event: unknown, listener: unknown) => {
      if (event === 'notice' && typeof listener === 'function') session.on('notice', listener as never);
      return client;
    });
  }
  for (const name of ['off', 'removeListener']) {
    define(name, (event: unknown, listener: unknown) => {
      if (event === 'notice' && typeof listener === 'function') session.off('notice', listener as never);
      return client;
    });
  }
  return withConfigTraps(client, 'a gated pool client') as unknown as GatedPgPoolClient;
}
