import { linesOfFile } from './lib/lines-of-file.js';
import { RecordingVerifier, type VerifyOptions, type VerifyReport } from './verify.js';

/** Options of {@link verifyRecordingFile}. */
export interface VerifyFileOptions extends VerifyOptions {
  /** The longest line read, in characters (default 64 MiB); a longer one is reported as malformed. */
  readonly maxLineLength?: number;
}

/**
 * Verifies a recording file as {@link verifyRecording} does, streaming it: memory stays bounded
 * by the number of sessions and the longest line, not by the file's size (a 1 GB recording
 * verifies in a few MB of heap). When a session is damaged the file is read a second time, and
 * the detailed analysis of that session keeps its events without their data.
 *
 * @example
 * ```ts
 * const report = await verifyRecordingFile('audit.jsonl', { publicKey: pem });
 * console.log(formatVerifyReport(report, { file: 'audit.jsonl' }));
 * ```
 * @throws the `fs` error (rejects: ENOENT, EACCES, EISDIR) when the file cannot be read; a
 *   TypeError when `publicKey` is not an Ed25519 key.
 */
export async function verifyRecordingFile(
  path: string,
  options: VerifyFileOptions = {},
): Promise<VerifyReport> {
  const verifier = new RecordingVerifier(options);
  for await (const line of linesOfFile(path, options.maxLineLength)) verifier.line(line);
  if (verifier.needsSecondPass) {
    for await (const line of linesOfFile(path, options.maxLineLength)) verifier.lineAgain(line);
  }
  return verifier.report();
}
