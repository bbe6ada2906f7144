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
  /**
   * Turn each bare `\n` into `\r\n` (default true). Output of a command run without a terminal
   * has bare newlines, which a player's terminal would draw as a staircase; output recorded from
   * a terminal already has `\r\n` and is left as it is.
   */
  readonly crlf?: boolean;
}

/**
 * Exports a session's `output` events as an asciicast v2 recording (a header line, then one
 * `[time, "o", text]` line per chunk, and `[time, "i", text]` for what was typed into a shell:
 * the `stdin` stream), playable with `asciinema play`. Times are each event's
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

  const crlf = options.crlf ?? true;
  const frames: [number, 'o' | 'i', string][] = [];
  let last = 0;
  let endsWithCr = false;
  let base: number | undefined;
  for (const e of session.events) {
    if (e.type !== 'output' || !isObject(e.data)) continue;
    if (options.requestSeq !== undefined && requestSeqOf(e.data) !== options.requestSeq) continue;
    const raw = e.data['data'];
    if (typeof raw !== 'string') continue;
    const input = e.data['stream'] === 'stdin';
    let text = raw;
    if (crlf && !input) {
      // A chunk may end between the \r and the \n of one line end.
      const bare = /(?<!\r)\n/g;
      text = endsWithCr ? `\r${raw}`.replace(bare, '\r\n').slice(1) : raw.replace(bare, '\r\n');
      if (raw !== '') endsWithCr = raw.endsWith('\r');
    }
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
    frames.push([last, input ? 'i' : 'o', text]);
  }
  if (frames.length > 0) header['duration'] = last;
  return [JSON.stringify(header), ...frames.map((f) => JSON.stringify(f))].join('\n') + '\n';
}
