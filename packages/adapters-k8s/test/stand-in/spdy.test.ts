// The stand-in's SPDY/3.1 framing: every frame type survives a round trip, header blocks share
// one compression context per direction, and frames are found however the bytes are split.
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeHeaderBlock,
  encodeHeaderBlock,
  FLAG_FIN,
  SPDY_DICTIONARY,
  SpdyCodec,
  type SpdyFrame,
} from './spdy.js';

function adler32(bytes: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

const FRAMES: SpdyFrame[] = [
  {
    type: 'synStream',
    streamId: 1,
    associatedId: 0,
    priority: 0,
    flags: 0,
    headers: { streamtype: ['error'], port: ['80'], requestid: ['0'] },
  },
  {
    type: 'synStream',
    streamId: 3,
    associatedId: 0,
    priority: 7,
    flags: FLAG_FIN,
    headers: { streamtype: ['data'], port: ['80'], requestid: ['0'], many: ['a', 'b'] },
  },
  { type: 'synReply', streamId: 3, flags: 0, headers: {} },
  { type: 'headers', streamId: 3, flags: FLAG_FIN, headers: { 'x-more': ['1'] } },
  { type: 'data', streamId: 3, flags: 0, data: Buffer.from('hello') },
  { type: 'data', streamId: 1, flags: FLAG_FIN, data: Buffer.alloc(0) },
  { type: 'rstStream', streamId: 5, status: 5 },
  { type: 'settings', flags: 1, entries: [{ flags: 1, id: 7, value: 65536 }] },
  { type: 'ping', id: 1 },
  { type: 'goAway', lastGoodStreamId: 3, status: 0 },
  { type: 'windowUpdate', streamId: 3, delta: 4096 },
  { type: 'unknown', frameType: 42, flags: 0, data: Buffer.from([1, 2, 3]) },
];

async function encodeAll(frames: readonly SpdyFrame[]): Promise<Buffer[]> {
  const writer = new SpdyCodec();
  const out: Buffer[] = [];
  for (const frame of frames) out.push(await writer.write(frame));
  writer.close();
  return out;
}

describe('SPDY/3.1 framing (stand-in)', () => {
  it('the header dictionary is the 1423 bytes whose Adler-32 kubectl’s zlib streams name', () => {
    expect(SPDY_DICTIONARY.length).toBe(1423);
    // The DICTID in the zlib header of kubectl's (client-go's) SPDY header blocks.
    expect(adler32(SPDY_DICTIONARY).toString(16)).toBe('e3c6a7c2');
    expect(SPDY_DICTIONARY.subarray(0, 11)).toEqual(Buffer.from([0, 0, 0, 7, ...Buffer.from('options')]));
    expect(SPDY_DICTIONARY.subarray(-6).toString('latin1')).toBe('enq=0.');
  });

  it('every frame type survives a round trip, in order, with one compression context', async () => {
    const reader = new SpdyCodec();
    const decoded: SpdyFrame[] = [];
    for (const bytes of await encodeAll(FRAMES)) decoded.push(...(await reader.read(bytes)));
    reader.close();
    expect(decoded).toEqual(FRAMES);
  });

  it('finds frames split at every byte and frames joined in one chunk', async () => {
    const all = Buffer.concat(await encodeAll(FRAMES));
    const bytewise = new SpdyCodec();
    const split: SpdyFrame[] = [];
    for (let i = 0; i < all.length; i++) split.push(...(await bytewise.read(all.subarray(i, i + 1))));
    bytewise.close();
    expect(split).toEqual(FRAMES);
    const joined = new SpdyCodec();
    expect(await joined.read(all)).toEqual(FRAMES);
    joined.close();
  });

  it('header blocks are zlib streams that start from the SPDY dictionary', async () => {
    const [syn] = await encodeAll(FRAMES.slice(0, 1));
    const block = (syn as Buffer).subarray(18);
    // FDICT set, and the dictionary id is the dictionary's Adler-32.
    expect((block[1] as number) & 0x20).toBe(0x20);
    expect(block.readUInt32BE(2)).toBe(adler32(SPDY_DICTIONARY));
    const plain = inflateSync(block, { dictionary: SPDY_DICTIONARY, finishFlush: 2 /* Z_SYNC_FLUSH */ });
    expect(decodeHeaderBlock(plain)).toEqual({ streamtype: ['error'], port: ['80'], requestid: ['0'] });
  });

  it('a header block is counted name/value pairs; repeated values are NUL-separated', () => {
    const block = encodeHeaderBlock({ port: ['80'], many: ['a', 'b'] });
    expect(block.toString('latin1')).toBe('\0\0\0\x02\0\0\0\x04port\0\0\0\x0280\0\0\0\x04many\0\0\0\x03a\0b');
    expect(decodeHeaderBlock(block)).toEqual({ port: ['80'], many: ['a', 'b'] });
    expect(() => decodeHeaderBlock(block.subarray(0, block.length - 1))).toThrow(/truncated/);
    expect(() => decodeHeaderBlock(encodeHeaderBlock({ ok: ['1'] }).fill(0x41, 8, 10))).toThrow(/lower case/);
  });

  it('refuses a control frame of another SPDY version and headers under a wrong dictionary', async () => {
    const ping = await new SpdyCodec().write({ type: 'ping', id: 1 });
    ping.writeUInt16BE(0x8002, 0);
    await expect(new SpdyCodec().read(ping)).rejects.toThrow(/version 2/);
    const [syn] = await encodeAll(FRAMES.slice(0, 1));
    const forged = Buffer.from(syn as Buffer);
    forged.writeUInt32BE(0x01020304, 20); // another DICTID
    await expect(new SpdyCodec().read(forged)).rejects.toThrow();
  });
});
