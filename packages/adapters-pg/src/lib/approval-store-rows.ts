// Storage helpers of the PostgreSQL approval store: records as JSON text, errors as
// ERR_APPROVAL_STORE, and transactions that run their effects only after COMMIT.
import { ApprovalError, type ApprovalRequest, type ApprovalStatus } from '@portcullis/core';
import type { Pool, PoolClient } from 'pg';

const STATUSES: ReadonlySet<string> = new Set<ApprovalStatus>([
  'pending',
  'approved',
  'reserved',
  'denied',
  'consumed',
  'expired',
]);

/**
 * Parses a stored record and freezes it, so callers cannot change what they were given.
 *
 * @throws Error when the row does not hold an approval request with this id (a damaged row).
 */
export function parseRecord(id: string, text: string): ApprovalRequest {
  const value = JSON.parse(text) as Partial<ApprovalRequest> | null;
  if (
    typeof value !== 'object' ||
    value === null ||
    value.id !== id ||
    typeof value.requestHash !== 'string' ||
    typeof value.status !== 'string' ||
    !STATUSES.has(value.status) ||
    typeof value.requester !== 'object' ||
    !Array.isArray(value.votes) ||
    !Array.isArray(value.requirements)
  ) {
    throw new Error(`the stored approval ${id} is damaged (not an approval request with that id)`);
  }
  return deepFreeze(value as ApprovalRequest);
}

/**
 * Turns anything a store operation threw into what the store contract allows: the rule errors of
 * the pure functions pass through; everything else (the driver, the network, a damaged row) is
 * `ERR_APPROVAL_STORE` with the cause chained and, when the tables are missing, what to do.
 * API misuse is checked before a store operation starts, so it never reaches here.
 */
export function toStoreError(err: unknown, schema: string, id?: string): ApprovalError {
  if (err instanceof ApprovalError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const detail =
    code === '42P01' || code === '3F000'
      ? `the approval tables do not exist in schema ${schema}; run migrate(pool${schema === 'portcullis' ? '' : `, { schema: '${schema}' }`}) first`
      : messageOf(err);
  return new ApprovalError(
    'ERR_APPROVAL_STORE',
    `the PostgreSQL approval store failed: ${detail}`,
    id,
    causeOf(err),
  );
}

/** Something to do once the transaction has committed. */
export type AfterCommit = () => void;

/**
 * Runs `work` in a transaction on one pooled connection and, once COMMIT succeeded, the effects
 * it queued (waking waiters, telling subscribers): nothing is announced that did not persist.
 * Rolls back on any failure; a connection that cannot even roll back is destroyed.
 */
export async function inTransaction<T>(
  pool: Pool,
  work: (client: PoolClient, after: (effect: AfterCommit) => void) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  const effects: AfterCommit[] = [];
  try {
    await client.query('BEGIN');
    let result: T;
    try {
      result = await work(client, (effect) => effects.push(effect));
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    }
    for (const effect of effects) effect();
    return result;
  } finally {
    client.release(broken);
  }
}

/**
 * The message of anything thrown, safe to pass on to whoever made the request: a connection
 * failure says what failed (`ECONNREFUSED`, …) but never the state database's host or port, and
 * any `host:port` or address left in a message is replaced.
 */
export function messageOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code))
    return `the state database is unreachable (${code})`;
  const message = err instanceof Error ? err.message : String(err);
  return message
    .replace(/\[[0-9a-fA-F:.]+\](?::\d+)?/g, '<address>')
    .replace(/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b/g, '<address>')
    .replace(/\b[\w-]+(?:\.[\w-]+)*:\d{2,5}\b/g, '<address>');
}

/** The cause to chain: a connection failure's own error holds the address, so it is left out. */
export function causeOf(err: unknown): { cause?: unknown } {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? {} : { cause: err };
}

/** Freezes a record and everything in it, so callers cannot change what the store holds. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
