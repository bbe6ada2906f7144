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
 * It checks, and hands the socket, a copy of the bytes of its own. A chunk is an object its
 * writer chose: a Buffer's `length`, `indexOf` or `toString` can be own properties that say
 * anything, a subclass or a changed prototype can answer for it, a DataView or a 16-bit view
 * holds bytes a Uint8Array reader would not see, and the writer keeps the object and can rewrite
 * it after the check while the socket still holds it (the kernel takes what fits and the socket
 * sends the rest from that memory later). The socket sends the view's real bytes whatever its
 * object says. So each write's bytes are copied, with only intrinsics captured when this module
 * was loaded (the view's real byte length and memory, `Uint8Array.prototype.set`; a string is
 * encoded here), into memory no one else holds; that copy is what is read and what is sent.
 *
 * It also keeps the connection's model of prepared statements and portals, from what was
 * written and what the server answered: a Bind passes only for a statement whose text, as last
 * parsed on this connection, is the text its ticket names; an Execute only for a portal a
 * ticketed Bind created and nothing has ended since. A named statement is forgotten as soon as
 * anything runs (a function or DO block may re-prepare it by dynamic SQL, out of the wire's
 * sight), so it is bound only in the pipeline that parsed it.
 */
import { Writable } from 'node:stream';
import { BypassError } from '@portcullis/core';
import { frontendMessageSlot, readFrontendMessage } from './frontend-messages.js';

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
  /**
   * The tickets issued and not used up, each once. A short list: the gate issues one query's
   * tickets at a time and revokes them when it ends, and a list matched in place spares hashing a
   * ticket built from every message (and the table a Map reallocates as it empties and fills).
   */
  tickets: Allowance[];
  /** Prepared statements as this connection's writes and the server's answers left them: name → text. */
  statements: Map<string, string>;
  /** Portals a ticketed Bind created, not closed or ended since. */
  portals: Set<string>;
  /** Parses and Binds written and not answered yet, in order (an error means they never happened). */
  pending: Pending[];
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

interface Allowance {
  readonly ticket: Ticket;
  /** Uses left; an allowance leaves the list when it reaches 0. */
  left: number;
}

interface Pending {
  readonly kind: 'parse' | 'bind';
  readonly name: string;
}

// The unnamed statement's and portal's entries (the usual ones), made once: entries are never changed.
const PARSE_UNNAMED: Pending = Object.freeze({ kind: 'parse', name: '' });
const BIND_UNNAMED: Pending = Object.freeze({ kind: 'bind', name: '' });

// Keyed by pg's Connection (and, for lookups by client, by the Client): nothing here keeps a
// connection alive, and nothing on the connection points back at the tickets.
const byConnection = new WeakMap<object, GuardState>();
const byClient = new WeakMap<object, GuardState>();

// Messages that carry no SQL text of their own and run nothing: Describe, Flush, Sync,
// Terminate, CopyDone and CopyFail. (Execute and Close are checked against the model.) CopyData,
// the fast-path FunctionCall and authentication messages are never sent by a gated query once
// connected.
const TEXTLESS = new Set(['D', 'H', 'S', 'X', 'c', 'f']);

// Everything a write's bytes are read and copied with, captured at load: what a caller does
// later to a chunk, a prototype or a global (`Uint8Array`, `Buffer.from`, a getter of
// %TypedArray%.prototype, `Function.prototype.call`) changes neither what is read nor who can
// reach the copy.
// eslint-disable-next-line @typescript-eslint/unbound-method -- only ever bound (see uncurried)
const call = Function.prototype.call;
const { apply } = Reflect;
const OwnArrayBuffer = ArrayBuffer;
const OwnUint8Array = Uint8Array;
const OwnFloat64Array = Float64Array;
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
/** The element type of a typed array (`'Uint8Array'` for a Buffer), or undefined for anything else. */
const typedArrayName = uncurried(typedArrayPrototype, Symbol.toStringTag, 'get') as (
  self: unknown,
) => string | undefined;
const typedArrayByteLength = uncurried(typedArrayPrototype, 'byteLength', 'get') as (self: unknown) => number;
const typedArrayByteOffset = uncurried(typedArrayPrototype, 'byteOffset', 'get') as (self: unknown) => number;
const typedArrayBuffer = uncurried(typedArrayPrototype, 'buffer', 'get') as (
  self: unknown,
) => ArrayBufferLike;
const dataViewByteLength = uncurried(DataView.prototype, 'byteLength', 'get') as (self: unknown) => number;
const dataViewByteOffset = uncurried(DataView.prototype, 'byteOffset', 'get') as (self: unknown) => number;
const dataViewBuffer = uncurried(DataView.prototype, 'buffer', 'get') as (self: unknown) => ArrayBufferLike;
const setBytes = uncurried(typedArrayPrototype, 'set', 'value') as (
  target: Uint8Array,
  source: Uint8Array,
  offset: number,
) => void;
const isView = uncurried(ArrayBuffer, 'isView', 'value') as (self: unknown, value: unknown) => boolean;
const encoder = new TextEncoder();
const encodeUtf8 = uncurried(TextEncoder.prototype, 'encode', 'value') as (
  self: object,
  text: string,
) => Uint8Array;
const bufferFrom = uncurried(Buffer, 'from', 'value') as (
  self: unknown,
  text: string,
  encoding: BufferEncoding,
) => Uint8Array;
const EMPTY = new OwnUint8Array(0);
// eslint-disable-next-line @typescript-eslint/unbound-method -- compared, never called
const writableWrite = Writable.prototype._write;

