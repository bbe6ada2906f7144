// Reads a file's lines as a stream, in bounded memory: a line longer than the limit is skipped
// (reported as too long) instead of being held whole.
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { VerifyLine } from '../verify.js';

/** The longest line kept, in UTF-16 code units of decoded text (default 64 MiB). */
export const DEFAULT_MAX_LINE = 64 * 1024 * 1024;

/**
 * The lines of a file, each with whether a newline ended it. Bytes that are not UTF-8 become
 * U+FFFD. At most one chunk and one line are held at a time.
 */
export async function* linesOfFile(path: string, maxLine = DEFAULT_MAX_LINE): AsyncGenerator<VerifyLine> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let skipping = false;
  let line = 1;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    const text = carry + decoder.write(chunk as Buffer);
    carry = '';
    let start = 0;
    for (;;) {
      const end = text.indexOf('\n', start);
      if (end === -1) break;
      if (skipping) {
        yield { line, text: '', terminated: true, tooLong: maxLine };
        skipping = false;
      } else if (end - start > maxLine) {
        yield { line, text: '', terminated: true, tooLong: maxLine };
      } else {
        yield { line, text: text.slice(start, end), terminated: true };
      }
      line += 1;
      start = end + 1;
    }
    if (!skipping && text.length - start > maxLine) skipping = true;
    if (!skipping) carry = text.slice(start);
  }
  carry += decoder.end();
  if (skipping) yield { line, text: '', terminated: false, tooLong: maxLine };
  else if (carry !== '') yield { line, text: carry, terminated: false };
}

/** One line of a byte range of a file, with where it lies in the file. */
export interface RangeLine {
  readonly text: string;
  /** Whether a newline ended it (false only for a last line without one). */
  readonly terminated: boolean;
  /** Set when the line was longer than the limit: its text is empty. */
  readonly tooLong?: number;
  /** Byte offset of the line's first byte. */
  readonly start: number;
  /** Byte offset just after the line (after its newline, when it has one). */
  readonly end: number;
}

/**
 * The lines of bytes `[start, end)` of a file (default: all of it), split on newline bytes and
 * each decoded as UTF-8 on its own (bytes that are not UTF-8 become U+FFFD; a newline byte is
 * never part of a multi-byte character, so this reads the text as a whole-file decoder would).
 * At most one chunk and one line (up to `maxLine` bytes) are held at a time.
 */
export async function* linesOfFileRange(
  path: string,
  range: { readonly start?: number; readonly end?: number } = {},
  maxLine = DEFAULT_MAX_LINE,
): AsyncGenerator<RangeLine> {
  const from = range.start ?? 0;
  const until = range.end ?? Infinity;
  if (until <= from) return;
  const parts: Buffer[] = [];
  let held = 0;
  let skipping = false;
  let lineStart = from;
  let offset = from;
  const stream = createReadStream(path, {
    start: from,
    ...(Number.isFinite(until) ? { end: until - 1 } : {}),
    highWaterMark: 1024 * 1024,
  });
  for await (const data of stream) {
    const chunk = data as Buffer;
    let at = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, at);
      if (nl === -1) break;
      const end = offset + nl + 1;
      if (skipping || held + (nl - at) > maxLine) {
        yield { text: '', terminated: true, tooLong: maxLine, start: lineStart, end };
      } else {
        parts.push(chunk.subarray(at, nl));
        yield { text: Buffer.concat(parts).toString('utf8'), terminated: true, start: lineStart, end };
      }
      parts.length = 0;
      held = 0;
      skipping = false;
      lineStart = end;
      at = nl + 1;
    }
    if (!skipping) {
      if (held + (chunk.length - at) > maxLine) {
        skipping = true;
        parts.length = 0;
        held = 0;
      } else if (at < chunk.length) {
        // A copy: the stream may reuse its buffer.
        parts.push(Buffer.from(chunk.subarray(at)));
        held += chunk.length - at;
      }
    }
    offset += chunk.length;
  }
  if (offset > lineStart) {
    if (skipping) yield { text: '', terminated: false, tooLong: maxLine, start: lineStart, end: offset };
    else
      yield { text: Buffer.concat(parts).toString('utf8'), terminated: false, start: lineStart, end: offset };
  }
}
