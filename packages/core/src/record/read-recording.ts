import type { RecordEvent } from '../types.js';
import type { RecordingInput } from './types.js';
import type { SessionEndData, SessionStartData } from './event-data.js';
import { eventShapeProblem, isEventArray, linesOfIterable, linesOfText } from './lib/parse-event.js';

/** One session of a recording, as {@link readRecording} found it. */
export interface RecordedSession {
  readonly session: string;
  /** The session's events ordered by `seq` (a verified recording is already in that order). */
  readonly events: readonly RecordEvent[];
  /** The line of each event, in the same order as `events`. */
  readonly lines: readonly number[];
  /** `data` of `session.start`, when present. */
  readonly start?: SessionStartData;
  /** `data` of `session.end`, when present. */
  readonly end?: SessionEndData;
}

/** A line {@link readRecording} could not read as an event. */
export interface SkippedLine {
  readonly line: number;
  readonly reason: string;
}

/** The sessions of a recording and the lines that were not events. */
export interface ReadRecordingResult {
  /** In order of first appearance. */
  readonly sessions: readonly RecordedSession[];
  readonly skipped: readonly SkippedLine[];
}

/**
 * Reads a recording for display (replay, export): groups events by session and orders them by
 * `seq`. Lenient on purpose: `\r\n` line ends and blank lines are accepted, and lines that are
 * not events (a torn last line, garbage) are listed in `skipped` instead of stopping the read.
 * It does not check hashes: run {@link verifyRecording} for that.
 *
 * @example
 * ```ts
 * const { sessions, skipped } = readRecording(await readRecordingFile('audit.jsonl'));
 * for (const s of sessions) console.log(formatSession(s));
 * ```
 * @throws TypeError when lines given as an iterable are not strings.
 */
export function readRecording(input: RecordingInput): ReadRecordingResult {
  const bySession = new Map<string, { events: RecordEvent[]; lines: number[] }>();
  const skipped: SkippedLine[] = [];
  const add = (line: number, event: RecordEvent): void => {
    let s = bySession.get(event.session);
    if (s === undefined) bySession.set(event.session, (s = { events: [], lines: [] }));
    s.events.push(event);
    s.lines.push(line);
  };

  if (isEventArray(input)) {
    input.forEach((value, i) => {
      const problem = eventShapeProblem(value);
      if (problem === undefined) add(i + 1, value);
      else skipped.push({ line: i + 1, reason: problem });
    });
  } else {
    for (const { line, text: raw } of typeof input === 'string'
      ? linesOfText(input)
      : linesOfIterable(input)) {
      const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        skipped.push({ line, reason: 'not valid JSON' });
        continue;
      }
      const problem = eventShapeProblem(value);
      if (problem === undefined) add(line, value as RecordEvent);
      else skipped.push({ line, reason: problem });
    }
  }

  const sessions: RecordedSession[] = [];
  for (const [session, { events, lines }] of bySession) {
    const order = events.map((event, i) => ({ event, line: lines[i] ?? 0, i }));
    order.sort((a, b) => a.event.seq - b.event.seq || a.i - b.i);
    const sorted = order.map((o) => o.event);
    const start = sorted.find((e) => e.type === 'session.start')?.data;
    const end = sorted.find((e) => e.type === 'session.end')?.data;
    sessions.push({
      session,
      events: sorted,
      lines: order.map((o) => o.line),
      ...(isObject(start) ? { start: start as unknown as SessionStartData } : {}),
      ...(isObject(end) ? { end } : {}),
    });
  }
  return { sessions, skipped };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
