// The streaming Transform: bytes (UTF-8, decoded without splitting characters) or strings in,
// masked bytes out. Its output equals masking the whole input at once, for every chunking.
import { Buffer } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import { Transform } from 'node:stream';
import { LONGEST_TIMER_MS } from '../longest-timer.js';
import type { MaskEngine } from './lib/engine.js';
import type { MaskStreamOptions } from './types.js';

// Output chunks are cut from zero-filled slabs of this many bytes: a Buffer of its own per
// chunk (4 KB and up is past Node's pool) cost ~0.3 ms per streamed MB, slabs ~0.15.
const SLAB = 65536;

/**
 * Encodes text as UTF-8 into a slab shared by the chunks of one stream (as Node's own pool
 * shares one among small Buffers): a consumer that reads a chunk's `buffer` sees only this
 * stream's earlier masked output and zeros. Long text gets a Buffer of its own.
 */
function slabEncoder(): (text: string) => Buffer {
  let slab = Buffer.alloc(0);
  let used = 0;
  return (text) => {
    const n = Buffer.byteLength(text, 'utf8');
    if (n > SLAB / 4) return Buffer.from(text, 'utf8');
    if (n > slab.length - used) {
      slab = Buffer.alloc(SLAB);
      used = 0;
    }
    slab.write(text, used, n, 'utf8');
    used += n;
    return slab.subarray(used - n, used);
  };
}

/** Builds the Transform around a fresh engine. Internal: use `Masker.createStream`. */
export function createMaskTransform(engine: MaskEngine, options: MaskStreamOptions = {}): Transform {
  const idleMs = options.idleFlushMs;
  if (idleMs !== undefined && !(typeof idleMs === 'number' && Number.isFinite(idleMs) && idleMs > 0)) {
    throw new TypeError('idleFlushMs must be a positive number of milliseconds');
  }
  if (options.encoding !== undefined && !Buffer.isEncoding(options.encoding)) {
    throw new TypeError(`unknown encoding "${String(options.encoding)}"`);
  }
  const decoder = new StringDecoder('utf8');
  const encode = slabEncoder();
  let timer: NodeJS.Timeout | undefined;
  const stopTimer = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const transform = new Transform({
    decodeStrings: false,
    ...(options.encoding === undefined ? {} : { encoding: options.encoding }),
    transform(chunk: unknown, encoding: BufferEncoding | 'buffer', callback) {
      try {
        let text: string;
        if (typeof chunk === 'string') {
          text =
            encoding === 'utf8' || encoding === 'utf-8' || encoding === 'buffer'
              ? decoder.end() + chunk
              : decoder.write(Buffer.from(chunk, encoding));
        } else if (chunk instanceof Uint8Array) {
          text = decoder.write(
            chunk instanceof Buffer ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
          );
        } else {
          throw new TypeError('a mask stream accepts strings, Buffers and Uint8Arrays');
        }
        const out = engine.write(text);
        if (out.length > 0) this.push(encode(out));
        if (idleMs !== undefined) {
          stopTimer();
          timer = setTimeout(
            () => {
              timer = undefined;
              if (transform.destroyed || transform.writableFinished) return;
              const flushed = engine.idle();
              if (flushed.length > 0) transform.push(encode(flushed));
            },
            Math.min(idleMs, LONGEST_TIMER_MS),
          );
          timer.unref();
        }
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    flush(callback) {
      stopTimer();
      try {
        const rest = decoder.end();
        const out = (rest.length > 0 ? engine.write(rest) : '') + engine.end();
        if (out.length > 0) this.push(encode(out));
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    destroy(err, callback) {
      stopTimer();
      callback(err);
    },
  });
  return transform;
}
