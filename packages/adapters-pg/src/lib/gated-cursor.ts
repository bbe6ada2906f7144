/**
 * pg-cursor and pg-query-stream through the gate. The caller's cursor is never submitted (it
 * would hold the raw connection): the gate opens its own pg-cursor with the same text, values
 * and options, and the caller's `read`/`close` are replaced by ones that return masked rows.
 *
 * Column sources must be known before the first row is shown, and the connection is busy with
 * the cursor's portal from then on, so the statement is first described (Parse + Describe,
 * which does not run it) and its columns resolved on the same connection.
 */
import type { PoolClient } from 'pg';
import type { CursorCall, StreamCall } from '../internal-types.js';
import { runInternal } from './run-internal.js';
import type { Masking } from './masking.js';
import type { PoolContext } from './pool-context.js';
import { maskColumns, RAW_TEXT, type RawField } from './shape-result.js';
import { toSafeError } from './safe-error.js';
import { issueTickets, queryTickets, revokeTickets } from './wire-guard.js';

/** How a cursor ended, for its `result` event. */
export interface CursorOutcome {
  readonly error?: Error;
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
  readonly masking: Masking;
  readonly onNotice: (notice: unknown) => void;
}

/**
 * Describes the statement, resolves its column sources, and opens the gate's own cursor.
 *
 * @example
 * ```ts
 * const handle = await openCursor({ ctx, client, call, masking, onNotice });
 * const rows = await handle.read(100); // masked
 * ```
 * @throws the server's error for a statement that does not prepare; a catalog failure.
 */
export async function openCursor(input: OpenCursorInput): Promise<CursorHandle> {
  const { ctx, client, call, masking } = input;
  const arrayMode = call.rowMode === 'array';
  client.on('notice', input.onNotice);
  let described: readonly RawField[];
  let columns: ReturnType<typeof maskColumns>;
  try {
    described = await describe(client, call.text);
    const sources = await ctx.catalog.sources(described, (sql) => runInternal(client, sql));
    columns = maskColumns(described, sources, arrayMode);
  } catch (err) {
    client.off('notice', input.onNotice);
    throw err;
  }
  const parsers =
    call.types === undefined
      ? undefined
      : described.map((f) => types(call).getTypeParser(f.dataTypeID, f.format));

  const Cursor = await ctx.cursorClass();
  const cursor = new Cursor(call.text, call.values === undefined ? undefined : [...call.values], {
    ...(call.rowMode === undefined ? {} : { rowMode: call.rowMode }),
    ...(call.types === undefined ? {} : { types: RAW_TEXT }),
  });

  let rowCount = 0;
  let masked = 0;
  const sample: unknown[] = [];
  let settle!: (outcome: CursorOutcome) => void;
  const finished = new Promise<CursorOutcome>((resolve) => {
    settle = resolve;
  });
  let done = false;
  const finish = (error?: Error): void => {
    if (done) return;
    done = true;
    revokeTickets(client);
    client.off('notice', input.onNotice);
    settle({ ...(error === undefined ? {} : { error }), rowCount, sample, masked, command: 'SELECT' });
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
    return rows.map((row) => {
      const out = masking.row(row, columns, arrayMode);
      masked += out.masked;
      const shown = parsers === undefined ? out.row : parse(out.row, described, parsers, arrayMode);
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
            const safe = toSafeError(err, masking.text, ctx.target);
            finish(safe);
            reject(safe);
            return;
          }
          try {
            resolve(maskRows(got));
          } catch (failure) {
            const safe = toSafeError(failure, masking.text, ctx.target);
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
          finish(err === undefined || err === null ? undefined : toSafeError(err, masking.text, ctx.target));
          resolve();
        });
      });
    },
  };
}

type Parser = (value: string) => unknown;

function types(call: CursorCall | StreamCall): NonNullable<CursorCall['types']> {
  if (call.types === undefined) throw new TypeError('no type parsers');
  return call.types;
}

function apply(parsers: readonly Parser[], i: number, value: string): unknown {
  const parser = parsers[i];
  return parser === undefined ? value : parser(value);
}

function parse(
  row: unknown,
  fields: readonly RawField[],
  parsers: readonly Parser[],
  arrayMode: boolean,
): unknown {
  if (arrayMode) return (row as unknown[]).map((v, i) => (typeof v === 'string' ? apply(parsers, i, v) : v));
  const out: Record<string, unknown> = { ...(row as Record<string, unknown>) };
  const last = new Map<string, number>();
  fields.forEach((field, i) => last.set(field.name, i));
  for (const [name, i] of last) {
    const value = out[name];
    if (typeof value === 'string') out[name] = apply(parsers, i, value);
  }
  return out;
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
