// SPDY/3.1 framing for the API server stand-in — test-side only, a stand-in, not a SPDY
// implementation for production. kubectl (1.31 and newer) port-forwards by tunnelling SPDY/3.1
// inside WebSocket binary messages (subprotocol `SPDY/3.1+portforward.k8s.io`); the stand-in
// answers that tunnel as an API server and kubelet would. Written from the SPDY Protocol Draft 3
// (draft-mbelshe-httpbis-spdy-00) and its 3.1 revision: frame layouts, flags, the name/value
// header block, and the zlib dictionary its header compression starts from.
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';

/** The protocol version every control frame carries. */
export const SPDY_VERSION = 3;

/** Control frame types. */
export const FrameType = {
  synStream: 1,
  synReply: 2,
  rstStream: 3,
  settings: 4,
  ping: 6,
  goAway: 7,
  headers: 8,
  windowUpdate: 9,
} as const;

/** FLAG_FIN: the sender sends nothing more on the stream (data and SYN/HEADERS frames). */
export const FLAG_FIN = 0x01;
/** FLAG_UNIDIRECTIONAL (SYN_STREAM): the receiver does not answer on the stream. */
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes used by the stand-in. */
export const RstStatus = { protocolError: 1, invalidStream: 2, refusedStream: 3, cancel: 5 } as const;

/**
 * The dictionary SPDY/3 header compression starts from (the spec's section on compression):
 * header names, methods and values each prefixed with their 32-bit length, then a run of
 * status codes, status lines, dates and common values without lengths. 1423 bytes.
 */
export const SPDY_DICTIONARY: Buffer = (() => {
  const prefixed = [
    'options',
    'head',
    'post',
    'put',
    'delete',
    'trace',
    'accept',
    'accept-charset',
    'accept-encoding',
    'accept-language',
    'accept-ranges',
    'age',
    'allow',
    'authorization',
    'cache-control',
    'connection',
    'content-base',
    'content-encoding',
    'content-language',
    'content-length',
    'content-location',
    'content-md5',
    'content-range',
    'content-type',
    'date',
    'etag',
    'expect',
    'expires',
    'from',
    'host',
    'if-match',
    'if-modified-since',
    'if-none-match',
    'if-range',
    'if-unmodified-since',
    'last-modified',
    'location',
    'max-forwards',
    'pragma',
    'proxy-authenticate',
    'proxy-authorization',
    'range',
    'referer',
    'retry-after',
    'server',
    'te',
    'trailer',
    'transfer-encoding',
    'upgrade',
    'user-agent',
    'vary',
    'via',
    'warning',
    'www-authenticate',
    'method',
    'get',
    'status',
    '200 OK',
    'version',
    'HTTP/1.1',
    'url',
    'public',
    'set-cookie',
    'keep-alive',
    'origin',
  ];
  const plain = [
    '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505',
    '203 Non-Authoritative Information',
    '204 No Content',
    '301 Moved Permanently',
    '400 Bad Request',
    '401 Unauthorized',
    '403 Forbidden',
    '404 Not Found',
    '500 Internal Server Error',
    '501 Not Implemented',
    '503 Service Unavailable',
    'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT',
    'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,',
    'text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdch',
    'charset=utf-8charset=iso-8859-1,utf-,*,enq=0.',
  ];
  const parts: Buffer[] = [];
  for (const word of prefixed) parts.push(u32(word.length), Buffer.from(word, 'latin1'));
  parts.push(Buffer.from(plain.join(''), 'latin1'));
  return Buffer.concat(parts);
})();

/** A header block: lower-case names, each with its values in order. */
export type SpdyHeaders = Readonly<Record<string, readonly string[]>>;

/** One SPDY frame, decoded. */
export type SpdyFrame =
  | { readonly type: 'data'; readonly streamId: number; readonly flags: number; readonly data: Buffer }
  | {
      readonly type: 'synStream';
      readonly streamId: number;
      readonly associatedId: number;
      readonly priority: number;
      readonly flags: number;
      readonly headers: SpdyHeaders;
    }
  | {
      readonly type: 'synReply';
      readonly streamId: number;
      readonly flags: number;
      readonly headers: SpdyHeaders;
    }
  | {
      readonly type: 'headers';
      readonly streamId: number;
      readonly flags: number;
      readonly headers: SpdyHeaders;
    }
  | { readonly type: 'rstStream'; readonly streamId: number; readonly status: number }
  | {
      readonly type: 'settings';
      readonly flags: number;
      readonly entries: readonly { readonly flags: number; readonly id: number; readonly value: number }[];
    }
  | { readonly type: 'ping'; readonly id: number }
  | { readonly type: 'goAway'; readonly lastGoodStreamId: number; readonly status: number }
  | { readonly type: 'windowUpdate'; readonly streamId: number; readonly delta: number }
  | { readonly type: 'unknown'; readonly frameType: number; readonly flags: number; readonly data: Buffer };

