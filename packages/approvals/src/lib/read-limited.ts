import type { ReadableStreamReadResult } from 'node:stream/web';
/**
 * Reads a body while it streams and stops at `max` bytes: resolves the bytes, or `undefined`
 * when the body is larger (the rest is not read).
 */
export async function readLimited(
  body: ReadableStream<Uint8Array> | null,
  max: number,
): Promise<Buffer | undefined> {
  if (body === null) return Buffer.alloc(0);
  const reader: ReadableStreamDefaultReader<Uint8Array> = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const next: ReadableStreamReadResult<Uint8Array> = await reader.read();
    if (next.done) break;
    size += next.value.byteLength;
    if (size > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(next.value);
  }
  return Buffer.concat(chunks);
}
