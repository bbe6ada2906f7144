/**
 * The backstop below the facade: every SQL text that reaches the wire must carry a one-shot
 * ticket the gate issued for that exact text on that connection, else the connection is
 * destroyed with a `BypassError`.
 *
 * It sits on the connection's socket rather than on pg's `Connection.query`/`parse`: an
 * own-property wrapper on those is skipped by `Connection.prototype.query.call(…)`, while every
 * path through pg (its methods, `_send`, `stream.write`, `stream.end(chunk)`, corked writes)
 * ends in the socket's `_write`/`_writev`, which are looked up on the socket object itself.
 *
 * It also keeps the connection's model of prepared statements and portals, from what was
 * written and what the server answered: a Bind passes only for a statement whose text, as last
 * parsed on this connection, is the text its ticket names; an Execute only for a portal a
 * ticketed Bind created and nothing has ended since. A named statement is forgotten as soon as
 * anything runs (a function or DO block may re-prepare it by dynamic SQL, out of the wire's
 * sight), so it is bound only in the pipeline that parsed it.
 */
import { BypassError } from '@portcullis/core';
import { parseFrontendMessages } from './frontend-messages.js';

/** A ticket: the exact message the gate allows once (see {@link queryTickets}). */
export type Ticket = string;

/** The minimal pg `Client` shape the guard needs. */
export interface GuardedClient {
  readonly connection: object;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

interface Chunk {
  readonly chunk: unknown;
  readonly encoding?: BufferEncoding | 'buffer';
}

type WriteCallback = (error?: Error | null) => void;

interface WritableInternals {
  _write(chunk: unknown, encoding: BufferEncoding, callback: WriteCallback): void;
  _writev?: ((chunks: readonly Chunk[], callback: WriteCallback) => void) | null;
  destroy(error?: Error): unknown;
}

interface GuardState {
  readonly tickets: Map<Ticket, number>;
  /** Prepared statements as this connection's writes and the server's answers left them: name → text. */
  statements: Map<string, string>;
  /** Portals a ticketed Bind created, not closed or ended since. */
  portals: Set<string>;
  /** Parses and Binds written and not answered yet, in order (an error means they never happened). */
  pending: readonly Pending[];
  tripped: BypassError | undefined;
  /** The transaction status of the last ReadyForQuery: `I` idle, `T` in a transaction, `E` failed. */
  txStatus: string;
  /** ReadyForQuery messages the server still owes: one per Query and per Sync written. */
  owed: number;
  /** The connection has closed (or was closed by the backstop). */
  ended: boolean;
  /** Who waits for the server to have answered everything written ({@link settledStatus}). */
  readonly waiters: ((status: string | undefined) => void)[];
  readonly onBypass: (error: BypassError) => void;
}

interface Pending {
  readonly kind: 'parse' | 'bind';
  readonly name: string;
}

// Keyed by pg's Connection (and, for lookups by client, by the Client): nothing here keeps a
// connection alive, and nothing on the connection points back at the tickets.
const byConnection = new WeakMap<object, GuardState>();
const byClient = new WeakMap<object, GuardState>();

// Messages that carry no SQL text of their own and run nothing: Describe, Flush, Sync,
// Terminate, CopyDone and CopyFail. (Execute and Close are checked against the model.) CopyData,
// the fast-path FunctionCall and authentication messages are never sent by a gated query once
// connected.
const TEXTLESS = new Set(['D', 'H', 'S', 'X', 'c', 'f']);

/**
 * The tickets a query needs, computed from exactly the options handed to pg: a simple-protocol
 * text, or a Parse of `text` as `name` and a Bind of that statement holding that text (unused
 * tickets are revoked when the query ends).
 *
 * @example
 * ```ts
 * queryTickets({ text: 'SELECT 1' }); // ['Q\u0000SELECT 1']
 * ```
 */
export function queryTickets(query: {
  readonly text: string;
  readonly name?: string | undefined;
  readonly values?: readonly unknown[] | undefined;
  readonly extended?: boolean | undefined;
}): readonly Ticket[] {
  // pg's Query.requiresPreparation(): a name, values or extended mode mean the extended protocol.
  const extended =
    query.extended === true ||
    query.name !== undefined ||
    (query.values !== undefined && query.values.length > 0);
  if (!extended) return [`Q\u0000${query.text}`];
  const name = query.name ?? '';
  return [`P\u0000${name}\u0000${query.text}`, `B\u0000${name}\u0000${query.text}`];
}

/**
 * Arms the backstop on a connected pg client: from now on every write to its socket is
 * checked, and the client always has an `error` listener (a checked-out pg client without one
 * would crash the process when the backstop destroys its connection). Idempotent.
 *
 * @example
 * ```ts
 * pool.on('connect', (client) => armClient(client, (err) => log(err)));
 * ```
 * @throws TypeError when the client has no pg connection (for instance `pg.native`).
 */
export function armClient(client: GuardedClient, onBypass: (error: BypassError) => void): void {
  if (byClient.has(client)) return;
  const connection = client.connection as Record<string, unknown> | undefined;
  if (typeof connection !== 'object' || !isWritable(connection['stream'])) {
    throw new TypeError('this pg client has no JavaScript connection to guard; pg.native is not supported');
  }
  const state: GuardState = {
    tickets: new Map(),
    tripped: undefined,
    txStatus: 'I',
    owed: 0,
    ended: false,
    waiters: [],
    onBypass,
    statements: new Map(),
    portals: new Set(),
    pending: [],
  };
  byConnection.set(connection, state);
  byClient.set(client, state);

  let stream = connection['stream'];
  guardStream(stream, state);
  // pg replaces the stream when it upgrades to TLS (before `connect`, so normally never after
  // arming); whatever is assigned later is guarded too.
  Object.defineProperty(connection, 'stream', {
    configurable: false,
    enumerable: true,
    get: () => stream,
    set: (next: unknown) => {
      if (!isWritable(next)) throw new TypeError('a pg connection stream must be a writable socket');
      guardStream(next, state);
      stream = next;
    },
  });
  const events = connection as unknown as {
    prependListener(event: string, listener: (msg: { status?: string }) => void): void;
  };
  events.prependListener('readyForQuery', (msg) => {
    state.txStatus = typeof msg.status === 'string' ? msg.status : '?';
    state.owed = Math.max(0, state.owed - 1);
    if (state.owed === 0) wake(state, state.txStatus);
    // Every portal ends with its transaction.
    if (state.txStatus === 'I') state.portals = new Set();
    state.pending = [];
  });
  // The server answers each Parse and Bind in order; after an error it skips everything up to
  // the next Sync, so whatever is still unanswered never happened.
  events.prependListener('parseComplete', () => {
    state.pending = answered(state.pending, 'parse');
  });
  events.prependListener('bindComplete', () => {
    state.pending = answered(state.pending, 'bind');
  });
  events.prependListener('errorMessage', () => {
    for (const { kind, name } of state.pending) {
      if (kind === 'parse') state.statements.delete(name);
      else state.portals.delete(name);
    }
    state.pending = [];
  });
  (connection as unknown as { prependListener(event: string, listener: () => void): void }).prependListener(
    'end',
    () => {
      state.ended = true;
      wake(state, undefined);
    },
  );
  // The server reports these settings whenever they change. Either one changed away from how
  // the classifier reads SQL means later texts could run as other statements than the ones
  // decided (an SJIS character swallowing a backslash ends an E'' literal early), whatever
  // route changed it (set_config(), a function's SET clause, RESET to a role default): the
  // connection is closed before it can take another request.
  const reports = connection as unknown as {
    prependListener(
      event: string,
      listener: (msg: { parameterName?: unknown; parameterValue?: unknown }) => void,
    ): void;
  };
  reports.prependListener('parameterStatus', (msg) => {
    const why = unfaithfulSetting(msg.parameterName, msg.parameterValue);
    if (why !== undefined) close(stream, state, why);
  });
  client.on('error', () => {
    // Errors reach the query they belong to through pg; this listener only keeps an error on a
    // checked-out client from becoming an uncaught exception.
  });
}

/** Whether {@link armClient} guards this client. */
export function isArmed(client: object): boolean {
  return byClient.has(client);
}

/**
 * Allows each ticket's message once on this client's connection.
 *
 * @throws BypassError when the connection was already destroyed by the backstop.
 * @throws TypeError when the client is not armed.
 */
export function issueTickets(client: object, tickets: readonly Ticket[]): void {
  const state = stateOf(client);
  if (state.tripped !== undefined) throw state.tripped;
  for (const ticket of tickets) state.tickets.set(ticket, (state.tickets.get(ticket) ?? 0) + 1);
}

/** Drops every unused ticket of this client's connection (a query ended). */
export function revokeTickets(client: object): void {
  byClient.get(client)?.tickets.clear();
}

/** The transaction status the server last reported for this client (`I`, `T`, `E`). */
export function transactionStatus(client: object): string {
  return stateOf(client).txStatus;
}

/**
 * The transaction status once the server has answered everything written to this client's
 * connection (its last ReadyForQuery): `I`, `T` or `E`; `undefined` when the connection closed
 * first (its state is then unknown) or the client is not armed. pg hands a query its error on
 * the ErrorResponse, before the ReadyForQuery that tells whether a transaction is still open.
 *
 * @example
 * ```ts
 * await client.query('COMMIT').catch(() => undefined);
 * await settledStatus(client); // 'I'
 * ```
 */
export function settledStatus(client: object): Promise<string | undefined> {
  const state = byClient.get(client);
  if (state === undefined || state.ended || state.tripped !== undefined) return Promise.resolve(undefined);
  if (state.owed === 0) return Promise.resolve(state.txStatus);
  return new Promise((resolve) => {
    state.waiters.push(resolve);
  });
}

/**
 * {@link settledStatus} when it is known at once: the status, or `undefined` for a connection
 * that closed (or a client not armed); `false` while the server still owes an answer (then wait
 * with {@link settledStatus}).
 *
 * @example
 * ```ts
 * const now = statusIfSettled(client);
 * const status = now === false ? await settledStatus(client) : now;
 * ```
 */
export function statusIfSettled(client: object): string | undefined | false {
  const state = byClient.get(client);
  if (state === undefined || state.ended || state.tripped !== undefined) return undefined;
  return state.owed === 0 ? state.txStatus : false;
}

function wake(state: GuardState, status: string | undefined): void {
  for (const resolve of state.waiters.splice(0)) resolve(status);
}

/** The bypass that destroyed this client's connection, if any. */
export function bypassOf(client: object): BypassError | undefined {
  return byClient.get(client)?.tripped;
}

function stateOf(client: object): GuardState {
  const state = byClient.get(client);
  if (state === undefined) throw new TypeError('this pg client is not armed by the gate');
  return state;
}

function isWritable(value: unknown): value is WritableInternals {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>)['_write'] === 'function' &&
    typeof (value as Record<string, unknown>)['destroy'] === 'function'
  );
}

