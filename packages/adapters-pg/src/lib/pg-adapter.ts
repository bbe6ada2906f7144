/**
 * The pg adapter's three parts for the core gate runtime: toRequest (a call → the SQL request
 * and the session state it is classified in), execute (the only code that touches the
 * driver) and shape (the driver's result → the caller's masked result).
 */
import {
  DeniedError,
  ResultTooLargeError,
  type GateAdapter,
  type GateRequest,
  type GateRun,
  type MaskingPlan,
  type SqlLineage,
} from '@portcullis/core';
import pg from 'pg';
import type { PoolClient, QueryConfig } from 'pg';
import type { CursorCall, PgCall, QueryCall, StreamCall } from '../internal-types.js';
import { sqlRequestOf } from '../to-request.js';
import type { GatedQueryResult } from '../types.js';
import { openCursor, type CursorHandle, type CursorOutcome } from './gated-cursor.js';
import type { PgConnection } from './pg-connection.js';
import type { PoolContext, SqlEffects } from './pool-context.js';
import {
  assertLineage,
  cursorRefusal,
  lineageFor,
  lineageOfResult,
  lineageRefusal,
  readsProtected,
  withheldError,
} from './lineage-guard.js';
import { resolveRelations } from './relation-catalog.js';
import { forgetChangedNames, verifyPrepared } from './prepared-names.js';
import { runInternal } from './run-internal.js';
import { handleRowDescription, type DescribedQuery, type RowDescription } from './row-description.js';
import { createStateGuard } from './state-guard.js';
import { pgSafeError } from './safe-error.js';
import { RAW_TEXT, ResultRows, shapeResult, type RawResult } from './shape-result.js';
import {
  bypassOf,
  issueTickets,
  queryTickets,
  revokeTickets,
  type Ticket,
  settledStatus,
  statusIfSettled,
  transactionStatus,
} from './wire-guard.js';

/** One call as the gate runs it: the normalised pg call and where it runs. */
export interface PgGateCall {
  readonly call: PgCall;
  readonly conn: PgConnection;
  /** Inside a transaction: the connection it holds (set by its BEGIN), never released here. */
  readonly hold?: { client: PoolClient | undefined };
  /** A cursor or stream: receives the gate's cursor once it is open. */
  readonly opened?: (handle: CursorHandle) => void;
}

/** What execute hands to shape. */
export type PgRaw =
  | {
      readonly kind: 'query';
      readonly call: QueryCall;
      readonly results: readonly RawResult[];
      readonly multi: boolean;
      /** Per result: how its rows are made what the caller sees, and whether they already were. */
      readonly shapers: readonly { readonly rows: ResultRows; readonly shaped: boolean }[];
    }
  | { readonly kind: 'cursor'; readonly outcome: CursorOutcome };

// Texts whose effects are remembered, and how many (per pool).
const MAX_EFFECTS_TEXT = 16_384;
const MAX_EFFECTS = 512;

/** What the caller gets: a result, the results of a multi-statement text, or nothing (cursors). */
export type PgResult = GatedQueryResult | GatedQueryResult[] | undefined;

/**
 * The adapter over one gated pool's shared context.
 *
 * @example
 * ```ts
 * const gate = createGate({ portcullis, target, adapter: createPgAdapter(ctx) });
 * ```
 */
