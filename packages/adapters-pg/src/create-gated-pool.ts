import {
  createGate,
  withKind,
  type BypassError,
  type Gate,
  type Portcullis,
  type PrincipalInput,
} from '@portcullis/core';
import pg from 'pg';
import type { Pool, PoolClient } from 'pg';
import { withConfigTraps } from './lib/config-trap.js';
import { createColumnCatalog } from './lib/column-catalog.js';
import { createGatedSession } from './lib/gated-session.js';
import { ownPoolConfig } from './lib/own-config.js';
import { createPgAdapter, type PgGateCall, type PgResult } from './lib/pg-adapter.js';
import type { CursorConstructor, PoolContext } from './lib/pool-context.js';
import { createPoolFacade } from './lib/pool-facade.js';
import { sqlEffects } from './lib/sql-effects.js';
import { stateSchemasOf } from './lib/state-guard.js';
import { armClient } from './lib/wire-guard.js';
import type {
  GatedPool,
  GatedPoolOptions,
  GatedReviewOptions,
  GatedSession,
  GatedSessionOptions,
} from './types.js';

const POOL_KEY = Symbol('gated-pool');

/**
 * Wraps a `pg` Pool in the gate and returns the only handle a caller should get. Each session
 * (`as(principal)` or `withToken(token)`) is one recorded session whose every request is
 * classified, decided (and approved), run, masked and recorded, in that order, one at a time.
 *
 * The pool belongs to the gate from here on: built from `config`, or handed over as `pool`
 * (then nothing else may keep using it). Every client it creates is guarded below the facade:
 * SQL text that reaches a connection without the gate's ticket for exactly that text destroys
 * the connection with a `BypassError`.
 *
 * @example
 * ```ts
 * const db = createGatedPool({ config: { connectionString: process.env.DATABASE_URL }, portcullis, target: 'warehouse' });
 * const session = db.as({ subject: 'alice', groups: ['analysts'] }); // kind: 'human' by default
 * const { rows } = await session.query('SELECT id, email FROM customers WHERE id = $1', [7]);
 * ```
 * @throws TypeError when neither or both of `pool` and `config` are given, the pool is
 * `pg.native` (its queries cannot be guarded), the engine is missing, or the target is not a
 * `postgres` target of the policy.
 */
export function createGatedPool(options: GatedPoolOptions): GatedPool {
  if (typeof options !== 'object' || (options as unknown) === null) {
    throw new TypeError('createGatedPool() takes { pool | config, portcullis, target }');
  }
  const { portcullis, target } = options;
  if (typeof portcullis !== 'object' || typeof (portcullis as Partial<Portcullis>).authorize !== 'function') {
    throw new TypeError('createGatedPool() needs the engine: { portcullis: createPortcullis(…) }');
  }
  if (typeof target !== 'string' || portcullis.policy.targets.get(target)?.protocol !== 'postgres') {
    throw new TypeError(`target ${JSON.stringify(target)} is not a postgres target of the policy`);
  }
  if ((options.pool === undefined) === (options.config === undefined)) {
    throw new TypeError('pass exactly one of `pool` (handed over to the gate) and `config`');
  }
  const review = checkReview(options.review ?? { mode: 'defer' });
  const resultRows = options.recording?.resultRows ?? 100;
  if (!Number.isInteger(resultRows) || resultRows < 0) {
    throw new TypeError('recording.resultRows must be a whole number');
  }
  // (a pool made here reads only the options the caller set: see ownPoolConfig)
  const pool = options.pool ?? new pg.Pool(ownPoolConfig(options.config as pg.PoolConfig));
  assertJavaScriptPool(pool);
  const impl = new GatedPoolImpl(POOL_KEY, pool, {
    portcullis,
    target,
    review,
    resultRows,
    hashKey: options.masking?.hashKey,
    catalogTtlMs: options.masking?.catalogTtlMs,
    caps: options.caps,
    stateSchemas: stateSchemasOf(options.stateSchemas),
  });
  // The caller's handle: frozen own closures. The class's prototype is never reachable from it,
  // so patching a prototype cannot change what any pool or session does.
  return Object.freeze(
    withConfigTraps(
      {
        target,
        as: (principal: PrincipalInput, sessionOptions?: GatedSessionOptions) =>
          impl.as(principal, sessionOptions),
        withToken: (token: string, sessionOptions?: Parameters<GatedPool['withToken']>[1]) =>
          impl.withToken(token, sessionOptions),
        pool: (principal: PrincipalInput, sessionOptions?: GatedSessionOptions) => {
          assertPrincipal(principal);
          return createPoolFacade(() => impl.as(principal, sessionOptions));
        },
        // A plain arrow, not an async one: the handle reaches no prototype but Function's.
        poolForToken: (token: string, sessionOptions?: Parameters<GatedPool['withToken']>[1]) => {
          if (typeof token !== 'string') {
            return Promise.reject(new TypeError('poolForToken() takes the bearer token as a string'));
          }
          const dpop = sessionOptions?.dpop;
          const review = sessionOptions?.review;
          return portcullis
            .resolvePrincipal(token, dpop === undefined ? undefined : { dpop })
            .then((principal) =>
              createPoolFacade(() => impl.as(principal, review === undefined ? undefined : { review })),
            );
        },
        end: () => impl.end(),
      },
      'a gated pool',
    ),
  );
}

interface PoolSettings {
  readonly portcullis: Portcullis;
  readonly target: string;
  readonly review: GatedReviewOptions;
  readonly resultRows: number;
  readonly hashKey: string | Uint8Array | undefined;
  readonly catalogTtlMs: number | undefined;
  readonly stateSchemas: readonly string[];
  readonly caps: GatedPoolOptions['caps'];
}

