/**
 * pg-cursor and pg-query-stream through the gate. The caller's cursor is never submitted (it
 * would hold the raw connection): the gate opens its own pg-cursor with the same text, values
 * and options, and the caller's `read`/`close` are replaced by ones that return masked rows.
 *
 * Column sources must be known before the first row is shown, and the connection is busy with
 * the cursor's portal from then on, so the statement is first described (Parse + Describe,
 * which does not run it) and its columns resolved on the same connection.
 */
import type { GateRun } from '@portcullis/core';
import type { PoolClient } from 'pg';
import type { CursorCall, StreamCall } from '../internal-types.js';
import { runInternal } from './run-internal.js';
import type { PoolContext } from './pool-context.js';
import { maskingFor, parseRow, parsersFor, RAW_TEXT, type RawField } from './shape-result.js';
import { issueTickets, queryTickets, revokeTickets } from './wire-guard.js';

/** How a cursor ended, for its `result` event. */
export interface CursorOutcome {
  readonly error?: unknown;
  readonly command?: string;
  readonly rowCount: number;
  /** The first masked rows, up to the recording cap. */
  readonly sample: readonly unknown[];
  readonly masked: number;
}

/** The gate's side of an open cursor. */
export interface CursorHandle {
  read(rows: number): Promise<unknown[]>;
  close(): Promise<void>;
  /** Settles once the cursor is done, closed or failed; never rejects. */
  readonly finished: Promise<CursorOutcome>;
}

interface OpenCursorInput {
  readonly ctx: PoolContext;
  readonly client: PoolClient;
  readonly call: CursorCall | StreamCall;
  readonly run: GateRun<unknown>;
  readonly onNotice: (notice: unknown) => void;
}

/**
 * Describes the statement, resolves its column sources, and opens the gate's own cursor. Each
 * read is counted against the caps before it is masked and handed out.
 *
 * @example
 * ```ts
 * const handle = await openCursor({ ctx, client, call, run, onNotice });
 * const rows = await handle.read(100); // masked
 * ```
 * @throws the server's error for a statement that does not prepare; a catalog failure.
 */
export async function openCursor(input: OpenCursorInput): Promise<CursorHandle> {
  const { ctx, client, call, run } = input;
  client.on('notice', input.onNotice);
  let described: readonly RawField[];
  let columns: ReturnType<typeof maskingFor>;
  try {
    described = await describe(client, call.text);
    const sources = await ctx.catalog.sources(described, (sql) => runInternal(client, sql));
    columns = maskingFor(run.masking, described, sources);
  } catch (err) {
    client.off('notice', input.onNotice);
    throw err;
  }
  const parsers = call.types === undefined ? undefined : parsersFor(described, call.types);

  const Cursor = await ctx.cursorClass();
  const cursor = new Cursor(call.text, call.values === undefined ? undefined : [...call.values], {
    ...(call.rowMode === undefined ? {} : { rowMode: call.rowMode }),
    ...(call.types === undefined ? {} : { types: RAW_TEXT }),
  });

  let rowCount = 0;
  const sample: unknown[] = [];
  let settle!: (outcome: CursorOutcome) => void;
  const finished = new Promise<CursorOutcome>((resolve) => {
    settle = resolve;
  });
  let done = false;
  const finish = (error?: unknown): void => {
    if (done) return;
    done = true;
    revokeTickets(client);
    client.off('notice', input.onNotice);
    settle({
      rowCount,
      sample,
      masked: columns.masked,
      command: 'SELECT',
      ...(error === undefined ? {} : { error }),
    });
  };
  cursor.once('end', () => {
    finish();
  });

  // The client is idle (the describe and catalog queries have completed), so pg writes the
  // cursor's Parse and Bind now, inside query(): the tickets are used or dropped at once.
  issueTickets(client, queryTickets({ text: call.text, extended: true }));
  try {
    client.query(cursor as never);
  } finally {
    revokeTickets(client);
  }

  const maskRows = (rows: unknown[]): unknown[] => {
    if (cursor._result.fields.length !== described.length) {
      throw new Error('the cursor returned other columns than its statement described; nothing is shown');
    }
    let bytes = 0;
    for (const row of rows) bytes += approximateBytes(row);
    run.count(rows.length, bytes);
    return rows.map((row) => {
      const masked = columns.row(row);
      const shown = parsers === undefined ? masked : parseRow(masked, described, parsers);
      if (sample.length < ctx.resultRows) sample.push(shown);
      rowCount++;
      return shown;
    });
  };

  return {
    finished,
    read(rows) {
      return new Promise<unknown[]>((resolve, reject) => {
        if (done) {
          resolve([]);
          return;
        }
        cursor.read(rows, (err, got) => {
          if (err !== undefined && err !== null) {
            const safe = run.safeError(err);
            finish(safe);
            reject(safe);
            return;
          }
          try {
            resolve(maskRows(got));
          } catch (failure) {
            const safe = run.safeError(failure);
            finish(safe);
            reject(safe);
          }
        });
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        if (done) {
          resolve();
          return;
        }
        cursor.close((err) => {
          finish(err === undefined || err === null ? undefined : run.safeError(err));
          resolve();
        });
      });
    },
  };
}

/** The text size of a parsed row, for the byte cap: its string values' lengths. */
function approximateBytes(row: unknown): number {
  let bytes = 0;
  const values = Array.isArray(row) ? (row as unknown[]) : Object.values(row as Record<string, unknown>);
  for (const value of values) bytes += typeof value === 'string' ? value.length : 8;
  return bytes;
}

/**
 * Parse + Describe (statement) + Sync: the statement's result columns, without running it.
 * A pg Submittable of the gate's own.
 */
function describe(client: PoolClient, text: string): Promise<readonly RawField[]> {
  return new Promise((resolve, reject) => {
    let fields: readonly RawField[] = [];
    let failed = false;
    const submittable = {
      submit(connection: {
        parse(q: { text: string }): void;
        describe(m: { type: 'S'; name: string }): void;
        sync(): void;
      }): null {
        connection.parse({ text });
        connection.describe({ type: 'S', name: '' });
        connection.sync();
        return null;
      },
      handleRowDescription(msg: { fields: readonly RawField[] }): void {
        fields = msg.fields.map((f) => ({ ...f }));
      },
      handleError(err: Error): void {
        failed = true;
        revokeTickets(client);
        reject(err);
      },
      handleReadyForQuery(): void {
        revokeTickets(client);
        if (!failed) resolve(fields);
      },
      handleDataRow: noop,
      handleCommandComplete: noop,
      handleEmptyQuery: noop,
      handlePortalSuspended: noop,
      handleCopyInResponse: noop,
      handleCopyData: noop,
    };
    issueTickets(client, [`P\u0000\u0000${text}`]);
    client.query(submittable as never);
  });
}

function noop(): void {
  // Describe produces none of these.
}
