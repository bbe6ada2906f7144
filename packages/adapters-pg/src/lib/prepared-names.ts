// One model of the connection's prepared-statement names. PostgreSQL has one namespace per
// connection for protocol-level named statements (Parse) and SQL PREPARE; the session's protocol
// map (name → text) and the driver's own cache of parsed names must forget a name as soon as SQL
// may have changed what it means (DEALLOCATE, DEALLOCATE ALL, DISCARD ALL, PREPARE of the same
// name), whether or not that statement reported success: the driver then sends Parse again,
// which the server refuses if the name was re-prepared by SQL, so a name checked as one text
// never runs as another.
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
