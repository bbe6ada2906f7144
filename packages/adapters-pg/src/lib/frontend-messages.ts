/**
 * Reads the messages a client writes to a PostgreSQL server (protocol 3.0, "frontend"
 * messages), just far enough for the backstop to know which SQL text each one carries.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 *
 * It reads bytes, never the object that holds them: plain indexed reads within bounds it is
 * given, and text decoded by a decoder of its own. A Buffer's `length`, `indexOf` or
 * `toString` can be an own property of that Buffer (or of a subclass, or of the prototype,
 * changed after this module was loaded) and say anything; the socket sends the bytes.
 */

// Captured at load: what is done later to these prototypes or globals changes nothing here.
// eslint-disable-next-line @typescript-eslint/unbound-method -- only ever bound (see uncurried)
const call = Function.prototype.call;
const OwnUint8Array = Uint8Array;
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const byteLengthOf = uncurried(typedArrayPrototype, 'byteLength', 'get') as (self: unknown) => number;
const byteOffsetOf = uncurried(typedArrayPrototype, 'byteOffset', 'get') as (self: unknown) => number;
const bufferOf = uncurried(typedArrayPrototype, 'buffer', 'get') as (self: unknown) => ArrayBufferLike;
// Keeps a leading byte-order mark (Buffer#toString does too): it is part of the text the server reads.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const decode = uncurried(TextDecoder.prototype, 'decode', 'value') as (
  self: object,
  input: Uint8Array,
) => string;
const fromCharCode = uncurried(String, 'fromCharCode', 'value') as (self: unknown, code: number) => string;

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

/** One frontend message, as far as the backstop cares. */
export type FrontendMessage =
  /** `Q`: a simple-protocol query: the whole (possibly multi-statement) SQL text. */
  | { readonly kind: 'query'; readonly text: string }
  /** `P`: prepares `text` as statement `name` ('' is the unnamed statement). */
  | { readonly kind: 'parse'; readonly name: string; readonly text: string }
  /** `B`: binds a portal to the prepared statement `statement`, which runs it on Execute. */
  | { readonly kind: 'bind'; readonly portal: string; readonly statement: string }
  /** `E`: runs (or goes on running) the portal `portal`. */
  | { readonly kind: 'execute'; readonly portal: string }
  /** `C`: closes a prepared statement (`S`) or a portal (`P`) named `name`. */
  | { readonly kind: 'close'; readonly target: 'S' | 'P'; readonly name: string }
  /** Any other message, by its type byte. */
  | { readonly kind: 'other'; readonly type: string };

/**
 * One frontend message as {@link readFrontendMessage} leaves it: a single record filled message
 * after message, so that reading a chunk allocates nothing but the strings its messages carry.
 * Only the fields of the message's type are meaningful; the others still hold an earlier
 * message's (and after a message that could not be read, none is).
 */
export interface FrontendMessageSlot {
  /** The type byte: `Q`, `P`, `B`, `E`, `C`, or any other letter. */
  type: string;
  /** `P`: the statement's name; `B` and `E`: the portal's; `C`: the closed statement's or portal's. */
  name: string;
  /** `Q`: the whole text; `P`: the text prepared. */
  text: string;
  /** `B`: the statement the portal binds. */
  statement: string;
  /** `C`: what is closed, a statement (`S`) or a portal (`P`). */
  target: 'S' | 'P';
}

/** A fresh record for {@link readFrontendMessage}. */
export function frontendMessageSlot(): FrontendMessageSlot {
  return { type: '', name: '', text: '', statement: '', target: 'S' };
}

/**
 * Splits one written chunk into frontend messages. `pg` writes whole messages, one or more per
 * chunk; anything that is not a whole number of well-formed typed messages yields `undefined`
 * (the backstop treats it as a bypass). Untyped messages (startup, SSL and cancel requests)
 * only occur before the connection is ready, when the backstop is not yet armed, so they are
 * malformed here. Reads the bytes the view holds, whatever its own properties say; bytes that
 * may change while they are read are the caller's to copy first (the backstop reads its own copy).
 *
 * @example
 * ```ts
 * parseFrontendMessages(Buffer.from('Q\0\0\0\x0dSELECT 1\0', 'latin1')); // [{ kind: 'query', text: 'SELECT 1' }]
 * ```
 * @throws TypeError when `chunk` is not a typed array.
 */
export function parseFrontendMessages(chunk: Uint8Array): readonly FrontendMessage[] | undefined {
  const end = byteLengthOf(chunk);
  const bytes = new OwnUint8Array(bufferOf(chunk), byteOffsetOf(chunk), end);
  const slot = frontendMessageSlot();
  const messages: FrontendMessage[] = [];
  let offset = 0;
  while (offset < end) {
    offset = readFrontendMessage(bytes, offset, end, slot);
    if (offset === -1) return undefined;
    messages.push(messageOf(slot));
  }
  return messages;
}

/**
 * Reads the message that starts at `offset` of `bytes` into `slot` (see
 * {@link FrontendMessageSlot}); returns the offset of the message after it, or -1 when no whole,
 * well-formed typed message starts there and ends by `end`. {@link parseFrontendMessages} is
 * this, message after message, for callers that want objects.
 *
 * `bytes` must be a `Uint8Array` the caller made and no one else can reach, and `end` at most
 * its byte length as the caller made it: only indexed reads and a decoder captured at load touch
 * it, so nothing the bytes' owner or a prototype says can change what is read.
 *
 * @example
 * ```ts
 * const slot = frontendMessageSlot();
 * for (let at = 0; at < length; ) {
 *   at = readFrontendMessage(copy, at, length, slot);
 *   if (at === -1) throw new Error('not whole protocol messages');
 *   if (slot.type === 'Q') console.log(slot.text);
 * }
 * ```
 */