export function createPgAdapter(ctx: PoolContext): GateAdapter<PgGateCall, PgRaw, PgResult, SqlEffects> {
  // A text's session effects under a session's prepared statements (all they depend on), so a
  // repeated statement is not analysed again for them. Cleared whole when full: texts an agent
  // repeats come back at once. Keyed by the state, then the text: looking up the caller's own
  // strings builds and hashes no new key per request.
  const knownEffects = new Map<string, Map<string, SqlEffects>>();
  let effectsKnown = 0;
  const effectsOf = (text: string, conn: PgConnection): SqlEffects => {
    if (text.length > MAX_EFFECTS_TEXT) return ctx.effects(text, conn.context);
    const state = conn.state();
    let byText = knownEffects.get(state);
    let effects = byText?.get(text);
    if (effects === undefined) {
      effects = ctx.effects(text, conn.context);
      if (effectsKnown >= MAX_EFFECTS) {
        knownEffects.clear();
        effectsKnown = 0;
        byText = undefined;
      }
      if (byText === undefined) {
        byText = new Map();
        knownEffects.set(state, byText);
      }
      byText.set(text, effects);
      effectsKnown++;
    }
    return effects;
  };
  const stateRefusal = createStateGuard(ctx.stateSchemas);
  // The plan key of the last text: a repeated statement hands the runtime the same string (which
  // it then compares by identity) instead of building one per request.
  let lastKey: { readonly text: string; readonly count: number; readonly key: string } | undefined;
  // The SQL classifier reads the text, never the values: their number is the shape.
  const keyOf = (text: string, count: number): string => {
    if (lastKey !== undefined && lastKey.text === text && lastKey.count === count) return lastKey.key;
    const key = `${text}\u0000${count}`;
    lastKey = { text, count, key };
    return key;
  };
  // The request of a call's text: the one the call was normalised with when it runs that text.
  const requestOf = (call: PgCall, text: string): GateRequest['request'] =>
    call.request !== undefined && call.text === text ? call.request : sqlRequestOf(text, call.values);
  const adapter: GateAdapter<PgGateCall, PgRaw, PgResult, SqlEffects> = {
    toRequest: ({ call, conn }: PgGateCall): GateRequest => {
      const { text, refuse } = statementOf(call, conn);
      if (refuse !== undefined) return { request: { type: 'sql', sql: text }, refuse };
      const state = stateRefusal(text);
      if (state !== undefined) return { request: { type: 'sql', sql: text }, refuse: state };
      const unchecked = uncheckedExecute(effectsOf(text, conn), conn);
      if (unchecked !== undefined) return { request: requestOf(call, text), refuse: unchecked };
      return {
        request: requestOf(call, text),
        context: conn.context,
        state: conn.state(),
        key: keyOf(text, call.values?.length ?? 0),
      };
    },
    // Column rules, as far as the text tells: a protected column read where its rule does not
    // allow it is denied as the request's decision, before any approval or execution.
    screen: ({ call, conn }: PgGateCall, masking: MaskingPlan): string | undefined => {
      // Without column rules nothing is protected (lineageFor reads nothing either).
      if (!masking.masker.hasColumnRules) return undefined;
      const lineage = lineageFor(statementOf(call, conn).text, masking, {
        prepared: (name) => conn.preparedSql(name)?.statement,
      });
      return lineageRefusal(lineage) ?? (call.kind === 'query' ? undefined : cursorRefusal(lineage));
    },
    effects: (request, context) => ctx.effects(request.type === 'sql' ? request.sql : '', context ?? {}),
    execute: (gateCall: PgGateCall, run: GateRun<SqlEffects>): Promise<PgRaw> =>
      gateCall.call.kind === 'query'
        ? executeQuery(gateCall, gateCall.call, run)
        : executeCursor(gateCall, run),
    shape: (raw: PgRaw, run: GateRun<SqlEffects>) => shape(raw, run, ctx.resultRows),
    safeError: pgSafeError,
    capsHint: 'createGatedPool({ caps: { … } })',
    // A statement inside BEGIN … may still be rolled back: its grant is spent at COMMIT.
    reservesGrants: true,
  };
  return Object.freeze(adapter);
}

/** The text a call runs: its own, or for a name alone the text the name was prepared with. */
function statementOf(call: PgCall, conn: PgConnection): { readonly text: string; readonly refuse?: string } {
  if (call.kind !== 'query' || call.name === undefined) return { text: call.text ?? '' };
  const known = conn.named.get(call.name);
  if (call.text === undefined) {
    if (known !== undefined) return { text: known };
    return {
      text: '',
      refuse: `prepared statement "${call.name}" is not known to this session; send its text with the first use`,
    };
  }
  if (known !== undefined && known !== call.text) {
    return {
      text: call.text,
      refuse: `prepared statement "${call.name}" was prepared with another text; use a new name for a new text`,
    };
  }
  return { text: call.text };
}

/**
 * Why a text's EXECUTE of an SQL-level prepared statement cannot be checked before it runs: the
 * name was not prepared by this session through the gate, or the same text (re)defines it.
 */
