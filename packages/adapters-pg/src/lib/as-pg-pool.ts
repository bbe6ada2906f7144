/**
 * A real `pg.Pool` instance in front of a gated pool facade, for libraries that accept a pool
 * only when it is `instanceof pg.Pool` and otherwise treat what they were given as a connection
 * config (Prisma's `PrismaPg`). Its queries and checked-out clients are the facade's; pg-pool's
 * own machinery, reachable through the prototype, can never open a connection: the client class
 * it would build connections with refuses to be constructed, and it holds no credentials.
 */
import pg from 'pg';
import type { Pool } from 'pg';
import type { GatedPgPool } from '../types.js';
import { withConfigTraps } from './config-trap.js';
import { isPoolFacade } from './pool-facade.js';

/** The connection class pg-pool is given: constructing one is refused. */
function NoConnection(): never {
  throw new TypeError(
    'this pg.Pool opens no connection of its own: it belongs to a gated pool facade, and its queries go through the gate',
  );
}

// EventEmitter methods pg-pool would use to store listeners: the facade's events never fire.
const LISTENER_METHODS = [
  'on',
  'once',
  'addListener',
  'prependListener',
  'prependOnceListener',
  'off',
  'removeListener',
  'removeAllListeners',
] as const;

/**
 * Wraps a gated pool facade (`db.pool(principal)`) in a genuine `pg.Pool` instance for
 * libraries that check `instanceof pg.Pool` — Prisma: `new PrismaPg(asPgPool(db.pool(alice)))`.
 * `query`, `connect` and `end` are the facade's (each checked-out client its own gated session);
 * listeners are accepted and never called; reading it as a connection config (`host`,
 * `connectionString`, …) throws. pg-pool's prototype methods called on it cannot connect: its
 * connection class refuses to be constructed. It must be the same `pg` module the library
 * loads (one `pg` in the application); if not, the library treats it as a config and its
 * reads throw — nothing connects either way.
 *
 * @example
 * ```ts
 * import { PrismaPg } from '@prisma/adapter-pg';
 * const prisma = new PrismaClient({ adapter: new PrismaPg(asPgPool(db.pool(principal))) });
 * ```
 * @throws TypeError when `facade` is not a pool facade of a gated pool.
 */
export function asPgPool(facade: GatedPgPool): Pool {
  if (!isPoolFacade(facade)) {
    throw new TypeError('asPgPool() takes a gated pool facade: asPgPool(db.pool(principal))');
  }
  const pool = new pg.Pool({ Client: NoConnection as unknown as typeof pg.Client, max: 1 });
  const define = (key: string, value: unknown): void => {
    Object.defineProperty(pool, key, { value, enumerable: false, writable: false, configurable: false });
  };
  const getter = (key: string, get: () => unknown): void => {
    Object.defineProperty(pool, key, { get, enumerable: true, configurable: false });
  };
  const calls = facade as unknown as Record<'query' | 'connect' | 'end', (...args: unknown[]) => unknown>;
  define('query', (...args: unknown[]) => calls.query(...args));
  define('connect', (...args: unknown[]) => calls.connect(...args));
  define('end', (...args: unknown[]) => calls.end(...args));
  for (const name of LISTENER_METHODS) define(name, () => pool);
  define('emit', () => false);
  getter('totalCount', () => facade.totalCount);
  getter('idleCount', () => facade.idleCount);
  getter('waitingCount', () => facade.waitingCount);
  getter('expiredCount', () => 0);
  getter('ending', () => facade.ended);
  getter('ended', () => facade.ended);
  // A library may copy them to build a pool of its own (Prisma's shadow database): that pool
  // gets the refusing connection class too, and nobody can swap it here.
  Object.freeze(pool.options);
  return Object.freeze(withConfigTraps(pool, 'a gated pg.Pool'));
}
