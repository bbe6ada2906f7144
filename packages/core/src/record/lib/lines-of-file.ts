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
