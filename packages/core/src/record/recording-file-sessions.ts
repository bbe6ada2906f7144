// Reading a recording file for display without holding it: one streaming pass finds its
// sessions (where each lies in the file, whether its events are in seq order, and what its head
// lines need); then each session's events are streamed from its byte range.
import type { RecordEvent } from '../types.js';
import type { SessionStartData } from './event-data.js';
import type { SessionHead } from './format-session.js';
import { isObject } from './lib/describe.js';
import { DEFAULT_MAX_LINE, linesOfFileRange, type RangeLine } from './lib/lines-of-file.js';
import { eventShapeProblem } from './lib/parse-event.js';
import type { SkippedLine } from './read-recording.js';

/** One session of a recording file, as {@link indexRecordingFile} found it. */
export interface RecordingFileSession {
  readonly session: string;
  /** How many events it has. */
  readonly events: number;
  /** The bytes `[start, end)` of the file that hold all of its events. */
  readonly start: number;
  readonly end: number;
  /**
   * Whether its events appear in `seq` order (a recording the recorder wrote always does).
   * When not, {@link sessionEventsOfFile} holds the session's events to sort them.
   */
  readonly ordered: boolean;
  /** What its first lines show (see `createSessionFormatter`). */
  readonly head: SessionHead;
}

/** The sessions of a recording file, in order of first appearance. */
export interface RecordingFileIndex {
  readonly sessions: readonly RecordingFileSession[];
  /** How many lines were not events (each was given to `onSkipped`). */
  readonly skipped: number;
}

/** Options of {@link indexRecordingFile} and {@link sessionEventsOfFile}. */
export interface RecordingFileReadOptions {
  /** The longest line read, in bytes (default 64 MiB); a longer one is skipped. */
  readonly maxLineLength?: number;
}

/** Options of {@link indexRecordingFile}. */
export interface IndexRecordingFileOptions extends RecordingFileReadOptions {
  /** Told of each line that is not an event, as it is read (a torn last line, garbage). */
  readonly onSkipped?: (skipped: SkippedLine) => void;
}

interface Found {
  events: number;
  start: number;
  end: number;
  ordered: boolean;
  lastSeq: number;
  firstSeq: number;
  firstTs: string;
  startSeq: number;
  startData: unknown;
  endSeq: number;
  endData: unknown;
  lastEndSeq: number;
  lastEndTs: string | undefined;
}

/**
 * Reads a recording file once, streaming, and finds its sessions as `readRecording` would:
 * for each, where its events lie, whether they are in `seq` order, and the head of its replay
 * (first event's time, `session.start` and `session.end`). Lenient in the same way: CR-LF line
 * ends and blank lines are accepted, and lines that are not events are skipped and reported.
 * Memory grows with the number of sessions, not with the file's size.
 *
 * @example
 * ```ts
 * const { sessions } = await indexRecordingFile('audit.jsonl', { onSkipped: (s) => console.warn(s) });
 * for (const entry of sessions) {
 *   const formatter = createSessionFormatter(entry.head);
 *   for await (const event of sessionEventsOfFile('audit.jsonl', entry)) process.stdout.write(formatter.add(event));
 *   process.stdout.write(formatter.end() + '\n');
 * }
 * ```
 * @throws the `fs` error (rejects: ENOENT, EACCES, EISDIR) when the file cannot be read.
 */
