// The session's protocol-level names (name → text) follow PostgreSQL's one namespace per
// connection, shared with SQL PREPARE: a name is forgotten as soon as SQL may have changed what
// it means (DEALLOCATE, DEALLOCATE ALL, DISCARD ALL, PREPARE of the same name), whether or not
// that statement reported success. The names themselves never reach the server (the adapter
// sends every statement unnamed, with its text), so this only keeps the alias honest; the
// driver's cache of parsed names is cleared too, in case a handed-over pool's client has one.
import { DeniedError } from '@portcullis/core';
import type { PoolClient } from 'pg';
import type { SqlEffects } from './pool-context.js';

/** Forgets, in `named` and in the driver's cache on `client`, every name `effects` may have changed. */
export function forgetChangedNames(
  named: Map<string, string>,
  client: PoolClient,
  effects: SqlEffects,
): void {
  if (!effects.deallocatesAll && effects.deallocates.length === 0 && effects.prepares.length === 0) return;
  const connection = (client as unknown as { connection?: { parsedStatements?: Record<string, string> } })
    .connection;
  const parsed = connection?.parsedStatements;
  if (effects.deallocatesAll) {
    named.clear();
    if (connection !== undefined) connection.parsedStatements = {};
    return;
  }
  for (const name of [...effects.deallocates, ...effects.prepares.map((p) => p.name)]) {
    named.delete(name);
    if (parsed !== undefined) Reflect.deleteProperty(parsed, name);
  }
}

/** What the session knows of its SQL-level prepared statements (see PgConnection). */
export interface PreparedSources {
  preparedSql(name: string): { readonly request: string } | undefined;
  forgetPrepared(name: string): void;
}

// The server's own record of the connection's SQL-level prepared statements: every name, view and
// column qualified, so nothing in pg_temp can stand in for it.
const SERVER_PREPARED =
  'SELECT name::pg_catalog.text, statement::pg_catalog.text FROM pg_catalog.pg_prepared_statements WHERE from_sql';

/**
 * Checks, on the connection about to run it, that every SQL-level prepared statement a request
 * runs is the one this session prepared through the gate: the server keeps the request text each
 * was prepared in, and dynamic SQL (a function or a DO block) can deallocate and re-prepare a
 * name where no reading of the request texts sees it. A name that is missing or differs is
 * forgotten, and the request refused before anything of it runs.
 *
 * @example
 * ```ts
 * await verifyPrepared(['p'], conn, (sql) => runInternal(client, sql));
 * ```
 * @throws DeniedError naming the statement; the catalog query's error.
 */
export async function verifyPrepared(
  names: readonly string[],
  sources: PreparedSources,
  query: (sql: string) => Promise<readonly (readonly unknown[])[]>,
): Promise<void> {
  if (names.length === 0) return;
  const server = new Map<unknown, unknown>();
  for (const [name, statement] of await query(SERVER_PREPARED)) server.set(name, statement);
  for (const name of names) {
    const known = sources.preparedSql(name);
    if (known !== undefined && server.get(name) === known.request) continue;
    sources.forgetPrepared(name);
    const reason = `prepared statement "${name}" on the server is not the statement this session prepared through the gate (it was changed where the gate cannot see, for instance by dynamic SQL); nothing ran — PREPARE it again`;
    throw new DeniedError(`denied: ${reason}`, {
      effect: 'deny',
      rules: [],
      reasons: [reason],
      actions: [],
      recordingRequired: false,
    });
  }
}
