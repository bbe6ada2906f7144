// Replay of a streamed recording file (indexRecordingFile → sessionEventsOfFile →
// createSessionFormatter / streamAsciicast) shows exactly what the whole-text functions show
// (readRecording → formatSession / toAsciicast): generated recordings with interleaved and
// out-of-order sessions, CR-LF, blank lines, garbage, long output split anywhere and hostile
// control characters.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordEvent } from '../types.js';
import { createSessionFormatter, formatSession, type SessionFormatterOptions } from './format-session.js';
import { readRecording, type SkippedLine } from './read-recording.js';
import { indexRecordingFile, sessionEventsOfFile } from './recording-file-sessions.js';
import { streamAsciicast, toAsciicast } from './to-asciicast.js';

let dir: string;
let files = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-replay-stream-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const HASH = '0'.repeat(64);
const T0 = Date.UTC(2026, 0, 5, 10);

function event(session: string, seq: number, type: RecordEvent['type'], data: unknown): RecordEvent {
  return {
    v: 1,
    session,
    seq,
    ts: new Date(T0 + seq * 1250).toISOString(),
    type,
    data,
    prev: HASH,
    hash: HASH,
  };
}

/** What the streamed replay prints for a file, session by session, and the lines it skipped. */
async function streamed(
  text: string,
  options: SessionFormatterOptions = {},
): Promise<{ shown: string[]; casts: string[]; skipped: SkippedLine[] }> {
  const file = path.join(dir, `r${String(files++)}.jsonl`);
  await writeFile(file, text);
  const skipped: SkippedLine[] = [];
  const index = await indexRecordingFile(file, { onSkipped: (s) => skipped.push(s) });
  expect(index.skipped).toBe(skipped.length);
  const shown: string[] = [];
  const casts: string[] = [];
  for (const entry of index.sessions) {
    const formatter = createSessionFormatter(entry.head, options);
    let out = '';
    for await (const e of sessionEventsOfFile(file, entry)) out += formatter.add(e);
    shown.push(out + formatter.end());
    let cast = '';
    for await (const line of streamAsciicast(entry.head, () => sessionEventsOfFile(file, entry)))
      cast += line;
    casts.push(cast);
  }
  return { shown, casts, skipped };
}

/** What the whole-text functions print for the same text. */
function whole(text: string, options: SessionFormatterOptions = {}) {
  const { sessions, skipped } = readRecording(text);
  return {
    shown: sessions.map((s) => formatSession(s, options)),
    casts: sessions.map((s) => toAsciicast(s)),
    skipped,
  };
}

// Output pieces that stress the preview: line ends split across chunks, bare CRs, escapes.
const piece = fc.oneof(
  fc.constantFrom(
    '\r',
    '\n',
    '\r\n',
    'ab',
    'x'.repeat(37),
    '\u001b]52;c;aGk=\u0007',
    '\u001b[31mred',
    'é',
    '🙂',
  ),
  fc.string({ maxLength: 12 }),
);

const requestArb = fc.record({
  sql: fc.string({ maxLength: 30 }),
  outputs: fc.array(
    fc.record({
      stream: fc.constantFrom('stdout', 'stderr', 'stdin'),
      data: fc.array(piece, { maxLength: 8 }),
    }),
    {
      maxLength: 4,
    },
  ),
  body: fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
  decision: fc.boolean(),
});

/** One generated request: its SQL, output events, result body and whether a decision follows. */
interface GeneratedRequest {
  readonly sql: string;
  readonly outputs: readonly { readonly stream: string; readonly data: readonly string[] }[];
  readonly body: string | undefined;
  readonly decision: boolean;
}

/** A session's events, in seq order. */
function sessionEvents(id: string, requests: readonly GeneratedRequest[]): RecordEvent[] {
  let seq = 0;
  const events = [
    event(id, seq++, 'session.start', {
      principal: { subject: 'alice', groups: ['ops'], kind: 'agent', actor: 'copilot\u001b[2J' },
      target: { name: 'db', protocol: 'postgres' },
    }),
  ];
  for (const r of requests) {
    const q = seq++;
    events.push(
      event(id, q, 'request', { request: { type: 'sql', sql: r.sql }, actions: [{ operation: 'select' }] }),
    );
    if (r.decision)
      events.push(
        event(id, seq++, 'decision', { requestSeq: q, effect: 'allow', rules: ['r'], reasons: ['ok'] }),
      );
    for (const o of r.outputs)
      events.push(
        event(id, seq++, 'output', {
          requestSeq: q,
          stream: o.stream,
          data: o.data.join(''),
          elapsed: seq / 3,
        }),
      );
    events.push(
      event(id, seq++, 'result', {
        requestSeq: q,
        rowCount: 1,
        ...(r.body === undefined ? {} : { body: r.body }),
      }),
    );
  }
  events.push(event(id, seq++, 'session.end', { reason: 'closed' }));
  return events;
}

