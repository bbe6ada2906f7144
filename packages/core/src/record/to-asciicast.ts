import { isObject, oneLine, requestSeqOf, secondsBetween } from './lib/describe.js';
import { createTerminalOutputFilter } from './lib/terminal-output-filter.js';
import type { RecordEvent } from '../types.js';
import type { SessionHead } from './format-session.js';
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
 * as a terminal would show it. The text is what was recorded (already masked), with the escape
 * sequences that could act on the viewer's terminal neutralised: colours and screen drawing are
 * kept; OSC (clipboard, title, hyperlinks), DCS/APC/PM/SOS, status queries, mouse reporting and
 * other controls are shown as inert text (docs/recording.md lists both).
 *
 * @example
 * ```ts
 * await writeFile('session.cast', toAsciicast(session, { width: 120 }));
 * ```
 * @throws TypeError when width or height is not a positive integer.
 */
export function toAsciicast(session: RecordedSession, options: AsciicastOptions = {}): string {
  const cast = createAsciicast(session.session, session.events[0]?.ts, options);
  const frames: string[] = [];
  for (const e of session.events) cast.time(e);
  for (const e of session.events) {
    const frame = cast.frame(e);
    if (frame !== undefined) frames.push(frame);
  }
  return [cast.header(), ...frames, ...cast.end()].join('\n') + '\n';
}

/**
 * {@link toAsciicast} for a session that is streamed rather than held (from
 * `sessionEventsOfFile`): yields the same lines (each with its newline), reading the events
 * twice — once for the duration the header carries, once for the frames. Memory stays bounded
 * whatever the size of the output.
 *
 * @example
 * ```ts
 * for await (const line of streamAsciicast(entry.head, () => sessionEventsOfFile(file, entry))) process.stdout.write(line);
 * ```
 * @throws TypeError when width or height is not a positive integer.
 */
export async function* streamAsciicast(
  head: Pick<SessionHead, 'session' | 'startTs'>,
  events: () => AsyncIterable<RecordEvent>,
  options: AsciicastOptions = {},
): AsyncGenerator<string> {
  const cast = createAsciicast(head.session, head.startTs, options);
  for await (const e of events()) cast.time(e);
  yield `${cast.header()}\n`;
  for await (const e of events()) {
    const frame = cast.frame(e);
    if (frame !== undefined) yield `${frame}\n`;
  }
  for (const line of cast.end()) yield `${line}\n`;
}

/** One session's export: `time` every event first (for the duration), then `frame` each. */
interface Asciicast {
  time(e: RecordEvent): void;
  header(): string;
  frame(e: RecordEvent): string | undefined;
  end(): string[];
}

function createAsciicast(session: string, startTs: string | undefined, options: AsciicastOptions): Asciicast {
  const width = options.width ?? 80;
  const height = options.height ?? 24;
  if (!Number.isSafeInteger(width) || width <= 0 || !Number.isSafeInteger(height) || height <= 0) {
    throw new TypeError('width and height must be positive integers');
  }
  const startMs = startTs === undefined ? NaN : Date.parse(startTs);
  const header: Record<string, unknown> = { version: 2, width, height };
  if (Number.isFinite(startMs)) header['timestamp'] = Math.floor(startMs / 1000);
  header['title'] = oneLine(options.title ?? `portcullis session ${session}`);
  const crlf = options.crlf ?? true;

  // Frame times: each event's `elapsed` (or its `ts` from the start), kept non-decreasing.
  const clock = (): ((e: RecordEvent) => number | undefined) => {
    let last = 0;
    let base: number | undefined;
    return (e) => {
      if (e.type !== 'output' || !isObject(e.data)) return undefined;
      if (options.requestSeq !== undefined && requestSeqOf(e.data) !== options.requestSeq) return undefined;
      if (typeof e.data['data'] !== 'string') return undefined;
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
      return last;
    };
  };
  const timing = clock();
  let duration: number | undefined;
  const frameTime = clock();
  let last = 0;
  // One filter per direction: an escape sequence split across chunks is judged whole.
  const filter = createTerminalOutputFilter();
  const inputFilter = createTerminalOutputFilter();
  let endsWithCr = false;

  return {
    time(e) {
      const t = timing(e);
      if (t !== undefined) duration = t;
    },
    header() {
      return JSON.stringify(duration === undefined ? header : { ...header, duration });
    },
    frame(e) {
      const time = frameTime(e);
      if (time === undefined || !isObject(e.data)) return undefined;
      last = time;
      const raw = e.data['data'] as string;
      const input = e.data['stream'] === 'stdin';
      let text = raw;
      if (crlf && !input) {
        // A chunk may end between the \r and the \n of one line end.
        const bare = /(?<!\r)\n/g;
        text = endsWithCr ? `\r${raw}`.replace(bare, '\r\n').slice(1) : raw.replace(bare, '\r\n');
        if (raw !== '') endsWithCr = raw.endsWith('\r');
      }
      return JSON.stringify([time, input ? 'i' : 'o', (input ? inputFilter : filter).push(text)]);
    },
    end() {
      const lines: string[] = [];
      const rest = filter.end();
      if (rest !== '') lines.push(JSON.stringify([last, 'o', rest]));
      const restIn = inputFilter.end();
      if (restIn !== '') lines.push(JSON.stringify([last, 'i', restIn]));
      return lines;
    },
  };
}