/** The largest frame the stand-in accepts (the length field allows 16 MiB). */
const MAX_FRAME = 1 << 24;

/**
 * One direction of header compression or decompression: a single zlib stream for the whole
 * connection, as SPDY/3 requires, flushed (Z_SYNC_FLUSH) after every header block.
 */
class HeaderZlib {
  private readonly stream: Deflate | Inflate;
  private chain: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;

  constructor(kind: 'deflate' | 'inflate') {
    this.stream =
      kind === 'deflate'
        ? createDeflate({ dictionary: SPDY_DICTIONARY })
        : createInflate({ dictionary: SPDY_DICTIONARY });
    this.stream.on('error', (error: Error) => {
      this.failure ??= error;
    });
  }

  /** Feeds `input` and resolves with everything it produced once flushed; calls run in order. */
  step(input: Buffer): Promise<Buffer> {
    const next = this.chain.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          if (this.failure !== undefined) {
            reject(this.failure);
            return;
          }
          const onError = (error: Error): void => {
            reject(error);
          };
          this.stream.once('error', onError);
          this.stream.write(input);
          this.stream.flush(constants.Z_SYNC_FLUSH, () => {
            this.stream.off('error', onError);
            // The stream stays paused (nothing listens for 'data'): what this block produced
            // was pushed before the flush completed and is read here.
            const out: Buffer[] = [];
            for (let chunk = this.stream.read() as Buffer | null; chunk !== null;) {
              out.push(chunk);
              chunk = this.stream.read() as Buffer | null;
            }
            resolve(Buffer.concat(out));
          });
        }),
    );
    this.chain = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.stream.destroy();
  }
}

/** Encodes a name/value header block (uncompressed). */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [name, values] of entries) {
    const key = Buffer.from(name.toLowerCase(), 'utf8');
    const value = Buffer.from(values.join('\0'), 'utf8');
    parts.push(u32(key.length), key, u32(value.length), value);
  }
  return Buffer.concat(parts);
}

/** Decodes a name/value header block (uncompressed). @throws Error when it is malformed. */
export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const out: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  let at = 0;
  const take = (): Buffer => {
    if (at + 4 > block.length) throw new Error('SPDY header block is truncated');
    const length = block.readUInt32BE(at);
    at += 4;
    if (at + length > block.length) throw new Error('SPDY header block is truncated');
    const bytes = block.subarray(at, at + length);
    at += length;
    return bytes;
  };
  if (block.length < 4) throw new Error('SPDY header block is truncated');
  const count = block.readUInt32BE(0);
  at = 4;
  for (let i = 0; i < count; i++) {
    const name = take().toString('utf8');
    const value = take().toString('utf8');
    if (name === '' || name !== name.toLowerCase()) throw new Error('SPDY header names are lower case');
    (out[name] ??= []).push(...value.split('\0'));
  }
  if (at !== block.length) throw new Error('SPDY header block has trailing bytes');
  return out;
}

/**
 * One SPDY connection's framing: `read` takes the bytes as they arrive (frames may span
 * messages, or share one) and resolves with the complete frames in order; `write` encodes one
 * frame. Each direction keeps its own header compression context.
 */
export class SpdyCodec {
  private readonly inflater = new HeaderZlib('inflate');
  private readonly deflater = new HeaderZlib('deflate');
  private pending: Buffer = Buffer.alloc(0);
  private reading: Promise<unknown> = Promise.resolve();

  /** Decodes the frames `chunk` completes, in order. @throws Error on a malformed frame. */
  read(chunk: Buffer): Promise<SpdyFrame[]> {
    const next = this.reading.then(async () => {
      this.pending = Buffer.concat([this.pending, chunk]);
      const frames: SpdyFrame[] = [];
      while (this.pending.length >= 8) {
        const length = this.pending.readUIntBE(5, 3);
        if (length >= MAX_FRAME) throw new Error('SPDY frame too long');
        if (this.pending.length < 8 + length) break;
        const frame = Buffer.from(this.pending.subarray(0, 8 + length));
        this.pending = this.pending.subarray(8 + length);
        frames.push(await this.decode(frame));
      }
      return frames;
    });
    this.reading = next.catch(() => undefined);
    return next;
  }

