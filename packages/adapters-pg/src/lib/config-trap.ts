/**
 * Gated objects are not connection configs. A library that builds its own raw pool from a config
 * (`knex({ connection: session })`, `new PrismaPg(session)`, `new pg.Pool(session)`) copies the
 * config's enumerable keys first; each key it would read throws here, so it never falls back to
 * the `PG*` environment variables and quietly opens a raw, ungated connection.
 */

/** Keys a driver reads from a connection config. */
const CONFIG_KEYS = ['connectionString', 'host', 'port', 'user', 'password', 'database', 'ssl'] as const;

/** What to do instead, named in every trap's error. */
export const SUPPORTED_WIRING =
  'pass a gated pool where a pg.Pool is expected — drizzle(db.pool(principal)), ' +
  'new PostgresDialect({ pool: db.pool(principal) }), ' +
  "knex({ client: 'pg', connectionPool: db.pool(principal) }), " +
  'new PrismaPg(asPgPool(db.pool(principal))) — see docs/adapters/pg.md';

/**
 * Adds throwing, enumerable `host`/`connectionString`/… getters and a `toJSON` (which keeps
 * only the plain data keys) to a facade before it is frozen.
 *
 * @example
 * ```ts
 * const facade = Object.freeze(withConfigTraps({ query, end }, 'a gated session'));
 * new pg.Pool(facade as never); // TypeError: a gated session is not a connection config: …
 * ```
 */
export function withConfigTraps<T extends object>(target: T, what: string): T {
  const data = Object.keys(target).filter(
    (key) => typeof (target as Record<string, unknown>)[key] !== 'function',
  );
  for (const key of CONFIG_KEYS) {
    Object.defineProperty(target, key, {
      enumerable: true,
      configurable: false,
      get: () => {
        throw new TypeError(
          `${what} is not a connection config (something read its "${key}"): a library given it as a config ` +
            `would open its own ungated connection. Instead, ${SUPPORTED_WIRING}`,
        );
      },
    });
  }
  Object.defineProperty(target, 'toJSON', {
    enumerable: false,
    configurable: false,
    writable: false,
    value: () => Object.fromEntries(data.map((key) => [key, (target as Record<string, unknown>)[key]])),
  });
  return target;
}
