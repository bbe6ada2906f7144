import type { PoolClient } from 'pg';
import { issueTickets, queryTickets, revokeTickets } from './wire-guard.js';

/**
 * Runs one of the adapter's own statements (catalog lookups) on a guarded client, with a
 * ticket for exactly its text. Rows come back as arrays; nothing of it reaches a caller. With
 * `values`, the statement is sent with bound parameters (the extended protocol).
 *
 * @example
 * ```ts
 * const rows = await runInternal(client, 'SELECT 1');
 * ```
 * @throws the driver's error.
 */
export async function runInternal(
  client: PoolClient,
  text: string,
  values?: readonly unknown[],
): Promise<readonly (readonly unknown[])[]> {
  issueTickets(client, queryTickets({ text, values }));
  try {
    const result = (await client.query({
      text,
      rowMode: 'array',
      ...(values === undefined ? {} : { values: [...values] }),
    })) as unknown as { rows: unknown[][] };
    return result.rows;
  } finally {
    revokeTickets(client);
  }
}