// The memory copies are made in. An ArrayBuffer of its own for every write would cost a
// microsecond (V8 allocates one of more than 64 bytes outside its heap); Buffer's pool is shared
// with every other module. So copies are carved, front to back, out of slabs only the guard
// holds: each part is claimed before anything is copied into it and never handed out again.
const SLAB_SIZE = 64 * 1024;
let slab = new OwnArrayBuffer(SLAB_SIZE);
let slabUsed = 0;

/** `size` bytes no one else holds: the next part of the slab, or (when large) a buffer of their own. */
function claim(size: number): Uint8Array {
  if (size > SLAB_SIZE >>> 4) return new OwnUint8Array(size);
  if (slabUsed + size > SLAB_SIZE) {
    slab = new OwnArrayBuffer(SLAB_SIZE);
    slabUsed = 0;
  }
  const bytes = new OwnUint8Array(slab, slabUsed, size);
  slabUsed += size;
  return bytes;
}

/**
 * The method or getter `key` of `holder` as it is now, called with its receiver as the first
 * argument (as Node's own primordials do): bound to the `call` of this moment, so nothing
 * replaced later is called instead.
 */
function uncurried(holder: object, key: PropertyKey, kind: 'get' | 'value'): (...args: never[]) => unknown {
  const descriptor = Object.getOwnPropertyDescriptor(holder, key) as Record<typeof kind, unknown> | undefined;
  const target = descriptor?.[kind];
  if (typeof target !== 'function') throw new TypeError(`no ${String(key)} to read bytes with`);
  return call.bind(target) as (...args: never[]) => unknown;
}

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
    tickets: [],
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
    // Every portal ends with its transaction. (Nothing is allocated for what is already empty:
    // this runs once per query.)
    if (state.txStatus === 'I' && state.portals.size > 0) state.portals = new Set();
    if (state.pending.length > 0) state.pending = [];
  });
  // The server answers each Parse and Bind in order; after an error it skips everything up to
  // the next Sync, so whatever is still unanswered never happened.
  events.prependListener('parseComplete', () => {
    answered(state.pending, 'parse');
  });
  events.prependListener('bindComplete', () => {
    answered(state.pending, 'bind');
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
  for (const ticket of tickets) {
    const issued = state.tickets.find((allowance) => allowance.ticket === ticket);
    if (issued === undefined) state.tickets.push({ ticket, left: 1 });
    else issued.left++;
  }
}

/** Drops every unused ticket of this client's connection (a query ended). */
export function revokeTickets(client: object): void {
  const state = byClient.get(client);
  if (state !== undefined && state.tickets.length > 0) state.tickets = [];
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
  if (state.waiters.length === 0) return;
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
  // A batch is copied into one chunk, which the stream's own _write sends: net's _writev would
  // copy the batch into an array it fills index by index, where an index setter on
  // Array.prototype sees the copy. (Writable's default _write only calls _writev, which would
  // check the batch again: a stream without its own _write is handed a one-chunk batch.)
  const writesOneChunk = write !== writableWrite;
  Object.defineProperty(stream, '_write', {
    configurable: false,
    writable: false,
    value(chunk: unknown, encoding: BufferEncoding, callback: WriteCallback): void {
      const own = state.tripped === undefined ? ownChunk(chunk, encoding) : NOT_READ;
      const refused = check(state, own);
      if (refused !== undefined) {
        trip(stream, state, refused);
        callback(state.tripped);
        return;
      }
      apply(write, stream, [own.bytes, 'buffer', callback]);
    },
  });
  if (typeof writev === 'function') {
    Object.defineProperty(stream, '_writev', {
      configurable: false,
      writable: false,
      value(chunks: readonly Chunk[], callback: WriteCallback): void {
        const own = state.tripped === undefined ? ownChunks(chunks) : NOT_READ;
        const refused = check(state, own);
        if (refused !== undefined) {
          trip(stream, state, refused);
          callback(state.tripped);
          return;
        }
        if (writesOneChunk) apply(write, stream, [own.bytes, 'buffer', callback]);
        else apply(writev, stream, [[{ chunk: own.bytes, encoding: 'buffer' }], callback]);
      },
    });
  }
}

/**
 * A write's bytes as the guard copied them, in memory only the guard holds: chunk `i` is
 * `bytes[ends[i - 1] ?? 0, ends[i])`, and `bytes` is `length` long. When `notBytes`, the chunk
 * after the `count` copied was neither a string nor an ArrayBuffer view (and nothing after it
 * was read).
 */
interface OwnWrite {
  readonly bytes: Uint8Array;
  readonly length: number;
  readonly ends: ArrayLike<number>;
  readonly count: number;
  readonly notBytes: boolean;
}

/** What {@link check} is handed for a connection the gate already closed: it reads nothing. */
const NOT_READ: OwnWrite = { bytes: EMPTY, length: 0, ends: [], count: 0, notBytes: false };

/** The bytes of one chunk, copied (see {@link OwnWrite}). */
function ownChunk(chunk: unknown, encoding: unknown): OwnWrite {
  const source = bytesOf(chunk, encoding);
  if (source === undefined) return { bytes: EMPTY, length: 0, ends: [], count: 0, notBytes: true };
  const length = typedArrayByteLength(source);
  const bytes = length === 0 ? EMPTY : claim(length);
  if (length > 0) setBytes(bytes, source, 0);
  return { bytes, length, ends: [length], count: 1, notBytes: false };
}

/**
 * The bytes of a batch of chunks, copied one after the other into one buffer (see
 * {@link OwnWrite}). Each chunk and its encoding are read once, all before anything is checked:
 * a getter of the caller's that runs here cannot run in the middle of the check.
 */
function ownChunks(chunks: readonly Chunk[]): OwnWrite {
  const count = chunks.length;
  const ends = new OwnFloat64Array(count);
  let bytes = claim(256);
  let capacity = 256;
  let length = 0;
  for (let i = 0; i < count; i++) {
    const { chunk, encoding } = chunks[i] as Chunk;
    const source = bytesOf(chunk, encoding);
    if (source === undefined) return { bytes, length, ends, count: i, notBytes: true };
    const size = typedArrayByteLength(source);
    if (length + size > capacity) {
      capacity = length + size > 2 * capacity ? length + size : 2 * capacity;
      const larger = claim(capacity);
      setBytes(larger, bytes, 0);
      bytes = larger;
    }
    if (size > 0) setBytes(bytes, source, length);
    length += size;
    ends[i] = length;
  }
  // Exactly the bytes copied: what is handed to the socket is what was read.
  if (length < capacity) {
    bytes = new OwnUint8Array(typedArrayBuffer(bytes), typedArrayByteOffset(bytes), length);
  }
  return { bytes, length, ends, count, notBytes: false };
}

/**
 * The bytes a chunk holds, as a `Uint8Array` that is the chunk itself or a view over its memory
 * (read through their internal slots, whatever the chunk's own properties say), or a string
 * encoded here; undefined for anything else. Not a copy: the caller copies them at once.
 */
function bytesOf(chunk: unknown, encoding: unknown): Uint8Array | undefined {
  const name = typedArrayName(chunk);
  // A Buffer, a Uint8Array or a subclass of either: `set` copies its bytes as they are.
  if (name === 'Uint8Array') return chunk as Uint8Array;
  // Any other typed array (16-bit, signed, clamped, …): its bytes, not its elements.
  if (name !== undefined) {
    return new OwnUint8Array(
      typedArrayBuffer(chunk),
      typedArrayByteOffset(chunk),
      typedArrayByteLength(chunk),
    );
  }
  if (isView(ArrayBuffer, chunk)) {
    return new OwnUint8Array(dataViewBuffer(chunk), dataViewByteOffset(chunk), dataViewByteLength(chunk));
  }
  if (typeof chunk !== 'string') return undefined;
  // Writable hands over strings only with `decodeStrings: false`; pg writes Buffers. Whatever
  // the encoder hands back is read as a view like any chunk (and copied).
  const encoded =
    encoding === undefined || encoding === 'buffer' || encoding === 'utf8' || encoding === 'utf-8'
      ? encodeUtf8(encoder, chunk)
      : bufferFrom(Buffer, chunk, encoding as BufferEncoding);
  return typeof encoded === 'string' ? undefined : bytesOf(encoded, 'buffer');
}

/**
 * Checks and consumes tickets for every message of the write, keeping the model of statements
 * and portals; returns why not, or undefined. All or nothing: the model and the tickets are
 * changed in place as the messages are read, and put back as they were when the write is refused.
 */
function check(state: GuardState, own: OwnWrite): string | undefined {
  if (state.tripped !== undefined) return 'the connection was already closed by the gate';
  const undo: Change[] = [];
  const pendingBefore = state.pending.length;
  let why: string | undefined;
  try {
    why = admit(state, own, undo);
  } catch (error) {
    // Nothing the guard's own copy holds should throw; if anything does, it changes nothing.
    putBack(state, undo, pendingBefore);
    throw error;
  }
  if (why !== undefined) putBack(state, undo, pendingBefore);
  return why;
}

/**
 * Reads the messages of the write's chunks into the model and takes their tickets, noting every
 * change in `undo`; returns why the write is refused, or undefined (and only then counts what the
 * server now owes).
 */
function admit(state: GuardState, own: OwnWrite, undo: Change[]): string | undefined {
  let owed = 0;
  // The type of the first message whose ticket is missing. The write is refused for it only once
  // every message has been read: a malformed or out-of-model message anywhere is the reason given
  // first.
  let unticketed: string | undefined;
  // A record of this write's own: nothing run while it is read (another write) can change it.
  const slot = frontendMessageSlot();
  const { bytes, ends } = own;
  let offset = 0;
  for (let i = 0; i < own.count; i++) {
    const end = ends[i] ?? offset;
    // Why a message of this chunk is out of the model; the rest of the chunk is still read, as
    // bytes that are not whole messages anywhere in it are the reason given.
    let refusal: string | undefined;
    while (offset < end) {
      offset = readFrontendMessage(bytes, offset, end, slot);
      if (offset === -1) return 'bytes that are not whole protocol messages';
      if (refusal !== undefined) continue;
      switch (slot.type) {
        case 'Q': {
          if (unticketed === undefined && !take(state, undo, 'Q', undefined, slot.text)) unticketed = 'Q';
          // (Clearing allocates a new table even when there is nothing to clear.)
          if (state.statements.size > 0) {
            for (const [name, text] of state.statements) undo.push({ kind: 'statement', name, was: text });
            state.statements.clear();
          }
          if (state.portals.size > 0) {
            for (const name of state.portals) undo.push({ kind: 'portal', name, was: true });
            state.portals.clear();
          }
          owed++;
          break;
        }
        case 'P': {
          if (unticketed === undefined && !take(state, undo, 'P', slot.name, slot.text)) unticketed = 'P';
          undo.push({ kind: 'statement', name: slot.name, was: state.statements.get(slot.name) });
          state.statements.set(slot.name, slot.text);
          state.pending.push(slot.name === '' ? PARSE_UNNAMED : { kind: 'parse', name: slot.name });
          break;
        }
        case 'B': {
          const text = state.statements.get(slot.statement);
          if (text === undefined) {
            refusal = 'a Bind of a statement the gate did not prepare on this connection';
            break;
          }
          if (unticketed === undefined && !take(state, undo, 'B', slot.statement, text)) unticketed = 'B';
          if (!state.portals.has(slot.name)) {
            undo.push({ kind: 'portal', name: slot.name, was: false });
            state.portals.add(slot.name);
          }
          state.pending.push(slot.name === '' ? BIND_UNNAMED : { kind: 'bind', name: slot.name });
          break;
        }
        case 'E':
          if (!state.portals.has(slot.name)) {
            refusal = 'an Execute of a portal the gate did not bind';
            break;
          }
          forgetNamed(state.statements, undo);
          break;
        case 'C':
          if (slot.target === 'S') {
            const was = state.statements.get(slot.name);
            if (was !== undefined) {
              undo.push({ kind: 'statement', name: slot.name, was });
              state.statements.delete(slot.name);
            }
          } else if (state.portals.delete(slot.name)) {
            undo.push({ kind: 'portal', name: slot.name, was: true });
          }
          break;
        default:
          if (!TEXTLESS.has(slot.type)) refusal = `a protocol message of type '${slot.type}'`;
          else if (slot.type === 'S') owed++;
      }
    }
    if (refusal !== undefined) return refusal;
  }
  if (own.notBytes) return 'a write that is not bytes';
  // Every byte that would be sent was read (the chunks' ends are the guard's own; this only says so).
  if (offset !== own.length) return 'bytes that are not whole protocol messages';
  if (unticketed !== undefined) return describeTicket(unticketed);
  state.owed += owed;
  return undefined;
}

/**
 * One change {@link check} made, with what was there before: a use of a ticket, a statement's
 * text, a portal open or not.
 */
type Change =
  | { readonly kind: 'ticket'; readonly allowance: Allowance }
  | { readonly kind: 'statement'; readonly name: string; readonly was: string | undefined }
  | { readonly kind: 'portal'; readonly name: string; readonly was: boolean };

/**
 * Uses up one use of the ticket `${type}\0${name}\0${text}` (`${type}\0${text}` without a name,
 * see {@link queryTickets}), matched without building it; false when none is left.
 */
function take(
  state: GuardState,
  undo: Change[],
  type: 'Q' | 'P' | 'B',
  name: string | undefined,
  text: string,
): boolean {
  const { tickets } = state;
  for (let i = 0; i < tickets.length; i++) {
    const allowance = tickets[i];
    if (allowance === undefined || !isTicket(allowance.ticket, type, name, text)) continue;
    if (--allowance.left === 0) {
      // Order means nothing here: swap the last allowance in.
      const last = tickets.pop();
      if (last !== undefined && last !== allowance) tickets[i] = last;
    }
    undo.push({ kind: 'ticket', allowance });
    return true;
  }
  return false;
}

/** Whether `ticket` is `${type}\0${name}\0${text}` (`${type}\0${text}` when `name` is undefined). */
function isTicket(ticket: Ticket, type: string, name: string | undefined, text: string): boolean {
  // The text is last: its end lies at the ticket's end, wherever the name ends.
  const textAt = name === undefined ? 2 : 3 + name.length;
  return (
    ticket.length === textAt + text.length &&
    ticket.startsWith(type) &&
    ticket.charCodeAt(1) === 0 &&
    (name === undefined || (ticket.startsWith(name, 2) && ticket.charCodeAt(textAt - 1) === 0)) &&
    ticket.endsWith(text)
  );
}

// Anything that runs may run a function or DO block that re-prepares a named statement by
// dynamic SQL; the unnamed statement only a Parse or a simple query replaces.
function forgetNamed(statements: Map<string, string>, undo: Change[]): void {
  if (statements.size === (statements.has('') ? 1 : 0)) return;
  for (const [name, text] of statements) {
    if (name === '') continue;
    undo.push({ kind: 'statement', name, was: text });
    statements.delete(name);
  }
}

/** Puts back what a refused write changed, newest first. */
function putBack(state: GuardState, undo: readonly Change[], pendingBefore: number): void {
  for (let i = undo.length - 1; i >= 0; i--) {
    const change = undo[i];
    if (change === undefined) continue;
    switch (change.kind) {
      case 'ticket':
        if (change.allowance.left++ === 0) state.tickets.push(change.allowance);
        break;
      case 'statement':
        if (change.was === undefined) state.statements.delete(change.name);
        else state.statements.set(change.name, change.was);
        break;
      case 'portal':
        if (change.was) state.portals.add(change.name);
        else state.portals.delete(change.name);
    }
  }
  state.pending.length = pendingBefore;
}

/** Drops the first entry of `kind` from `pending` (the one the server just answered). */
function answered(pending: Pending[], kind: Pending['kind']): void {
  // Usually the first: the server answers in the order they were written.
  if (pending[0]?.kind === kind) {
    pending.shift();
    return;
  }
  const at = pending.findIndex((p) => p.kind === kind);
  if (at !== -1) pending.splice(at, 1);
}

function describeTicket(type: string): string {
  switch (type) {
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
    state.tickets = [];
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
    state.tickets = [];
    state.onBypass(state.tripped);
  }
  stream.destroy(state.tripped);
}
