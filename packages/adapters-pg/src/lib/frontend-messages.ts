/**
 * Reads the messages a client writes to a PostgreSQL server (protocol 3.0, "frontend"
 * messages), just far enough for the backstop to know which SQL text each one carries.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

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
 * malformed here.
 *
 * @example
 * ```ts
 * parseFrontendMessages(Buffer.from('Q\0\0\0\x0dSELECT 1\0', 'latin1')); // [{ kind: 'query', text: 'SELECT 1' }]
 * ```
 */
export function parseFrontendMessages(chunk: Uint8Array): readonly FrontendMessage[] | undefined {
  const buffer = Buffer.isBuffer(chunk)
    ? chunk
    : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const slot = frontendMessageSlot();
  const messages: FrontendMessage[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    offset = readFrontendMessage(buffer, offset, slot);
    if (offset === -1) return undefined;
    messages.push(messageOf(slot));
  }
  return messages;
}

/**
 * Reads the message that starts at `offset` of `buffer` into `slot` (see
 * {@link FrontendMessageSlot}); returns the offset of the message after it, or -1 when no whole,
 * well-formed typed message starts there. {@link parseFrontendMessages} is this, message after
 * message, for callers that want objects.
 *
 * @example
 * ```ts
 * const slot = frontendMessageSlot();
 * for (let at = 0; at < chunk.length; ) {
 *   at = readFrontendMessage(chunk, at, slot);
 *   if (at === -1) throw new Error('not whole protocol messages');
 *   if (slot.type === 'Q') console.log(slot.text);
 * }
 * ```
 */
export function readFrontendMessage(buffer: Buffer, offset: number, slot: FrontendMessageSlot): number {
  if (offset + 5 > buffer.length) return -1;
  const typeByte = buffer[offset] ?? 0;
  // A message type is a printable ASCII letter; a zero first byte is an untyped message.
  if (typeByte < 0x41 || typeByte > 0x7a) return -1;
  // Int32, big-endian, read by hand: Buffer#readInt32BE was most of the cost of reading a short message.
  const length =
    ((buffer[offset + 1] ?? 0) << 24) |
    ((buffer[offset + 2] ?? 0) << 16) |
    ((buffer[offset + 3] ?? 0) << 8) |
    (buffer[offset + 4] ?? 0);
  const end = offset + 1 + length;
  if (length < 4 || end > buffer.length) return -1;
  const start = offset + 5;
  switch (typeByte) {
    case 0x51 /* Q */: {
      const nul = nulAt(buffer, start, end);
      // Exactly one string and its terminator: trailing bytes would be a second, hidden text.
      if (nul !== end - 1) return -1;
      slot.text = utf8(buffer, start, nul);
      break;
    }
    case 0x50 /* P */: {
      const nameEnd = nulAt(buffer, start, end);
      if (nameEnd === -1) return -1;
      const textEnd = nulAt(buffer, nameEnd + 1, end);
      if (textEnd === -1) return -1;
      slot.name = utf8(buffer, start, nameEnd);
      slot.text = utf8(buffer, nameEnd + 1, textEnd);
      break;
    }
    case 0x42 /* B */: {
      const portalEnd = nulAt(buffer, start, end);
      if (portalEnd === -1) return -1;
      const statementEnd = nulAt(buffer, portalEnd + 1, end);
      if (statementEnd === -1) return -1;
      slot.name = utf8(buffer, start, portalEnd);
      slot.statement = utf8(buffer, portalEnd + 1, statementEnd);
      break;
    }
    case 0x45 /* E */: {
      const portalEnd = nulAt(buffer, start, end);
      // The portal's name and the row limit (Int32), nothing else.
      if (portalEnd === -1 || portalEnd + 5 !== end) return -1;
      slot.name = utf8(buffer, start, portalEnd);
      break;
    }
    case 0x43 /* C */: {
      const target = buffer[start];
      const nameEnd = nulAt(buffer, start + 1, end);
      if ((target !== 0x53 && target !== 0x50) || nameEnd !== end - 1) return -1;
      slot.target = target === 0x53 ? 'S' : 'P';
      slot.name = utf8(buffer, start + 1, nameEnd);
      break;
    }
    default:
    // Any other type carries nothing the backstop reads.
  }
  slot.type = String.fromCharCode(typeByte);
  return end;
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
function nulAt(buffer: Buffer, start: number, end: number): number {
  // Names are mostly empty: look at the first byte before searching.
  if (start >= end) return -1;
  if (buffer[start] === 0) return start;
  const nul = buffer.indexOf(0, start);
  return nul < end ? nul : -1;
}

function utf8(buffer: Buffer, start: number, end: number): string {
  return start === end ? '' : buffer.toString('utf8', start, end);
}