function uncheckedExecute(effects: SqlEffects, conn: PgConnection): string | undefined {
  if (effects.executes.length === 0) return undefined;
  const redefined = new Set([...effects.prepares.map((p) => p.name), ...effects.deallocates]);
  for (const name of effects.executes) {
    if (effects.deallocatesAll || redefined.has(name)) {
      return `prepared statement "${name}" is prepared or deallocated and executed in one request; send PREPARE and EXECUTE as separate requests, so the gate can check the statement on the server before it runs`;
    }
    if (conn.preparedSql(name) === undefined) {
      return `prepared statement "${name}" was not prepared by this session through the gate (SQL PREPARE); PREPARE it first`;
    }
  }
  return undefined;
}

/**
 * The text's lineage on the connection that will run it: its relations resolved by the catalog
 * (an unqualified table's real schema, a view and what it reads) and its search_path checked,
 * right before it is sent. One catalog query, only under a profile with column rules; without
 * one (or when the catalog cannot help) the lineage comes at once, not as a promise.
 */
function connectionLineage(
  client: PoolClient,
  text: string,
  masking: MaskingPlan,
  conn: PgConnection,
  effects: SqlEffects,
): SqlLineage | Promise<SqlLineage> {
  if (!masking.masker.hasColumnRules) return lineageFor(text, masking);
  const prepared = (name: string): string | undefined => conn.preparedSql(name)?.statement;
  const written = lineageFor(text, masking, { prepared });
  // Transaction control alone reads nothing. In a failed transaction the server refuses every
  // other statement (so does a catalog query); a text that ends the failed transaction and then
  // reads cannot be checked first.
  const control = effects.statements > 0 && effects.transactions.length === effects.statements;
  if (control) return written;
  if (transactionStatus(client) === 'E') {
    if (effects.transactions.length === 0) return written;
    return {
      ...written,
      denied:
        'the transaction has failed: end it (ROLLBACK) in a request of its own before reading, so the catalog can be checked',
    };
  }
  return catalogLineage(client, text, masking, written, prepared);
}

async function catalogLineage(
  client: PoolClient,
  text: string,
  masking: MaskingPlan,
  written: SqlLineage,
  prepared: (name: string) => string | undefined,
): Promise<SqlLineage> {
  const { facts, beforeCatalog } = await resolveRelations(written.relations, (sql, values) =>
    runInternal(client, sql, values),
  );
  return lineageFor(text, masking, { prepared, relations: facts, beforeCatalog });
}

/** Checks prepared statements the text runs against the server, and its lineage (see above). */
function checkedLineage(
  client: PoolClient,
  text: string,
  run: GateRun<SqlEffects>,
  conn: PgConnection,
): SqlLineage | Promise<SqlLineage> {
  if (run.effects.executes.length === 0)
    return connectionLineage(client, text, run.masking, conn, run.effects);
  return verifyPrepared(run.effects.executes, conn, (sql) => runInternal(client, sql)).then(() =>
    connectionLineage(client, text, run.masking, conn, run.effects),
  );
}

/** The call's connection: at once when it is already held, else a promise of it. */
function clientFor(gateCall: PgGateCall): PoolClient | Promise<PoolClient> {
  const { hold, conn } = gateCall;
  if (hold === undefined) return conn.pinnedNow() ?? conn.acquire();
  if (hold.client !== undefined) return hold.client;
  return conn.acquire().then((client) => (hold.client = client));
}

/**
 * What the gate keeps per pg client, made at its first gated use: how a request on it is
 * stopped, and where its notices go. One `notice` listener per client, routed to the query
 * running on it, instead of one added and removed per query (EventEmitter's removeListener is
 * a measurable part of a point query's cost).
 */
interface ClientUse {
  /** Closes the connection under the request: the server's work ends with it. */
  readonly stop: () => void;
  /** The session whose query runs on the client now, and its masking; unset between queries. */
  noticeConn: PgConnection | undefined;
  noticeMasking: MaskingPlan | undefined;
}

const uses = new WeakMap<PoolClient, ClientUse>();

