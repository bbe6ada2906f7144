import type { Pool } from 'pg';
import { checkSchemaName } from './lib/migrate-schema-name.js';

/** Options of {@link exportRecording}. */
export interface ExportRecordingOptions {
  /** The schema `migrate()` created the tables in (default `portcullis`). */
  readonly schema?: string;
  /** Only this session's events (default: every session, interleaved as they were written). */
  readonly session?: string;
}

// Rows fetched per round trip, so a long recording is read in bounded pieces.
const PAGE = 5000;

/**
 * Reads a recording written by {@link createPgRecordingSink} back as JSON Lines: each event's
 * stored line followed by a newline, in the order they were written — byte for byte what the
 * file sink would have written for the same events. Check it with `verifyRecording` or save it
 * for `portcullis verify` / `portcullis replay`.
 *
 * @example
 * ```ts
 * const text = await exportRecording(pool, { session });
 * verifyRecording(text).ok; // true unless a row was altered
 * ```
 * @throws TypeError for an invalid schema name; rejects with the database's error when the
 * table cannot be read.
 */
export async function exportRecording(pool: Pool, options: ExportRecordingOptions = {}): Promise<string> {
  const schema = checkSchemaName(options.schema);
  const session = options.session ?? null;
  if (session !== null && typeof (session as unknown) !== 'string') {
    throw new TypeError('session must be a session id string');
  }
  let text = '';
  let after = 0n;
  for (;;) {
    const page = await pool.query<{ position: string; line: string }>(
      `SELECT id::text AS position, line FROM ${schema}.recording
        WHERE id > $1::bigint AND ($2::text IS NULL OR session = $2)
        ORDER BY id LIMIT ${PAGE}`,
      [after.toString(), session],
    );
    for (const row of page.rows) text += `${row.line}\n`;
    const last = page.rows.at(-1);
    if (last === undefined || page.rows.length < PAGE) return text;
    after = BigInt(last.position);
  }
}
