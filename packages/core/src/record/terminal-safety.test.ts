/* eslint-disable no-control-regex -- matching control characters is what this file is for */
// Attacks on the auditor's terminal: a recording is written by whoever made the requests (an
// agent, possibly a hostile one), and replay/verify show it to a person. Nothing from it may
// reach the terminal as a control character.
import { describe, expect, it } from 'vitest';
import { genesisHash } from './hash-event.js';
import { buildEvent, lineOf } from './lib/event-text.js';
import type { RecordEvent, RecordEventType } from '../types.js';
import { formatSession } from './format-session.js';
import { formatVerifyReport } from './format-verify-report.js';
import { readRecording } from './read-recording.js';
import { formatRedecide, redecide } from './redecide.js';
import { escapeTerminalText } from './terminal-text.js';
import { toAsciicast } from './to-asciicast.js';
import { verifyRecording } from './verify.js';

const ESC = '\u001b';
const BEL = '\u0007';
/** Every character a terminal acts on rather than shows (newline and tab are checked apart). */
const RAW =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

function chain(session: string, items: readonly [RecordEventType, unknown][]): RecordEvent[] {
  let prev = genesisHash(session);
  return items.map(([type, data], seq) => {
    const e = buildEvent({ v: 1, session, seq, ts: `2026-01-05T10:00:0${seq % 10}.000Z`, type, data, prev });
    prev = e.hash;
    return e;
  });
}

const toText = (events: readonly RecordEvent[]): string => events.map((e) => `${lineOf(e)}\n`).join('');

// A request whose SQL erases its own line and prints an innocent one in its place, a decision
// reason that moves the cursor up to rewrite the line above, output that puts a command on the
// clipboard (OSC 52) and sets the window title, and bidi overrides that reverse what is read.
const hostile = chain('s1', [
  [
    'session.start',
    {
      principal: { subject: `mallory${ESC}[8m hidden`, groups: ['ops\u202egnp'], kind: 'agent' },
      target: { name: 'warehouse', protocol: 'postgres' },
    },
  ],
  ['request', { request: { type: 'sql', sql: `DROP TABLE users;\r${ESC}[2KSELECT 1 -- harmless` } }],
  [
    'decision',
    {
      requestSeq: 1,
      effect: 'allow',
      rules: [`r${ESC}[1A${ESC}[2K`],
      reasons: ['fine\u009b2K'],
      actions: [],
    },
  ],
  [
    'output',
    { requestSeq: 1, stream: 'stdout', data: `${ESC}]52;c;cm0gLXJmIH4K${BEL}ok\r\nlast`, elapsed: 1 },
  ],
  ['result', { requestSeq: 1, summary: `DROP${ESC}]0;title${BEL}`, body: `x\ry\u2066z` }],
  ['error', { requestSeq: 1, code: `E${ESC}P+q${ESC}\\`, message: 'm\u0085n' }],
  ['session.end', { reason: `done${ESC}c` }],
]);