function useOf(client: PoolClient): ClientUse {
  let use = uses.get(client);
  if (use === undefined) {
    const made: ClientUse = {
      stop: () => {
        (
          client as unknown as { connection?: { stream?: { destroy(): void } } }
        ).connection?.stream?.destroy();
      },
      noticeConn: undefined,
      noticeMasking: undefined,
    };
    client.on('notice', (notice: unknown) => {
      // Only while a query of the gate runs (see executeQuery), as that query's session hears it.
      if (made.noticeConn !== undefined && made.noticeMasking !== undefined) {
        made.noticeConn.notice(notice, made.noticeMasking);
      }
    });
    uses.set(client, made);
    use = made;
  }
  return use;
}

/**
 * Whether an error ends the connection it happened on. A query stopped at a cap has drained its
 * reply and can be reused; a cursor stopped at one still has its portal open, so its connection
 * is closed. A refusal before anything was sent (a column rule, a prepared statement changed on
 * the server) leaves it as it was.
 */
function breaks(err: unknown, drained: boolean): boolean {
  return (
    !isServerError(err) && !(drained && err instanceof ResultTooLargeError) && !(err instanceof DeniedError)
  );
}

/** Runs `work` on the call's connection, then gives it back (or keeps it for a transaction). */
async function onConnection<T>(
  gateCall: PgGateCall,
  run: GateRun<SqlEffects>,
  drained: boolean,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const acquiring = clientFor(gateCall);
  const client = acquiring instanceof Promise ? await acquiring : acquiring;
  // Past maxDurationMs (or at the session's end) the request is stopped where it is: the
  // connection is closed under it, which also ends the server's work.
  const unlisten = run.onStop(useOf(client).stop);
  let broken = false;
  try {
    return await work(client);
  } catch (err) {
    broken = breaks(err, drained);
    throw err;
  } finally {
    unlisten();
    if (gateCall.hold === undefined) gateCall.conn.afterUse(client, broken || run.stopped);
  }
}

/**
 * A query on the call's connection, which it then gives back (or keeps for a transaction): what
 * {@link onConnection} does for a cursor, written out in one async function, so that a point
 * query waits for nothing but the connection, the server, and what it must (see below).
 */
/**
 * The options pg is given beside the text, or `undefined` when it needs none. Built member by
 * member: V8 (Node 20) builds an object literal that starts with a spread and goes on slowly.
 */
function queryOptions(call: QueryCall, extended: boolean): PgQueryOptions | undefined {
  if (call.rowMode === undefined && call.types === undefined && !extended) return undefined;
  const options: PgQueryOptions = {};
  if (call.rowMode !== undefined) options.rowMode = call.rowMode;
  if (call.types !== undefined) options.types = RAW_TEXT;
  if (extended) options.queryMode = 'extended';
  return options;
}

