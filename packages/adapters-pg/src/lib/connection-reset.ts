// A pooled connection serves one gated session at a time, and the next session only after the
// server-side state the previous one left is reset: DISCARD ALL (SET SESSION AUTHORIZATION
// DEFAULT, RESET ALL — role, search_path and every setting —, CLOSE ALL — WITH HOLD cursors —,
// UNLISTEN *, pg_advisory_unlock_all(), DEALLOCATE ALL, DISCARD TEMP/PLANS/SEQUENCES). A
// connection that cannot be reset is closed instead.
import type { PoolClient } from 'pg';
import { runInternal } from './run-internal.js';

/** The last session (any object standing for it) each connection served. */
const lastOwner = new WeakMap<PoolClient, object>();

/**
 * Makes `client` fit to serve `owner`: when another owner (or nobody the gate knows of: a
 * handed-over pool's connection) used it last, resets the server-side session state first.
 * `undefined` (at once) when `owner` used it last: there is nothing to wait for.
 *
 * @throws the driver's error when the reset fails (the promise rejects): the caller closes the
 * connection.
 */
export function claimConnection(client: PoolClient, owner: object): Promise<void> | undefined {
  if (lastOwner.get(client) === owner) return undefined;
  return resetFor(client, owner);
}

async function resetFor(client: PoolClient, owner: object): Promise<void> {
  // Forgotten first: if the reset fails half-way, the connection is never handed out as clean.
  lastOwner.delete(client);
  await runInternal(client, 'DISCARD ALL');
  // The driver remembers which named statements it parsed; DISCARD ALL dropped them all.
  const connection = (client as unknown as { connection?: { parsedStatements?: Record<string, string> } })
    .connection;
  if (connection?.parsedStatements !== undefined) connection.parsedStatements = {};
  lastOwner.set(client, owner);
}
