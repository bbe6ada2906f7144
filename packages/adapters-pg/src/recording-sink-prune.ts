import { buildTombstones, serializeEvent, type PrunedSession } from '@portcullis/core';
import type { KeyObject } from 'node:crypto';
import type { Pool } from 'pg';
import { inTransaction } from './lib/in-transaction.js';
import { checkSchemaName } from './lib/migrate-schema-name.js';
import { columns, insertText } from './recording-sink.js';

/** Options of {@link pruneRecording}. */
export interface PgPruneOptions {
  /** Prune sessions whose last event was recorded before this instant. */
  readonly before: Date;
  /** The Ed25519 private key the tombstone is sealed with. */
  readonly sealingKey: KeyObject | string;
  /** The retention as written (`90d`), kept in the tombstone. */
  readonly olderThan?: string;
  /** The schema `migrate()` created the tables in (default `portcullis`). */
  readonly schema?: string;
  /** The clock (default `() => new Date()`). */
  readonly now?: () => Date;
}

/** What {@link pruneRecording} removed. */
export interface PgPruneResult {
  readonly pruned: readonly PrunedSession[];
  /** The tombstone sessions written (none when nothing was pruned). */
  readonly tombstones: readonly string[];
}

/**
 * Removes whole sessions whose last event is older than `before` from `<schema>.recording` and,
 * in the same transaction, appends a signed tombstone listing each removed session with its
 * event count and last hash (see `buildTombstones` in @portcullis/core), so an export of what
 * remains still verifies and says what was pruned. Needs schema version 2 (`migrate()`) and a
 * role with DELETE on the table; the table's trigger refuses any DELETE outside a prune.
 *
 * @example
 * ```ts
 * const before = new Date(Date.now() - 90 * 86_400_000);
 * const { pruned } = await pruneRecording(pool, { before, sealingKey, olderThan: '90d' });
 * ```
 * @throws TypeError for an invalid schema name or sealing key; rejects with the database's
 *   error (nothing is removed) when the transaction fails.
 */
export async function pruneRecording(pool: Pool, options: PgPruneOptions): Promise<PgPruneResult> {
  const schema = checkSchemaName(options.schema);
  const table = `${schema}.recording`;
  return inTransaction(pool, async (client) => {
    await client.query("SET LOCAL portcullis.pruning = 'on'");
    // Lock out writers of the sessions being judged, so none gains an event mid-prune.
    await client.query(`LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`);
    const found = await client.query<{
      session: string;
      events: string;
      last_seq: number;
      last_hash: string;
      first_ts: string;
      last_ts: string;
    }>(
      `SELECT session, count(*)::text AS events, max(seq) AS last_seq,
              (array_agg(hash ORDER BY seq DESC))[1] AS last_hash,
              (array_agg(line::json->>'ts' ORDER BY seq))[1] AS first_ts,
              (array_agg(line::json->>'ts' ORDER BY seq DESC))[1] AS last_ts
         FROM ${table} GROUP BY session HAVING max(ts) < $1 ORDER BY min(id)`,
      [options.before.toISOString()],
    );
    const pruned: PrunedSession[] = found.rows.map((r) => ({
      session: r.session,
      events: Number(r.events),
      lastSeq: r.last_seq,
      lastHash: r.last_hash,
      firstTs: r.first_ts,
      lastTs: r.last_ts,
    }));
    if (pruned.length === 0) return { pruned, tombstones: [] };
    await client.query(`DELETE FROM ${table} WHERE session = ANY($1::text[])`, [
      pruned.map((p) => p.session),
    ]);
    const events = await buildTombstones(pruned, {
      before: options.before,
      at: (options.now ?? ((): Date => new Date()))(),
      sealingKey: options.sealingKey,
      ...(options.olderThan === undefined ? {} : { olderThan: options.olderThan }),
    });
    const rows = events.map((event) => ({ event, line: serializeEvent(event) }));
    await client.query(insertText(table), columns(rows));
    return { pruned, tombstones: [...new Set(events.map((e) => e.session))] };
  });
}