async function executeQuery(gateCall: PgGateCall, call: QueryCall, run: GateRun<SqlEffects>): Promise<PgRaw> {
  const { conn } = gateCall;
  const { text } = statementOf(call, conn);
  const { name } = call;
  const acquiring = clientFor(gateCall);
  const client = acquiring instanceof Promise ? await acquiring : acquiring;
  const use = useOf(client);
  // Past maxDurationMs (or at the session's end) the request is stopped where it is: the
  // connection is closed under it, which also ends the server's work.
  const unlisten = run.onStop(use.stop);
  let broken = false;
  try {
    // A protocol-level name never reaches the server: the statement is sent as the unnamed one,
    // parsed with its text in the same pipeline that binds it. A named statement on the server
    // could be re-prepared out of the gate's sight (dynamic SQL in a function or DO block shares
    // its namespace), and pg would bind it without parsing again; the name stays this session's
    // alias for its text (see statementOf).
    const extended = name !== undefined || call.queryMode === 'extended';
    const options = queryOptions(call, extended);
    const tickets = ticketsOf(text, call.values, extended);
    // Checked on this connection right before the statement is sent; a refusal here sent
    // nothing, so the request's own grant goes back.
    let lineage: SqlLineage;
    try {
      const checked = checkedLineage(client, text, run, conn);
      lineage = checked instanceof Promise ? await checked : checked;
      assertLineage(lineageRefusal(lineage));
    } catch (err) {
      await run.authorization.reservation?.end('released');
      throw err;
    }
    let raw: RawResult | RawResult[];
    const now = statusIfSettled(client);
    const before = now === false ? await statusBefore(client) : (now ?? '?');
    use.noticeConn = conn;
    use.noticeMasking = run.masking;
    issueTickets(client, tickets);
    const arrival = new Arrival(run, conn.ctx.catalog, lineage, call.types);
    try {
      raw = await sendCapped(client, text, call.values, options, run, arrival);
      // The server can report, within the same reply, a change the gate closes the connection
      // for (a client_encoding other than UTF8): the request did run, but its success would
      // hide that the connection is gone, so the caller gets the reason instead.
      const closed = bypassOf(client);
      if (closed !== undefined) throw closed;
    } catch (err) {
      revokeTickets(client);
      use.noticeConn = undefined;
      use.noticeMasking = undefined;
      await conn.settleGrants(
        {
          before,
          after: await statusAfter(client, err, true),
          outcome: outcomeOf(err),
          effects: run.effects,
        },
        run.authorization.reservation,
      );
      conn.afterStatement(run.effects, run.authorization.actions, false, text);
      forgetChangedNames(conn.named, client, run.effects);
      throw withheldError(err, readsProtected(lineage));
    } finally {
      revokeTickets(client);
      use.noticeConn = undefined;
      use.noticeMasking = undefined;
    }
    const { reservation } = run.authorization;
    // Without a grant of its own or of its transaction, there is nothing to settle (and no
    // status to read for it).
    if (reservation !== undefined || conn.holdsGrants()) {
      const settling = conn.settleGrants(
        {
          before,
          after: transactionStatus(client),
          outcome: 'ok',
          command: Array.isArray(raw) ? undefined : (raw.command ?? undefined),
          effects: run.effects,
        },
        reservation,
      );
      if (settling !== undefined) await settling;
    }
    if (name !== undefined) conn.named.set(name, text);
    conn.afterStatement(run.effects, run.authorization.actions, true, text);
    forgetChangedNames(conn.named, client, run.effects);
    if (!Array.isArray(raw)) {
      // One result (the usual case), most often shaped as it arrived.
      const rows = arrival.shaped(raw, 0) ?? (await unshapedRows(client, conn, arrival, raw, 0));
      return { kind: 'query', call, results: [raw], multi: false, shapers: [rows] };
    }
    const shapers: { rows: ResultRows; shaped: boolean }[] = [];
    for (let i = 0; i < raw.length; i++) {
      const result = raw[i] as RawResult;
      shapers.push(arrival.shaped(result, i) ?? (await unshapedRows(client, conn, arrival, result, i)));
    }
    return { kind: 'query', call, results: raw, multi: true, shapers };
  } catch (err) {
    broken = breaks(err, true);
    throw err;
  } finally {
    unlisten();
    if (gateCall.hold === undefined) conn.afterUse(client, broken || run.stopped);
  }
}

/** A result kept raw as it arrived: its sources looked up now, its rows shaped after. */
async function unshapedRows(
  client: PoolClient,
  conn: PgConnection,
  arrival: Arrival,
  result: RawResult,
  index: number,
): Promise<{ readonly rows: ResultRows; readonly shaped: boolean }> {
  const { catalog } = conn.ctx;
  const known =
    catalog.known(result.fields) ?? (await catalog.sources(result.fields, (sql) => runInternal(client, sql)));
  return { rows: arrival.rowsFor(result, index, known), shaped: false };
}

// The last statement's tickets: a repeated statement (the usual case) hands the wire guard the
// same strings again (already flat, so comparing them reads no rope) instead of new ones built
// per request. Keyed by all queryTickets reads but the values' content (tickets name texts, never
// values).
let lastTickets:
  | {
      readonly text: string;
      readonly extended: boolean;
      readonly values: number;
      readonly tickets: readonly Ticket[];
    }
  | undefined;

