import { RecordingError, serializeEvent, type RecordEvent, type RecordingSink } from '@portcullis/core';
import type { Pool } from 'pg';
import { causeOf, messageOf } from './lib/approval-store-rows.js';
import { inTransaction } from './lib/in-transaction.js';
import { checkSchemaName } from './lib/migrate-schema-name.js';

/** Options of {@link createPgRecordingSink}. */
export interface PgRecordingSinkOptions {
  /** The schema `migrate()` created the tables in (default `portcullis`). */
  readonly schema?: string;
}

/** The PostgreSQL {@link RecordingSink}. */
export interface PgRecordingSink extends RecordingSink {
  /** The schema it writes to. */
  readonly schema: string;
}

// Keeps one INSERT's parameters well under PostgreSQL's limits even for large batches.
const MAX_ROWS_PER_INSERT = 1000;

/**
 * A {@link RecordingSink} that appends events to `<schema>.recording`, an append-only table
 * (triggers refuse `UPDATE`, `DELETE` and `TRUNCATE` for every role). Each row keeps the event's
 * stored line exactly as the file sink writes it, so {@link exportRecording} gives back a JSON
 * Lines recording that `verifyRecording` and `portcullis verify` check with the same chain; a
 * unique `(session, seq)` refuses a second event in the same place of a session's chain.
 *
 * Appends are written in call order, one multi-row INSERT per batch (appends made while one is
 * in flight share the next), each durable once it resolves. A failed append rejects with a
 * {@link RecordingError} and writes nothing, so a required recording fails closed; later appends
 * (of other sessions) may succeed. Run {@link migrate} first. Several processes may write to one
 * table at once. The pool is the host's; `close()` does not end it.
 *
 * @example
 * ```ts
 * await migrate(pool);
 * const recorder = createRecorder({ sink: createPgRecordingSink(pool) });
 * // … later, for auditors:
 * await writeFile('audit.jsonl', await exportRecording(pool));
 * ```
 * @throws TypeError when `pool` is not a `pg.Pool` or the schema name is invalid; `append()`
 * rejects with a TypeError after `close()` or for an event without a JSON form.
 */
export function createPgRecordingSink(pool: Pool, options: PgRecordingSinkOptions = {}): PgRecordingSink {
  if (typeof (pool as Partial<Pool> | null)?.query !== 'function' || typeof pool.connect !== 'function') {
    throw new TypeError('createPgRecordingSink() takes a pg.Pool');
  }
  const schema = checkSchemaName(options.schema);
  const table = `${schema}.recording`;
  let closed = false;
  let waiting: Pending[] = [];
  let draining = false;
  let writing: Promise<void> = Promise.resolve();

  // Writes everything queued, one batch after another, until the queue is empty. The flag is
  // cleared in the same step that finds the queue empty, so no append is ever left behind.
  const drain = async (): Promise<void> => {
    draining = true;
    try {
      await loop();
    } finally {
      draining = false;
    }
  };
  const loop = async (): Promise<void> => {
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      try {
        await insertRows(
          pool,
          table,
          batch.flatMap((p) => p.rows),
        );
        for (const p of batch) p.resolve();
      } catch (err) {
        if (batch.length === 1) {
          batch[0]?.reject(err);
          continue;
        }
        // One bad append (say, a repeated (session, seq)) must not fail the others it shared
        // the statement with: write each on its own.
        for (const p of batch) {
          await insertRows(pool, table, p.rows).then(p.resolve, p.reject);
        }
      }
    }
  };

  return {
    schema,
    append(events) {
      if (closed) return Promise.reject(new TypeError('the PostgreSQL recording sink is closed'));
      if (events.length === 0) return Promise.resolve();
      let rows: Row[];
      try {
        rows = events.map((e) => ({ event: e, line: serializeEvent(e) }));
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new TypeError(String(err)));
      }
      const done = new Promise<void>((resolve, reject) => {
        waiting.push({ rows, resolve, reject });
      });
      if (!draining) writing = drain();
      return done.catch((err: unknown) => {
        throw new RecordingError(`writing the recording to ${table} failed: ${messageOf(err)}`, causeOf(err));
      });
    },
    async flush() {
      // Each append is committed when it resolves; flushing waits for those in flight.
      await writing;
    },
    async close() {
      closed = true;
      await writing;
    },
  };
}

/** One event and its stored line. */
export interface Row {
  readonly event: RecordEvent;
  readonly line: string;
}

interface Pending {
  readonly rows: readonly Row[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

// Inserts rows in order: one statement, or one transaction of several for a large batch, so an
// append lands whole or not at all.
async function insertRows(pool: Pool, table: string, rows: readonly Row[]): Promise<void> {
  if (rows.length <= MAX_ROWS_PER_INSERT) {
    await pool.query(insertText(table), columns(rows));
    return;
  }
  await inTransaction(pool, async (client) => {
    for (let start = 0; start < rows.length; start += MAX_ROWS_PER_INSERT) {
      await client.query(insertText(table), columns(rows.slice(start, start + MAX_ROWS_PER_INSERT)));
    }
  });
}

/** The INSERT of a batch of rows (with {@link columns}); shared with `pruneRecording`. */
export function insertText(table: string): string {
  // A function scan yields the arrays in order and identity values are drawn row by row as
  // they arrive. No ORDER BY: PostgreSQL may draw them below a sort, out of order.
  return `INSERT INTO ${table} (session, seq, ts, type, hash, line)
    SELECT * FROM unnest($1::text[], $2::int[], $3::timestamptz[], $4::text[], $5::text[], $6::text[])`;
}

/** The parameters of {@link insertText} for `rows`. */
export function columns(rows: readonly Row[]): unknown[] {
  return [
    rows.map((r) => r.event.session),
    rows.map((r) => r.event.seq),
    rows.map((r) => r.event.ts),
    rows.map((r) => r.event.type),
    rows.map((r) => r.event.hash),
    rows.map((r) => r.line),
  ];
}
