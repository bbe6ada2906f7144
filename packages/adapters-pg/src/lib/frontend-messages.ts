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
  const messages: FrontendMessage[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    if (offset + 5 > buffer.length) return undefined;
    const typeByte = buffer[offset] ?? 0;
    // A message type is a printable ASCII letter; a zero first byte is an untyped message.
    if (typeByte < 0x41 || typeByte > 0x7a) return undefined;
    const length = buffer.readInt32BE(offset + 1);
    const end = offset + 1 + length;
    if (length < 4 || end > buffer.length) return undefined;
    const body = buffer.subarray(offset + 5, end);
    const type = String.fromCharCode(typeByte);
    const message = readMessage(type, body);
    if (message === undefined) return undefined;
    messages.push(message);
    offset = end;
  }
  return messages;
}

function readMessage(type: string, body: Buffer): FrontendMessage | undefined {
  switch (type) {
    case 'Q': {
      const text = cString(body, 0);
      // Exactly one string and its terminator: trailing bytes would be a second, hidden text.
      if (text === undefined || text.next !== body.length) return undefined;
      return { kind: 'query', text: text.value };
    }
    case 'P': {
      const name = cString(body, 0);
      if (name === undefined) return undefined;
      const text = cString(body, name.next);
      if (text === undefined) return undefined;
      return { kind: 'parse', name: name.value, text: text.value };
    }
    case 'B': {
      const portal = cString(body, 0);
      if (portal === undefined) return undefined;
      const statement = cString(body, portal.next);
      if (statement === undefined) return undefined;
      return { kind: 'bind', portal: portal.value, statement: statement.value };
    }
    case 'E': {
      const portal = cString(body, 0);
      // The portal's name and the row limit (Int32), nothing else.
      if (portal === undefined || portal.next + 4 !== body.length) return undefined;
      return { kind: 'execute', portal: portal.value };
    }
    case 'C': {
      const target = body[0];
      const name = cString(body, 1);
      if ((target !== 0x53 && target !== 0x50) || name === undefined || name.next !== body.length)
        return undefined;
      return { kind: 'close', target: target === 0x53 ? 'S' : 'P', name: name.value };
    }
    default:
      return { kind: 'other', type };
  }
}

function cString(
  buffer: Buffer,
  start: number,
): { readonly value: string; readonly next: number } | undefined {
  const nul = buffer.indexOf(0, start);
  if (nul === -1) return undefined;
  return { value: buffer.toString('utf8', start, nul), next: nul + 1 };
}