  /** Encodes one frame (header blocks compressed in the order frames are written). */
  async write(frame: SpdyFrame): Promise<Buffer> {
    switch (frame.type) {
      case 'data': {
        if (frame.data.length >= MAX_FRAME) throw new RangeError('SPDY data frame too long');
        const head = Buffer.alloc(8);
        head.writeUInt32BE(frame.streamId & 0x7fffffff, 0);
        head.writeUInt8(frame.flags, 4);
        head.writeUIntBE(frame.data.length, 5, 3);
        return Buffer.concat([head, frame.data]);
      }
      case 'synStream': {
        const fixed = Buffer.alloc(10);
        fixed.writeUInt32BE(frame.streamId & 0x7fffffff, 0);
        fixed.writeUInt32BE(frame.associatedId & 0x7fffffff, 4);
        fixed.writeUInt8((frame.priority & 0x07) << 5, 8);
        const block = await this.deflater.step(encodeHeaderBlock(frame.headers));
        return control(FrameType.synStream, frame.flags, Buffer.concat([fixed, block]));
      }
      case 'synReply':
      case 'headers': {
        const block = await this.deflater.step(encodeHeaderBlock(frame.headers));
        return control(
          frame.type === 'synReply' ? FrameType.synReply : FrameType.headers,
          frame.flags,
          Buffer.concat([u32(frame.streamId & 0x7fffffff), block]),
        );
      }
      case 'rstStream':
        return control(
          FrameType.rstStream,
          0,
          Buffer.concat([u32(frame.streamId & 0x7fffffff), u32(frame.status)]),
        );
      case 'settings': {
        const parts = [u32(frame.entries.length)];
        for (const entry of frame.entries) {
          parts.push(u32(((entry.flags & 0xff) << 24) | (entry.id & 0xffffff)), u32(entry.value));
        }
        return control(FrameType.settings, frame.flags, Buffer.concat(parts));
      }
      case 'ping':
        return control(FrameType.ping, 0, u32(frame.id));
      case 'goAway':
        return control(
          FrameType.goAway,
          0,
          Buffer.concat([u32(frame.lastGoodStreamId & 0x7fffffff), u32(frame.status)]),
        );
      case 'windowUpdate':
        return control(
          FrameType.windowUpdate,
          0,
          Buffer.concat([u32(frame.streamId & 0x7fffffff), u32(frame.delta & 0x7fffffff)]),
        );
      case 'unknown':
        return control(frame.frameType, frame.flags, frame.data);
    }
  }

  /** Ends both compression contexts. */
  close(): void {
    this.inflater.close();
    this.deflater.close();
  }

  private async decode(frame: Buffer): Promise<SpdyFrame> {
    const flags = frame.readUInt8(4);
    const body = frame.subarray(8);
    if ((frame.readUInt8(0) & 0x80) === 0) {
      return { type: 'data', streamId: frame.readUInt32BE(0) & 0x7fffffff, flags, data: body };
    }
    const version = frame.readUInt16BE(0) & 0x7fff;
    if (version !== SPDY_VERSION) throw new Error(`SPDY version ${version} is not served`);
    const type = frame.readUInt16BE(2);
    const need = (n: number): void => {
      if (body.length < n) throw new Error(`SPDY control frame ${type} is too short`);
    };
    switch (type) {
      case FrameType.synStream: {
        need(10);
        return {
          type: 'synStream',
          streamId: body.readUInt32BE(0) & 0x7fffffff,
          associatedId: body.readUInt32BE(4) & 0x7fffffff,
          priority: body.readUInt8(8) >> 5,
          flags,
          headers: decodeHeaderBlock(await this.inflater.step(body.subarray(10))),
        };
      }
      case FrameType.synReply:
      case FrameType.headers: {
        need(4);
        return {
          type: type === FrameType.synReply ? 'synReply' : 'headers',
          streamId: body.readUInt32BE(0) & 0x7fffffff,
          flags,
          headers: decodeHeaderBlock(await this.inflater.step(body.subarray(4))),
        };
      }
      case FrameType.rstStream:
        need(8);
        return {
          type: 'rstStream',
          streamId: body.readUInt32BE(0) & 0x7fffffff,
          status: body.readUInt32BE(4),
        };
      case FrameType.settings: {
        need(4);
        const count = body.readUInt32BE(0);
        need(4 + count * 8);
        const entries = [];
        for (let i = 0; i < count; i++) {
          const idFlags = body.readUInt32BE(4 + i * 8);
          entries.push({
            flags: idFlags >>> 24,
            id: idFlags & 0xffffff,
            value: body.readUInt32BE(8 + i * 8),
          });
        }
        return { type: 'settings', flags, entries };
      }
      case FrameType.ping:
        need(4);
        return { type: 'ping', id: body.readUInt32BE(0) };
      case FrameType.goAway:
        need(8);
        return {
          type: 'goAway',
          lastGoodStreamId: body.readUInt32BE(0) & 0x7fffffff,
          status: body.readUInt32BE(4),
        };
      case FrameType.windowUpdate:
        need(8);
        return {
          type: 'windowUpdate',
          streamId: body.readUInt32BE(0) & 0x7fffffff,
          delta: body.readUInt32BE(4) & 0x7fffffff,
        };
      default:
        return { type: 'unknown', frameType: type, flags, data: Buffer.from(body) };
    }
  }
}

function control(type: number, flags: number, body: Buffer): Buffer {
  if (body.length >= MAX_FRAME) throw new RangeError('SPDY control frame too long');
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt8(flags, 4);
  head.writeUIntBE(body.length, 5, 3);
  return Buffer.concat([head, body]);
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0, 0);
  return b;
}