const recordingArb = fc
  .record({
    a: fc.array(requestArb, { maxLength: 5 }),
    b: fc.array(requestArb, { maxLength: 3 }),
    // How the two sessions' lines are merged, and what else the file holds.
    merge: fc.array(fc.boolean(), { maxLength: 80 }),
    reverseB: fc.boolean(),
    crlf: fc.boolean(),
    junk: fc.array(fc.tuple(fc.nat(60), fc.constantFrom('', 'not json', '{"v":2}', '   ')), { maxLength: 3 }),
    torn: fc.boolean(),
  })
  .map(({ a, b, merge, reverseB, crlf, junk, torn }) => {
    const first = sessionEvents('s-a', a).map((e) => JSON.stringify(e));
    let second = sessionEvents('s-\u001b]0;b', b).map((e) => JSON.stringify(e));
    if (reverseB) second = second.reverse();
    const lines: string[] = [];
    let i = 0;
    while (first.length > 0 || second.length > 0) {
      const takeFirst =
        second.length === 0 || (first.length > 0 && (merge[i++ % Math.max(merge.length, 1)] ?? true));
      lines.push((takeFirst ? first : second).shift() ?? '');
    }
    for (const [at, text] of junk) lines.splice(Math.min(at, lines.length), 0, text);
    const end = crlf ? '\r\n' : '\n';
    const text = lines.join(end) + end;
    return torn ? text + '{"v":1,"sess' : text;
  });

describe('streamed replay', () => {
  it('shows what formatSession and toAsciicast show, and skips the same lines', async () => {
    await fc.assert(
      fc.asyncProperty(recordingArb, fc.constantFrom(4, 9, 2000), async (text, max) => {
        const expected = whole(text, { maxBodyChars: max });
        expect(await streamed(text, { maxBodyChars: max })).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('holds almost nothing when requests are in order, and shows the same', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(requestArb, { maxLength: 6 }), async (requests) => {
        const text = sessionEvents('s1', requests)
          .map((e) => `${JSON.stringify(e)}\n`)
          .join('');
        const tight = await streamed(text, { maxBodyChars: 9, holdChars: 0, holdRequests: 1 });
        expect(tight.shown).toEqual(whole(text, { maxBodyChars: 9 }).shown);
      }),
      { numRuns: 40 },
    );
  });

  it('a late event of a request shown already stands on its own, naming the request', async () => {
    const events = [
      event('s', 0, 'session.start', {
        principal: { subject: 'a', groups: [], kind: 'human' },
        target: { name: 'db' },
      }),
      event('s', 1, 'request', { request: { type: 'sql', sql: 'SELECT 1' } }),
      event('s', 2, 'request', { request: { type: 'sql', sql: 'SELECT 2' } }),
      event('s', 3, 'result', { requestSeq: 1, summary: 'SELECT 1' }),
    ];
    const text = events.map((e) => `${JSON.stringify(e)}\n`).join('');
    const { shown } = await streamed(text, { holdRequests: 1 });
    expect(shown[0]?.split('\n').slice(3)).toEqual([
      '',
      '+1.250s #1 SQL SELECT 1',
      '',
      '+2.500s #2 SQL SELECT 2',
      '',
      '+3.750s #3 result (request #1)',
      '  result:   SELECT 1',
    ]);
  });

  it('keeps a long output as a preview, however long, with CR-LF split across chunks', async () => {
    // Each line is 1000 characters and CR-LF, the CR and the LF in different chunks.
    const chunks = [
      'y'.repeat(1000) + '\r',
      ...Array.from({ length: 299 }, () => `\n${'y'.repeat(1000)}\r`),
      '\n',
    ];
    const events = [
      event('s', 0, 'request', { request: { type: 'command', command: 'yes' } }),
      ...chunks.map((data, i) => event('s', i + 1, 'output', { requestSeq: 0, stream: 'stdout', data })),
    ];
    const text = events.map((e) => `${JSON.stringify(e)}\n`).join('');
    const { shown } = await streamed(text);
    expect(shown).toEqual(whole(text).shown);
    // 300 lines of 1001 characters once CR-LF reads as one, less the last line end, less 2000 shown.
    expect(shown[0]).toContain(`… (${String(300 * 1001 - 1 - 2000)} more characters)`);
  });
});