export async function indexRecordingFile(
  path: string,
  options: IndexRecordingFileOptions = {},
): Promise<RecordingFileIndex> {
  const found = new Map<string, Found>();
  let skipped = 0;
  let line = 0;
  for await (const read of linesOfFileRange(path, {}, options.maxLineLength ?? DEFAULT_MAX_LINE)) {
    line += 1;
    const parsed = parseLine(read);
    if (parsed === undefined) continue;
    if (typeof parsed === 'string') {
      skipped += 1;
      options.onSkipped?.({ line, reason: parsed });
      continue;
    }
    const e = parsed;
    let s = found.get(e.session);
    if (s === undefined) {
      s = {
        events: 0,
        start: read.start,
        end: read.end,
        ordered: true,
        lastSeq: -1,
        firstSeq: Infinity,
        firstTs: '',
        startSeq: Infinity,
        startData: undefined,
        endSeq: Infinity,
        endData: undefined,
        lastEndSeq: -1,
        lastEndTs: undefined,
      };
      found.set(e.session, s);
    }
    s.events += 1;
    s.end = read.end;
    if (e.seq < s.lastSeq) s.ordered = false;
    s.lastSeq = Math.max(s.lastSeq, e.seq);
    // The first of equal seqs wins a "first", the last a "last", as a stable sort leaves them.
    if (e.seq < s.firstSeq) {
      s.firstSeq = e.seq;
      s.firstTs = e.ts;
    }
    if (e.type === 'session.start' && e.seq < s.startSeq) {
      s.startSeq = e.seq;
      s.startData = e.data;
    }
    if (e.type === 'session.end') {
      if (e.seq < s.endSeq) {
        s.endSeq = e.seq;
        s.endData = e.data;
      }
      if (e.seq >= s.lastEndSeq) {
        s.lastEndSeq = e.seq;
        s.lastEndTs = e.ts;
      }
    }
  }
  const sessions: RecordingFileSession[] = [];
  for (const [session, s] of found) {
    sessions.push({
      session,
      events: s.events,
      start: s.start,
      end: s.end,
      ordered: s.ordered,
      head: {
        session,
        startTs: s.firstTs,
        ...(s.lastEndTs === undefined ? {} : { endTs: s.lastEndTs }),
        ...(isObject(s.startData) ? { start: s.startData as unknown as SessionStartData } : {}),
        ...(isObject(s.endData) ? { end: s.endData } : {}),
      },
    });
  }
  return { sessions, skipped };
}

/**
 * The events of one session of a recording file (an entry of {@link indexRecordingFile}), in
 * `seq` order, streamed from the bytes that hold them. A session whose events are out of order
 * in the file (`ordered: false`) is read whole and sorted first.
 *
 * @example
 * ```ts
 * for await (const event of sessionEventsOfFile('audit.jsonl', entry)) console.log(event.seq, event.type);
 * ```
 * @throws the `fs` error when the file cannot be read.
 */
export async function* sessionEventsOfFile(
  path: string,
  entry: Pick<RecordingFileSession, 'session' | 'start' | 'end' | 'ordered'>,
  options: RecordingFileReadOptions = {},
): AsyncGenerator<RecordEvent> {
  // Lines of other sessions are skipped without parsing when they cannot name this one: a line
  // with no backslash holds every string as it is, so it names the session only literally.
  const literal = JSON.stringify(entry.session);
  const events: RecordEvent[] = [];
  const range = { start: entry.start, end: entry.end };
  for await (const read of linesOfFileRange(path, range, options.maxLineLength ?? DEFAULT_MAX_LINE)) {
    if (!read.text.includes(literal) && !read.text.includes('\\')) continue;
    const parsed = parseLine(read);
    if (typeof parsed !== 'object' || parsed.session !== entry.session) continue;
    if (entry.ordered) yield parsed;
    else events.push(parsed);
  }
  if (entry.ordered) return;
  const order = events.map((event, i) => ({ event, i }));
  order.sort((a, b) => a.event.seq - b.event.seq || a.i - b.i);
  for (const { event } of order) yield event;
}

/** An event, why the line is not one, or undefined for a blank line. */
function parseLine(read: RangeLine): RecordEvent | string | undefined {
  if (read.tooLong !== undefined) return `longer than ${read.tooLong} bytes`;
  const text = read.text.endsWith('\r') ? read.text.slice(0, -1) : read.text;
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not valid JSON';
  }
  return eventShapeProblem(value) ?? (value as RecordEvent);
}