describe('replay never writes a control character from a recording', () => {
  const [session] = readRecording(toText(hostile)).sessions;

  it('escapes SQL, names, reasons, results, output and errors in formatSession', () => {
    if (session === undefined) throw new Error('no session');
    const text = formatSession(session);
    expect(text).not.toMatch(RAW);
    // What was escaped is still there for the auditor to read.
    expect(text).toContain('DROP TABLE users;\\r\\u001b[2KSELECT 1');
    expect(text).toContain('\\u001b]52;c;cm0gLXJmIH4K\\u0007');
    expect(text).toContain('ops\\u202egnp');
    // The carriage return in the SQL does not start a line of its own.
    expect(text.split('\n').some((l) => l.startsWith('SELECT 1'))).toBe(false);
  });

  it('escapes what formatRedecide shows', async () => {
    if (session === undefined) throw new Error('no session');
    const result = await redecide(session, () => ({
      effect: 'deny',
      rules: [`x${ESC}[2J`],
      reasons: [`because${ESC}]52;c;AAAA${BEL}`],
      actions: [],
      recordingRequired: false,
    }));
    expect(formatRedecide(result)).not.toMatch(RAW);
  });

  it('asciicast keeps colours but neutralises OSC 52, titles, DCS and queries', () => {
    const events = chain('s2', [
      ['session.start', { principal: { subject: 'a', groups: [], kind: 'human' }, target: { name: 't' } }],
      [
        'output',
        {
          stream: 'stdout',
          elapsed: 0.5,
          data:
            `${ESC}[31mred${ESC}[0m ${ESC}]52;c;cm0gLXJmIH4K${BEL}${ESC}]0;pwned${ESC}\\` +
            `${ESC}P$q m${ESC}\\${ESC}[6n${ESC}[21t${ESC}[?1000h${ESC}_apc${ESC}\\\u009d8;;http://x\u009c` +
            `${ESC}[2J${ESC}[H${ESC}[?1049h`,
        },
      ],
    ]);
    const [s] = readRecording(toText(events)).sessions;
    if (s === undefined) throw new Error('no session');
    const cast = toAsciicast(s);
    const frames = cast
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => JSON.parse(l) as [number, string, string]);
    const out = frames.map((f) => f[2]).join('');
    expect(out).toContain(`${ESC}[31mred${ESC}[0m`); // SGR kept
    expect(out).toContain(`${ESC}[2J${ESC}[H${ESC}[?1049h`); // screen drawing kept
    expect(out).not.toContain(`${ESC}]`); // no OSC (clipboard, title, hyperlinks)
    expect(out).not.toContain(`${ESC}P`); // no DCS
    expect(out).not.toContain(`${ESC}_`); // no APC
    expect(out).not.toContain(`${ESC}[6n`); // no status report (the terminal would answer on stdin)
    expect(out).not.toContain(`${ESC}[21t`); // no window report
    expect(out).not.toContain(`${ESC}[?1000h`); // no mouse reporting
    expect(out).not.toMatch(/[\u0080-\u009f]/u); // no 8-bit controls
    expect(out).toContain('\\u001b]52;c;cm0gLXJmIH4K'); // shown, inert
    expect(cast.split('\n')[0]).not.toMatch(RAW);
  });

  it('the asciicast title cannot carry a control sequence', () => {
    const events = chain(`s3${ESC}]0;t${BEL}`, [
      ['session.start', { principal: { subject: 'a', groups: [], kind: 'human' }, target: { name: 't' } }],
    ]);
    const [s] = readRecording(toText(events)).sessions;
    if (s === undefined) throw new Error('no session');
    const header = JSON.parse(toAsciicast(s).split('\n')[0] ?? '{}') as { title: string };
    expect(header.title).not.toMatch(RAW);
  });
});

describe('verify reports cannot be faked by the recording', () => {
  it('a session id with a carriage return and cursor moves cannot print a fake "ok" report', () => {
    const fake = `x\r${ESC}[1A${ESC}[2Kaudit.jsonl: ok: 1 session, 3 events\n`;
    const events = chain(fake, [
      ['session.start', { principal: { subject: 'a', groups: [], kind: 'human' }, target: { name: 't' } }],
      ['request', { request: { type: 'sql', sql: 'SELECT 1' } }],
    ]);
    const tampered = toText(events).replace('SELECT 1', 'SELECT 2');
    const text = formatVerifyReport(verifyRecording(tampered), { file: 'audit.jsonl' });
    expect(text).not.toMatch(RAW);
    expect(text.startsWith('audit.jsonl: FAILED')).toBe(true);
    expect(text.split('\n').some((l) => l.startsWith('audit.jsonl: ok'))).toBe(false);
  });

  it('a file name with control characters is escaped too', () => {
    const text = formatVerifyReport(verifyRecording(''), { file: `a${ESC}[2Jb` });
    expect(text).not.toMatch(RAW);
  });
});

describe('escapeTerminalText', () => {
  it.each([
    ['C0', 'a\u0000b\u0007c\u001bd', 'a\\u0000b\\u0007c\\u001bd'],
    ['C1 and DEL', 'a\u009bb\u007f', 'a\\u009bb\\u007f'],
    ['bidi', 'a\u202eb\u2066c\u200fd\u061c', 'a\\u202eb\\u2066c\\u200fd\\u061c'],
    ['CR and line separators', 'a\rb\u2028c', 'a\\rb\\u2028c'],
    ['newline and tab in one-line text', 'a\nb\tc', 'a\\nb\\tc'],
  ])('%s', (_name, input, expected) => {
    expect(escapeTerminalText(input)).toBe(expected);
  });

  it('keeps newlines and tabs when asked, and leaves printable text alone', () => {
    expect(escapeTerminalText('a\nb\tc\r\n', { multiline: true })).toBe('a\nb\tc\\r\n');
    expect(escapeTerminalText('héllo wörld ✓ 日本')).toBe('héllo wörld ✓ 日本');
  });
});