/** {@link queryTickets} for a statement sent with these values, in extended mode or not. */
function ticketsOf(
  text: string,
  values: readonly (string | null)[] | undefined,
  extended: boolean,
): readonly Ticket[] {
  const count = values === undefined ? -1 : values.length;
  const last = lastTickets;
  if (last !== undefined && last.text === text && last.extended === extended && last.values === count) {
    return last.tickets;
  }
  const tickets = queryTickets({ text, values, extended });
  lastTickets = { text, extended, values: count, tickets };
  return tickets;
}

/** A result shaped as it arrived, with its rows' shaper (as {@link PgRaw} lists it). */
interface Arrived {
  readonly result: RawResult;
  readonly rows: ResultRows;
  readonly shaped: true;
}

/**
 * Shapes a query's rows as they arrive (redacted, masked, parsed), so a large result is never
 * held twice, raw and shaped: a result whose every column's source the catalog already knows
 * when its RowDescription comes. Any other result's rows are kept raw and shaped after the
 * query, once its sources are looked up.
 */
class Arrival {
  readonly #run: GateRun<SqlEffects>;
  readonly #catalog: PoolContext['catalog'];
  readonly #lineage: SqlLineage;
  readonly #types: QueryCall['types'];
  // The first result shaped as it arrived, and its rows' shaper; per later index, the same
  // (a list only for a text of several statements).
  #first: Arrived | undefined;
  #later: (Arrived | undefined)[] | undefined;

  constructor(
    run: GateRun<SqlEffects>,
    catalog: PoolContext['catalog'],
    lineage: SqlLineage,
    types: QueryCall['types'],
  ) {
    this.#run = run;
    this.#catalog = catalog;
    this.#lineage = lineage;
    this.#types = types;
  }

