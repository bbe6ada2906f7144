import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres } from './embedded-postgres.js';

/** A PostgreSQL database that belongs to one test file. */
export interface TestDatabase {
  /** A `postgres://` connection string for `pg`. */
  readonly url: string;
  /** `postgres`: a real server (from `PORTCULLIS_PG_URL` or `PG*`); `pglite`: an embedded PGlite server. */
  readonly kind: 'postgres' | 'pglite';
  /**
   * Whether separate connections are separate backend sessions. PGlite has one backend session
   * shared by every connection, so LISTEN/NOTIFY between connections, row locks between
   * transactions and per-connection session state do not behave as on a real server.
   */
  readonly multiSession: boolean;
  /** Drops the database (real server) or stops the embedded server. Idempotent. */
  close(): Promise<void>;
}

/** The reason shown beside tests that need real multi-session PostgreSQL when running on PGlite. */
export const NEEDS_MULTI_SESSION =
  'needs a real multi-session PostgreSQL (set PORTCULLIS_PG_URL); PGlite shares one backend session between connections';

/**
 * The server URL the tests should use, from `PORTCULLIS_PG_URL`, or built from the standard
 * libpq variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`) when `PGHOST` or
 * `PGDATABASE` is set; `undefined` when neither is configured.
 *
 * @example
 * ```ts
 * configuredServerUrl({ PORTCULLIS_PG_URL: 'postgres://127.0.0.1:5432/test' });
 * ```
 */
export function configuredServerUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env['PORTCULLIS_PG_URL'];
  if (explicit !== undefined && explicit !== '') return explicit;
  const host = env['PGHOST'];
  const database = env['PGDATABASE'];
  if ((host === undefined || host === '') && (database === undefined || database === '')) return undefined;
  const url = new URL('postgres://localhost');
  if (host !== undefined && host !== '') {
    // A socket directory is passed as ?host=, as libpq does.
    if (host.startsWith('/')) url.searchParams.set('host', host);
    else url.hostname = host;
  }
  if (env['PGPORT']) url.port = env['PGPORT'];
  if (env['PGUSER']) url.username = encodeURIComponent(env['PGUSER']);
  if (env['PGPASSWORD']) url.password = encodeURIComponent(env['PGPASSWORD']);
  url.pathname = `/${encodeURIComponent(database ?? 'postgres')}`;
  return url.toString();
}

/**
 * Creates a database for one test file. With a configured server (see
 * {@link configuredServerUrl}) it creates a fresh database there and drops it on `close()`;
 * otherwise it starts an embedded PGlite socket server on a free loopback port.
 *
 * @example
 * ```ts
 * let db: TestDatabase;
 * beforeAll(async () => { db = await createTestDatabase(); });
 * afterAll(() => db.close());
 * ```
 * @throws When the configured server cannot be reached: tests must not silently fall back.
 */
export async function createTestDatabase(env: NodeJS.ProcessEnv = process.env): Promise<TestDatabase> {
  const server = configuredServerUrl(env);
  return server === undefined ? startPglite() : createOnServer(server);
}

async function createOnServer(serverUrl: string): Promise<TestDatabase> {
  const name = `portcullis_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let closed = false;
  return {
    url: url.toString(),
    kind: 'postgres',
    multiSession: true,
    async close() {
      if (closed) return;
      closed = true;
      const dropper = new pg.Client({ connectionString: serverUrl });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

async function startPglite(): Promise<TestDatabase> {
  const server = await startEmbeddedPostgres();
  return { url: server.url, kind: 'pglite', multiSession: false, close: () => server.close() };
}
