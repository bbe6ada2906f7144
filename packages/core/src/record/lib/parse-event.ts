// Reading event lines: split a recording into lines (noting whether the last one was
// terminated) and check that a parsed line has exactly the shape of a version 1 event.
import type { RecordEvent, RecordEventType } from '../../types.js';
import type { RecordingInput } from '../types.js';

/** One line of input. */
export interface InputLine {
  /** 1-based line number. */
  readonly line: number;
  readonly text: string;
  /** False only for a last line with no newline after it (a torn write). */
  readonly terminated: boolean;
}

export const EVENT_TYPES: ReadonlySet<string> = new Set<RecordEventType>([
  'session.start',
  'request',
  'decision',
  'approval',
  'result',
  'output',
  'error',
  'session.end',
  'checkpoint',
]);

const KEYS = ['data', 'hash', 'prev', 'seq', 'session', 'ts', 'type', 'v'];
const HEX64 = /^[0-9a-f]{64}$/;

/** Splits the text of a recording into lines. A final newline ends the last line; it does not start another. */
export function* linesOfText(text: string): Generator<InputLine> {
  let start = 0;
  let line = 1;
  for (;;) {
    const end = text.indexOf('\n', start);
    if (end === -1) {
      if (start < text.length) yield { line, text: text.slice(start), terminated: false };
      return;
    }
    yield { line, text: text.slice(start, end), terminated: true };
    start = end + 1;
    line += 1;
  }
}

/** Lines given one by one (as from `readline`) carry no terminators: each counts as terminated. */
export function* linesOfIterable(lines: Iterable<string>): Generator<InputLine> {
  let line = 1;
  for (const text of lines) {
    if (typeof text !== 'string') throw new TypeError('a recording given as lines must be strings');
    yield { line, text, terminated: true };
    line += 1;
  }
}

/** Whether the input is an array of parsed events rather than lines. */
export function isEventArray(input: RecordingInput): input is readonly RecordEvent[] {
  return Array.isArray(input) && input.length > 0 && typeof input[0] !== 'string';
}

/** Checks a parsed value has exactly the members and types of a version 1 event; returns why not. */
export function eventShapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  if (keys.length !== KEYS.length || keys.some((k, i) => k !== KEYS[i])) {
    const extra = keys.filter((k) => !KEYS.includes(k));
    const missing = KEYS.filter((k) => !keys.includes(k));
    return [
      missing.length > 0 ? `missing ${missing.join(', ')}` : '',
      extra.length > 0 ? `unexpected ${extra.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
  }
  if (record['v'] !== 1) return `unsupported version ${JSON.stringify(record['v'])}`;
  const { session, seq, ts, type, prev, hash } = record;
  if (typeof session !== 'string' || session === '') return 'session must be a non-empty string';
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return 'seq must be an integer ≥ 0';
  if (typeof ts !== 'string') return 'ts must be a string';
  if (typeof type !== 'string' || !EVENT_TYPES.has(type)) return `unknown type ${JSON.stringify(type)}`;
  if (typeof prev !== 'string' || !HEX64.test(prev)) return 'prev must be 64 lower-case hex digits';
  if (typeof hash !== 'string' || !HEX64.test(hash)) return 'hash must be 64 lower-case hex digits';
  return undefined;
}