function guardStream(stream: WritableInternals, state: GuardState): void {
  // Look the originals up once: reassigning them later on the socket would be caught by these
  // own properties, which are not writable.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const write = stream._write;
  const writev = stream._writev;
  Object.defineProperty(stream, '_write', {
    configurable: false,
    writable: false,
    value(chunk: unknown, encoding: BufferEncoding, callback: WriteCallback): void {
      const refused = check(state, [{ chunk, encoding }]);
      if (refused !== undefined) {
        trip(stream, state, refused);
        callback(state.tripped);
        return;
      }
      write.call(stream, chunk, encoding, callback);
    },
  });
  if (typeof writev === 'function') {
    Object.defineProperty(stream, '_writev', {
      configurable: false,
      writable: false,
      value(chunks: readonly Chunk[], callback: WriteCallback): void {
        const refused = check(state, chunks);
        if (refused !== undefined) {
          trip(stream, state, refused);
          callback(state.tripped);
          return;
        }
        writev.call(stream, chunks, callback);
      },
    });
  }
}

/**
 * Checks and consumes tickets for every message of the chunks, keeping the model of statements
 * and portals; returns why not, or undefined.
 */
function check(state: GuardState, chunks: readonly Chunk[]): string | undefined {
  if (state.tripped !== undefined) return 'the connection was already closed by the gate';
  const needed: Ticket[] = [];
  let owed = 0;
  // Worked on copies: a refused chunk changes nothing.
  const statements = new Map(state.statements);
  const portals = new Set(state.portals);
  const pending = [...state.pending];
  // Anything that runs may run a function or DO block that re-prepares a named statement by
  // dynamic SQL; the unnamed statement only a Parse or a simple query replaces.
  const forgetNamed = (): void => {
    for (const name of statements.keys()) if (name !== '') statements.delete(name);
  };
  for (const { chunk, encoding } of chunks) {
    const bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk, encoding === 'buffer' || encoding === undefined ? 'utf8' : encoding)
        : chunk instanceof Uint8Array
          ? chunk
          : undefined;
    if (bytes === undefined) return 'a write that is not bytes';
    const messages = parseFrontendMessages(bytes);
    if (messages === undefined) return 'bytes that are not whole protocol messages';
    for (const message of messages) {
      switch (message.kind) {
        case 'query':
          needed.push(`Q\u0000${message.text}`);
          statements.clear();
          portals.clear();
          owed++;
          break;
        case 'parse':
          needed.push(`P\u0000${message.name}\u0000${message.text}`);
          statements.set(message.name, message.text);
          pending.push({ kind: 'parse', name: message.name });
          break;
        case 'bind': {
          const text = statements.get(message.statement);
          if (text === undefined) return 'a Bind of a statement the gate did not prepare on this connection';
          needed.push(`B\u0000${message.statement}\u0000${text}`);
          portals.add(message.portal);
          pending.push({ kind: 'bind', name: message.portal });
          break;
        }
        case 'execute':
          if (!portals.has(message.portal)) return 'an Execute of a portal the gate did not bind';
          forgetNamed();
          break;
        case 'close':
          if (message.target === 'S') statements.delete(message.name);
          else portals.delete(message.name);
          break;
        case 'other':
          if (!TEXTLESS.has(message.type)) return `a protocol message of type '${message.type}'`;
          if (message.type === 'S') owed++;
      }
    }
  }
  // All or nothing: a chunk with one unticketed message sends none of its messages.
  const counts = new Map<Ticket, number>();
  for (const ticket of needed) {
    const want = (counts.get(ticket) ?? 0) + 1;
    if ((state.tickets.get(ticket) ?? 0) < want) return describeTicket(ticket);
    counts.set(ticket, want);
  }
  for (const [ticket, used] of counts) {
    const left = (state.tickets.get(ticket) ?? 0) - used;
    if (left > 0) state.tickets.set(ticket, left);
    else state.tickets.delete(ticket);
  }
  state.owed += owed;
  state.statements = statements;
  state.portals = portals;
  state.pending = pending;
  return undefined;
}