  /** At result `index`'s RowDescription: its rows' shaper, or `undefined` to keep them raw. */
  begin(result: RawResult, index: number): ResultRows | undefined {
    const known = this.#catalog.known(result.fields);
    if (known === undefined) return undefined;
    const rows = this.rowsFor(result, index, known);
    const arrived: Arrived = { result, rows, shaped: true };
    if (index === 0) this.#first = arrived;
    else (this.#later ??= [])[index] = arrived;
    return rows;
  }

  /** Result `index`'s rows' shaper, if they were shaped as they arrived. */
  shaped(result: RawResult, index: number): Arrived | undefined {
    const arrived = index === 0 ? this.#first : this.#later?.[index];
    return arrived !== undefined && arrived.result === result ? arrived : undefined;
  }

  /** Result `index`'s rows' shaper under the statement's lineage, given its catalog sources. */
  rowsFor(result: RawResult, index: number, known: readonly (string | undefined)[]): ResultRows {
    const { sources, redact } = lineageOfResult(this.#lineage.statements[index], result.fields, known);
    return new ResultRows(this.#run.masking, result.fields, sources, redact, this.#types);
  }
}

/** A query's options beyond its text and values, as pg's `QueryConfig` takes them. */
interface PgQueryOptions {
  rowMode?: 'array';
  types?: typeof RAW_TEXT;
  queryMode?: 'extended';
}

/** A DataRow message as pg hands it to a query. */
interface DataRow {
  readonly fields: readonly (string | null)[];
}

/** pg's Result while a query fills it. */
interface FillingResult extends RawResult {
  parseRow(fields: readonly (string | null)[]): unknown;
  addRow(row: unknown): void;
}

// pg's own handling of a row (kept once).
const { handleDataRow: keepRow } = pg.Query.prototype as unknown as {
  handleDataRow: (this: unknown, message: DataRow) => void;
};

/**
 * A pg query whose rows are counted against its run's caps before pg keeps them, and shaped as
 * they arrive where the {@link Arrival} can (pg keeps the shaped row, never the raw one).
 */
class CappedQuery extends pg.Query {
  declare gateRun: GateRun<SqlEffects>;
  declare arrival: Arrival | undefined;
  declare shaper: ResultRows | undefined;
  declare settle:
    { resolve: (raw: RawResult | RawResult[]) => void; reject: (error: unknown) => void } | undefined;
  declare _canceledDueToError: unknown;
  declare _result: FillingResult;
  declare _results: FillingResult | FillingResult[];

  handleRowDescription(message: RowDescription): void {
    handleRowDescription(this as unknown as DescribedQuery, message);
    this.shaper = undefined;
    if (this.arrival === undefined || this._canceledDueToError) return;
    const index = Array.isArray(this._results) ? this._results.length - 1 : 0;
    try {
      this.shaper = this.arrival.begin(this._result, index);
    } catch (err) {
      this._canceledDueToError = err;
    }
  }

  handleDataRow(message: DataRow): void {
    if (this._canceledDueToError) return;
    let bytes = 0;
    for (const field of message.fields) if (field !== null) bytes += field.length;
    try {
      this.gateRun.count(1, bytes);
    } catch (cap) {
      this._canceledDueToError = cap;
      return;
    }
    const shaper = this.shaper;
    if (shaper === undefined) {
      keepRow.call(this, message);
      return;
    }
    let row: unknown;
    try {
      row = shaper.row(this._result.parseRow(message.fields));
    } catch (err) {
      // Fail closed: a row that cannot be masked fails the query; nothing of it is kept.
      this._canceledDueToError = err;
      return;
    }
    this._result.addRow(row);
  }
}

/**
 * Sends a query whose rows are counted against the caps as they arrive: past a cap, the
 * remaining rows are dropped unparsed (never kept) and the query fails with the cap's error
 * once the server is done, leaving the connection usable.
 */
function sendCapped(
  client: PoolClient,
  text: string,
  values: readonly (string | null)[] | undefined,
  options: PgQueryOptions | undefined,
  run: GateRun<SqlEffects>,
  arrival: Arrival | undefined,
): Promise<RawResult | RawResult[]> {
  // pg calls a query's callback on the query (so one shared function serves every query, and no
  // closure is made per request: a point query's most costly allocation here), except when a
  // query_timeout wraps it: then a closure that knows its query.
  const params = (client as unknown as { connectionParameters?: { query_timeout?: unknown } })
    .connectionParameters;
  const callback =
    params !== undefined && !params.query_timeout
      ? settleQuery
      : (err: Error | null | undefined, result: unknown): void => {
          settleQuery.call(query, err, result);
        };
  const query =
    options === undefined
      ? new CappedQuery(text, values, callback)
      : new CappedQuery(
          {
            text,
            ...(values === undefined ? {} : { values: values as unknown[] }),
            ...options,
          } as QueryConfig,
          undefined,
          callback,
        );
  query.gateRun = run;
  query.arrival = arrival;
  opening = query;
  const settled = new Promise<RawResult | RawResult[]>(holdSettlers);
  opening = undefined;
  client.query(query as never);
  return settled;
}

// The query whose promise is being made: holdSettlers runs synchronously inside `new Promise`,
// so the promise needs no executor made per request.
let opening: CappedQuery | undefined;

function holdSettlers(
  resolve: (raw: RawResult | RawResult[]) => void,
  reject: (error: unknown) => void,
): void {
  if (opening === undefined) throw new Error('no gated query is being sent');
  opening.settle = { resolve, reject };
}

/** A gated query's callback: settles its promise once (pg calls it on the query). */
function settleQuery(this: CappedQuery, err: Error | null | undefined, result: unknown): void {
  const settle = this.settle;
  if (settle === undefined) return;
  this.settle = undefined;
  if (err !== null && err !== undefined) settle.reject(err);
  else settle.resolve(result as RawResult | RawResult[]);
}

function executeCursor(gateCall: PgGateCall, run: GateRun<SqlEffects>): Promise<PgRaw> {
  const call = gateCall.call as CursorCall | StreamCall;
  return onConnection(gateCall, run, false, async (client) => {
    const { conn } = gateCall;
    // Checked on this connection right before anything of the request is sent; a refusal here
    // sent nothing, so the request's own grant goes back.
    try {
      // A cursor's rows are masked as they stream, by column source only: a result column
      // computed from a protected column cannot be redacted there, so such a cursor is refused.
      const lineage = await checkedLineage(client, call.text, run, conn);
      assertLineage(lineageRefusal(lineage) ?? cursorRefusal(lineage));
    } catch (err) {
      await run.authorization.reservation?.end('released');
      throw err;
    }
    const before = await statusBefore(client);
    const settle = async (error: unknown): Promise<void> => {
      await conn.settleGrants(
        {
          before,
          after: await statusAfter(client, error, false),
          outcome: error === undefined ? 'ok' : outcomeOf(error),
          effects: run.effects,
        },
        run.authorization.reservation,
      );
    };
    let cursor: CursorHandle;
    try {
      cursor = await openCursor({
        ctx: conn.ctx,
        client,
        call,
        run,
        onNotice: (notice) => {
          conn.notice(notice, run.masking);
        },
      });
    } catch (err) {
      await settle(err);
      throw err;
    }
    gateCall.opened?.(cursor);
    const outcome = await cursor.finished;
    await settle(outcome.error);
    if (outcome.error !== undefined) throw outcome.error as Error;
    return { kind: 'cursor', outcome };
  });
}

function shape(
  raw: PgRaw,
  run: GateRun<SqlEffects>,
  resultRows: number,
): { value: PgResult; record: Record<string, unknown> } {
  if (raw.kind === 'cursor') {
    const { outcome } = raw;
    return {
      value: undefined,
      record: {
        summary: `${outcome.command ?? 'SELECT'} ${outcome.rowCount}`,
        rowCount: outcome.rowCount,
        body: outcome.sample,
        truncated: outcome.rowCount > outcome.sample.length,
        masked: outcome.masked,
      },
    };
  }
  if (!raw.multi && raw.results.length === 1) {
    // One statement's result (the usual case): no lists to build.
    const shaper = raw.shapers[0];
    if (shaper === undefined) throw new Error('a result without its shaper');
    const out = shapeResult(raw.results[0] as RawResult, shaper.rows, shaper.shaped);
    const { rows, rowCount } = out.result;
    const sample = rows.length > resultRows ? rows.slice(0, resultRows) : rows.slice();
    return {
      value: out.result,
      record: {
        summary: `${out.result.command}${rowCount === null ? '' : ` ${rowCount}`}`,
        rowCount: rowCount ?? rows.length,
        body: sample,
        truncated: rows.length > sample.length,
        masked: out.masked,
      },
    };
  }
  const shaped: GatedQueryResult[] = [];
  let masked = 0;
  raw.results.forEach((result, i) => {
    const shaper = raw.shapers[i];
    if (shaper === undefined) throw new Error('a result without its shaper');
    const out = shapeResult(result, shaper.rows, shaper.shaped);
    shaped.push(out.result);
    masked += out.masked;
  });
  const sample: unknown[] = [];
  let rowCount = 0;
  for (const result of shaped) {
    rowCount += result.rowCount ?? result.rows.length;
    for (const row of result.rows) {
      if (sample.length >= resultRows) break;
      sample.push(row);
    }
  }
  return {
    value: raw.multi
      ? shaped
      : (shaped[0] ?? { command: '', rowCount: null, oid: null, rows: [], fields: [] }),
    record: {
      summary: shaped.map((r) => `${r.command}${r.rowCount === null ? '' : ` ${r.rowCount}`}`).join('; '),
      rowCount,
      body: sample,
      truncated: shaped.reduce((n, r) => n + r.rows.length, 0) > sample.length,
      masked,
    },
  };
}

/** The transaction status before a statement, once the server answered everything earlier. */
async function statusBefore(client: PoolClient): Promise<string> {
  return (await settledStatus(client)) ?? '?';
}

/**
 * The transaction status after a statement that ended with `error` (or none), once the server
 * answered it; `undefined` for a connection that is gone or that {@link onConnection} closes for
 * this error (waiting for its answer would wait for that close).
 */
function statusAfter(client: PoolClient, error: unknown, drained: boolean): Promise<string | undefined> {
  if (error !== undefined && !isServerError(error) && !(drained && error instanceof ResultTooLargeError)) {
    return Promise.resolve(undefined);
  }
  return settledStatus(client);
}

function outcomeOf(error: unknown): 'server-error' | 'other' {
  return isServerError(error) ? 'server-error' : 'other';
}

function isServerError(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as Record<string, unknown>)['severity'] === 'string' &&
    typeof (err as Record<string, unknown>)['code'] === 'string'
  );
}