export function readFrontendMessage(
  bytes: Uint8Array,
  offset: number,
  end: number,
  slot: FrontendMessageSlot,
): number {
  if (offset + 5 > end) return -1;
  const typeByte = bytes[offset] ?? 0;
  // A message type is a printable ASCII letter; a zero first byte is an untyped message.
  if (typeByte < 0x41 || typeByte > 0x7a) return -1;
  // Int32, big-endian, read by hand: Buffer#readInt32BE was most of the cost of reading a short
  // message (and a method is what a caller can replace).
  const length =
    ((bytes[offset + 1] ?? 0) << 24) |
    ((bytes[offset + 2] ?? 0) << 16) |
    ((bytes[offset + 3] ?? 0) << 8) |
    (bytes[offset + 4] ?? 0);
  const messageEnd = offset + 1 + length;
  if (length < 4 || messageEnd > end) return -1;
  const start = offset + 5;
  switch (typeByte) {
    case 0x51 /* Q */: {
      const nul = nulAt(bytes, start, messageEnd);
      // Exactly one string and its terminator: trailing bytes would be a second, hidden text.
      if (nul !== messageEnd - 1) return -1;
      slot.text = utf8(bytes, start, nul);
      break;
    }
    case 0x50 /* P */: {
      const nameEnd = nulAt(bytes, start, messageEnd);
      if (nameEnd === -1) return -1;
      const textEnd = nulAt(bytes, nameEnd + 1, messageEnd);
      if (textEnd === -1) return -1;
      slot.name = utf8(bytes, start, nameEnd);
      slot.text = utf8(bytes, nameEnd + 1, textEnd);
      break;
    }
    case 0x42 /* B */: {
      const portalEnd = nulAt(bytes, start, messageEnd);
      if (portalEnd === -1) return -1;
      const statementEnd = nulAt(bytes, portalEnd + 1, messageEnd);
      if (statementEnd === -1) return -1;
      slot.name = utf8(bytes, start, portalEnd);
      slot.statement = utf8(bytes, portalEnd + 1, statementEnd);
      break;
    }
    case 0x45 /* E */: {
      const portalEnd = nulAt(bytes, start, messageEnd);
      // The portal's name and the row limit (Int32), nothing else.
      if (portalEnd === -1 || portalEnd + 5 !== messageEnd) return -1;
      slot.name = utf8(bytes, start, portalEnd);
      break;
    }
    case 0x43 /* C */: {
      const target = bytes[start];
      const nameEnd = nulAt(bytes, start + 1, messageEnd);
      if ((target !== 0x53 && target !== 0x50) || nameEnd !== messageEnd - 1) return -1;
      slot.target = target === 0x53 ? 'S' : 'P';
      slot.name = utf8(bytes, start + 1, nameEnd);
      break;
    }
    default:
    // Any other type carries nothing the backstop reads.
  }
  slot.type = fromCharCode(String, typeByte);
  return messageEnd;
}

function messageOf(slot: FrontendMessageSlot): FrontendMessage {
  switch (slot.type) {
    case 'Q':
      return { kind: 'query', text: slot.text };
    case 'P':
      return { kind: 'parse', name: slot.name, text: slot.text };
    case 'B':
      return { kind: 'bind', portal: slot.name, statement: slot.statement };
    case 'E':
      return { kind: 'execute', portal: slot.name };
    case 'C':
      return { kind: 'close', target: slot.target, name: slot.name };
    default:
      return { kind: 'other', type: slot.type };
  }
}

/** Where the NUL that ends the string at `start` is, within the message (before `end`), or -1. */
function nulAt(bytes: Uint8Array, start: number, end: number): number {
  for (let at = start; at < end; at++) {
    if (bytes[at] === 0) return at;
  }
  return -1;
}

// The last text decoded and a copy of its bytes: a repeated statement's text (the usual case)
// is compared byte by byte, not decoded into a new string.
let lastText = '';
let lastBytes: Uint8Array = new OwnUint8Array(0);
// Its length, kept apart: a typed array's `length` is read through a getter anyone can replace.
let lastLength = 0;

/** The UTF-8 text of `bytes[start, end)`, decoded from a view of its own over the same memory. */
function utf8(bytes: Uint8Array, start: number, end: number): string {
  if (start === end) return '';
  const length = end - start;
  if (length === lastLength) {
    let same = true;
    for (let i = 0; i < length && same; i++) same = bytes[start + i] === lastBytes[i];
    if (same) return lastText;
  }
  const view = new OwnUint8Array(bufferOf(bytes), byteOffsetOf(bytes) + start, length);
  const text = decode(decoder, view);
  // Only texts worth a copy (the short ones are names).
  if (length >= 16 && length <= 4096) {
    lastBytes = new OwnUint8Array(length);
    for (let i = 0; i < length; i++) lastBytes[i] = bytes[start + i] as number;
    lastLength = length;
    lastText = text;
  }
  return text;
}
