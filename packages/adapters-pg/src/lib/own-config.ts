// The configuration of a pool the gated pool creates, as pg reads it: only what the caller set.
//
// pg and pg-pool read their options by name from object literals they build: pg-pool copies
// the configuration into one, pg merges a connection string into another, and pg's defaults
// object lacks some names it reads (`replication`). A name planted on Object.prototype by a
// prototype pollution elsewhere in the host (a startup `options` that changes the search path,
// `replication`, `application_name`) would be read as an option the caller did not set. So each
// client the pool makes gets its configuration on a null prototype, with the connection string
// parsed here as pg parses it, and pg's defaults own every name pg reads from them.
import { createRequire } from 'node:module';
import pg from 'pg';
import type { ClientConfig, PoolConfig } from 'pg';

const require = createRequire(import.meta.url);
// pg's own parser of connection strings (a dependency of pg, resolved from pg's place).
const { parse } = createRequire(require.resolve('pg'))('pg-connection-string') as {
  readonly parse: (connectionString: string) => Record<string, unknown>;
};

/** The names pg reads from its defaults when a configuration does not set them. */
const DEFAULTED = [
  'application_name',
  'binary',
  'client_encoding',
  'database',
  'fallback_application_name',
  'host',
  'idle_in_transaction_session_timeout',
  'lock_timeout',
  'options',
  'password',
  'port',
  'query_timeout',
  'replication',
  'sslnegotiation',
  'statement_timeout',
  'user',
] as const;

let defaultsOwned = false;

/** Gives pg's defaults an own (undefined) value for every name it lacks: the same answer. */
function ownDefaults(): void {
  if (defaultsOwned) return;
  const defaults = pg.defaults as unknown as Record<string, unknown>;
  for (const name of DEFAULTED) {
    if (!Object.hasOwn(defaults, name))
      Object.defineProperty(defaults, name, {
        value: undefined,
        writable: true,
        enumerable: false,
        configurable: true,
      });
  }
  defaultsOwned = true;
}

/** `object`'s own enumerable data properties, on a null prototype. */
function ownCopy(object: object): Record<string, unknown> {
  const copy = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    const descriptor = Object.getOwnPropertyDescriptor(object, key);
    if (descriptor !== undefined && 'value' in descriptor) copy[key] = descriptor.value;
  }
  return copy;
}

/** A client's configuration as pg would read it, on a null prototype. */
function ownClientConfig(config: unknown): ClientConfig {
  let own: Record<string, unknown>;
  if (typeof config === 'string') own = ownCopy(parse(config));
  else if (typeof config === 'object' && config !== null) own = ownCopy(config);
  else own = Object.create(null) as Record<string, unknown>;
  const connectionString = own['connectionString'];
  if (typeof connectionString === 'string' && connectionString !== '') {
    // As pg merges it: what the string says overrides the other options.
    Object.assign(own, ownCopy(parse(connectionString)));
  }
  delete own['connectionString'];
  return own;
}

/**
 * The configuration for `new pg.Pool()`: the caller's own options on a null prototype, and a
 * client class (the caller's `Client`, or pg's) whose clients read only what was set.
 *
 * @example
 * ```ts
 * const pool = new pg.Pool(ownPoolConfig({ connectionString: process.env.DATABASE_URL }));
 * ```
 * @throws nothing itself; a client made with a malformed connection string throws what pg's
 * parser throws for it, when pg-pool makes the client (as pg would).
 */
export function ownPoolConfig(config: PoolConfig): PoolConfig {
  ownDefaults();
  const own = ownCopy(config);
  const Base = (typeof own['Client'] === 'function' ? own['Client'] : pg.Client) as typeof pg.Client;
  own['Client'] = class OwnConfigClient extends Base {
    constructor(clientConfig?: string | ClientConfig) {
      super(ownClientConfig(clientConfig));
    }
  };
  return own;
}
