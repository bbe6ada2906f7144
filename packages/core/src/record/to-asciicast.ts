import { isObject, requestSeqOf, secondsBetween } from './lib/describe.js';
import type { RecordedSession } from './read-recording.js';

/** Options of {@link toAsciicast}. */
export interface AsciicastOptions {
  /** Terminal width in columns (default 80). */
  readonly width?: number;
  /** Terminal height in rows (default 24). */
  readonly height?: number;
  /** Title in the header (default `portcullis session <id>`). */
  readonly title?: string;
  /** Export only the output of this request (by its `seq`), timed from its first output. */
  readonly requestSeq?: number;
}

/**
 * Exports a session's `output` events as an asciicast v2 recording (a header line, then one
 * `[time, "o", text]` line per chunk), playable with `asciinema play`. Times are each event's
 * `elapsed` seconds (falling back to its `ts` relative to the session start), kept
 * non-decreasing as players require. stderr is written to the same terminal stream as stdout,
 * as a terminal would show it. The text is what was recorded, which is already masked.
 *
 * @example
 * ```ts
 * await writeFile('session.cast', toAsciicast(session, { width: 120 }));
 * ```
 * @throws TypeError when width or height is not a positive integer.
 */
export function toAsciicast(session: RecordedSession, options: AsciicastOptions = {}): string {
  const width = options.width ?? 80;
  const height = options.height ?? 24;
  if (!Number.isSafeInteger(width) || width <= 0 || !Number.isSafeInteger(height) || height <= 0) {
    throw new TypeError('width and height must be positive integers');
  }
  const startTs = session.events[0]?.ts;
  const startMs = startTs === undefined ? NaN : Date.parse(startTs);
  const header: Record<string, unknown> = { version: 2, width, height };
  if (Number.isFinite(startMs)) header['timestamp'] = Math.floor(startMs / 1000);
  header['title'] = options.title ?? `portcullis session ${session.session}`;

  const frames: [number, 'o', string][] = [];
  let last = 0;
  let base: number | undefined;
  for (const e of session.events) {
    if (e.type !== 'output' || !isObject(e.data)) continue;
    if (options.requestSeq !== undefined && requestSeqOf(e.data) !== options.requestSeq) continue;
    const text = e.data['data'];
    if (typeof text !== 'string') continue;
    const elapsed = e.data['elapsed'];
    let time =
      typeof elapsed === 'number' && Number.isFinite(elapsed)
        ? elapsed
        : startTs === undefined
          ? 0
          : secondsBetween(startTs, e.ts);
    if (!Number.isFinite(time)) time = last;
    if (options.requestSeq !== undefined) {
      base ??= time;
      time -= base;
    }
    last = Math.max(last, Math.round(time * 1e6) / 1e6);
    frames.push([last, 'o', text]);
  }
  if (frames.length > 0) header['duration'] = last;
  return [JSON.stringify(header), ...frames.map((f) => JSON.stringify(f))].join('\n') + '\n';
}