class GatedPoolImpl {
  readonly #pool: Pool;
  readonly #ctx: PoolContext;
  readonly #gate: Gate<PgGateCall, PgResult>;
  readonly #review: GatedReviewOptions;
  readonly #portcullis: Portcullis;
  readonly #sessions = new Set<GatedSession>();
  readonly #owners = new WeakMap<object, (error: Error) => void>();
  #ended: Promise<void> | undefined;

  constructor(key: symbol, pool: Pool, settings: PoolSettings) {
    if (key !== POOL_KEY) throw new TypeError('create a gated pool with createGatedPool()');
    this.#pool = pool;
    const arm = (client: PoolClient): void => {
      armClient(client, (error: BypassError) => {
        this.#owners.get(client)?.(error);
      });
    };
    const armOnConnect = (client: PoolClient): void => {
      try {
        arm(client);
      } catch {
        // A client that cannot be guarded is never used: acquire() tries again and refuses it.
        void client.end().catch(() => undefined);
      }
    };
    // Guard every client as soon as it is connected, before anyone can query on it; and the
    // connected clients of a handed-over pool (pg-pool keeps them in `_clients`).
    pool.on('connect', armOnConnect);
    for (const client of (pool as unknown as { _clients?: unknown[] })._clients ?? []) {
      if ((client as { _connected?: boolean })._connected === true) armOnConnect(client as PoolClient);
    }
    // An idle client's connection error (a server restart, or the backstop) must not crash the
    // process; pg-pool removes that client by itself.
    pool.on('error', () => undefined);

    let cursorClass: Promise<CursorConstructor> | undefined;
    this.#review = settings.review;
    this.#ctx = Object.freeze({
      target: settings.target,
      resultRows: settings.resultRows,
      stateSchemas: settings.stateSchemas,
      catalog: createColumnCatalog(
        settings.catalogTtlMs === undefined ? {} : { ttlMs: settings.catalogTtlMs },
      ),
      acquire: async (owner: (error: Error) => void): Promise<PoolClient> => {
        if (this.#ended !== undefined) throw new TypeError('this gated pool has ended');
        const client = await pool.connect();
        try {
          arm(client);
        } catch (err) {
          client.release(true);
          throw err;
        }
        this.#owners.set(client, owner);
        return client;
      },
      release: (client: PoolClient, destroy: boolean): void => {
        this.#owners.delete(client);
        client.release(destroy ? true : undefined);
      },
      effects: sqlEffects,
      cursorClass: () => {
        cursorClass ??= loadCursorClass();
        return cursorClass;
      },
    });
    this.#gate = createGate({
      portcullis: settings.portcullis,
      target: settings.target,
      adapter: createPgAdapter(this.#ctx),
      review: settings.review,
      resultRows: settings.resultRows,
      ...(settings.caps === undefined ? {} : { caps: settings.caps }),
      ...(settings.hashKey === undefined ? {} : { hashKey: settings.hashKey }),
    });
    this.#portcullis = settings.portcullis;
  }

  as(principal: PrincipalInput, options?: GatedSessionOptions): GatedSession {
    if (this.#ended !== undefined) throw new TypeError('this gated pool has ended');
    assertPrincipal(principal);
    const review = options?.review === undefined ? this.#review : checkReview(options.review);
    const session = createGatedSession(this.#gate, this.#ctx, principal, review, (ended) => {
      this.#sessions.delete(ended);
    });
    this.#sessions.add(session);
    return session;
  }

  async withToken(
    token: string,
    options?: GatedSessionOptions & Parameters<Portcullis['resolvePrincipal']>[1],
  ): Promise<GatedSession> {
    if (typeof token !== 'string') throw new TypeError('withToken() takes the bearer token as a string');
    const principal = await this.#portcullis.resolvePrincipal(
      token,
      options?.dpop === undefined ? undefined : { dpop: options.dpop },
    );
    return this.as(principal, options?.review === undefined ? undefined : { review: options.review });
  }

  end(): Promise<void> {
    this.#ended ??= (async () => {
      await Promise.allSettled([...this.#sessions].map((s) => s.end()));
      await this.#pool.end();
    })();
    return this.#ended;
  }
}

function assertJavaScriptPool(pool: Pool): void {
  const Client = (pool as unknown as { Client?: { prototype?: Record<string, unknown> } }).Client;
  // The JavaScript client speaks the protocol through a socket the backstop can guard;
  // pg.native's libpq client has none.
  if (
    typeof pool.connect !== 'function' ||
    typeof Client?.prototype?.['_handleReadyForQuery'] !== 'function'
  ) {
    throw new TypeError('only a pg.Pool of the JavaScript client can be gated; pg.native is not supported');
  }
}

/** Checks a principal as a gate's session will (a TypeError naming `as()`), before one is opened. */
function assertPrincipal(principal: PrincipalInput): void {
  withKind(principal, 'as()');
}

function checkReview(review: GatedReviewOptions): GatedReviewOptions {
  const mode: string = review.mode;
  if (mode !== 'defer' && mode !== 'wait') {
    throw new TypeError("review.mode must be 'defer' or 'wait'");
  }
  if (review.timeoutMs !== undefined && !(review.timeoutMs >= 0)) {
    throw new TypeError('review.timeoutMs must be a number of milliseconds');
  }
  return Object.freeze({ ...review });
}

async function loadCursorClass(): Promise<CursorConstructor> {
  try {
    const module = (await import('pg-cursor')) as unknown as { default: CursorConstructor };
    return module.default;
  } catch (cause) {
    throw new TypeError('reading a cursor or stream through the gate needs the pg-cursor package installed', {
      cause,
    });
  }
}
