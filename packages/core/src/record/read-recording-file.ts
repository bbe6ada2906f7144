import { readFile } from 'node:fs/promises';

/**
 * Reads a recording file as text for {@link verifyRecording} or {@link readRecording}. Bytes that
 * are not UTF-8 become U+FFFD, which verification then reports as a modified event.
 *
 * @example
 * ```ts
 * const report = verifyRecording(await readRecordingFile('audit.jsonl'));
 * ```
 * @throws the `fs` error (ENOENT, EACCES, EISDIR) when the file cannot be read.
 */
export async function readRecordingFile(path: string): Promise<string> {
  return (await readFile(path)).toString('utf8');
}