/** `pending` without its first entry of `kind` (the one the server just answered). */
function answered(pending: readonly Pending[], kind: Pending['kind']): readonly Pending[] {
  const at = pending.findIndex((p) => p.kind === kind);
  if (at === -1) return pending;
  // Usually the first: the server answers in the order they were written.
  return at === 0 ? pending.slice(1) : [...pending.slice(0, at), ...pending.slice(at + 1)];
}

function describeTicket(ticket: Ticket): string {
  switch (ticket[0]) {
    case 'Q':
      return 'an SQL text the gate did not allow';
    case 'P':
      return 'a statement the gate did not allow';
    default:
      return 'a Bind of a statement whose text the gate did not allow';
  }
}

/**
 * Why a reported setting makes the server read SQL text differently from the classifier, or
 * `undefined` when it does not: a `client_encoding` other than UTF8 (the driver always sends
 * UTF-8). `standard_conforming_strings` is not here: the classifier reads every text both ways.
 */
export function unfaithfulSetting(name: unknown, value: unknown): string | undefined {
  if (name !== 'client_encoding') return undefined;
  const normalized = typeof value === 'string' ? value.toLowerCase().replace(/[^a-z0-9]/g, '') : '';
  if (normalized === 'utf8' || normalized === 'unicode') return undefined;
  return `client_encoding changed to ${typeof value === 'string' ? value : 'an unknown value'}: the gate reads SQL as UTF-8, so the connection was closed; keep client_encoding UTF8`;
}

// Closes the connection because of what the server reported (not a write the gate refused).
function close(stream: WritableInternals, state: GuardState, why: string): void {
  wake(state, undefined);
  if (state.tripped === undefined) {
    state.tripped = new BypassError(why);
    state.tickets.clear();
    state.onBypass(state.tripped);
  }
  stream.destroy(state.tripped);
}

function trip(stream: WritableInternals, state: GuardState, why: string): void {
  wake(state, undefined);
  if (state.tripped === undefined) {
    state.tripped = new BypassError(
      `refused ${why} on a gated connection: SQL must go through the gated facade; the connection was closed`,
    );
    state.tickets.clear();
    state.onBypass(state.tripped);
  }
  stream.destroy(state.tripped);
}
