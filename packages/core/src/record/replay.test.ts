// formatSession, toAsciicast, redecide and readRecording over one realistic session.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../types.js';
import { createRecorder } from './create-recorder.js';
import { formatSession } from './format-session.js';
import { createMemorySink } from './memory-sink.js';
import { readRecording, type RecordedSession } from './read-recording.js';
import { formatRedecide, redecide, type RedecideInput } from './redecide.js';
import { toAsciicast } from './to-asciicast.js';

let jsonl: string;
let session: RecordedSession;

beforeAll(async () => {
  const sink = createMemorySink();
  let t = Date.UTC(2026, 0, 5, 10);
  const recorder = createRecorder({ sink, now: () => new Date((t += 1250)) });
  const s = await recorder.start(
    {
      principal: { subject: 'alice', groups: ['analysts'], kind: 'agent', actor: 'copilot' },
      target: { name: 'warehouse', protocol: 'postgres' },
    },
    { session: 's1' },
  );
  const q = await s.record('request', {
    request: { type: 'sql', sql: 'SELECT id, email FROM users' },
    actions: [{ operation: 'select', resource: 'users' }],
  });
  await s.record('decision', {
    requestSeq: q.seq,
    effect: 'allow',
    rules: ['analysts-read'],
    reasons: ['Analysts may read'],
    actions: [],
    mask: 'default',
    recordingRequired: true,
  });
  await s.record('result', {
    requestSeq: q.seq,
    summary: 'SELECT 2',
    rowCount: 2,
    body: [
      { id: 1, email: 'a***@example.com' },
      { id: 2, email: '[MASKED]' },
    ],
    masked: 2,
    durationMs: 12,
  });
  const d = await s.record('request', {
    request: { type: 'sql', sql: 'DELETE FROM orders WHERE id = 7' },
    actions: [{ operation: 'delete', resource: 'orders' }],
  });
  await s.record('decision', {
    requestSeq: d.seq,
    effect: 'review',
    rules: ['writes-need-manager'],
    reasons: ['Writes to the warehouse need a manager'],
    actions: [],
    review: [
      {
        ruleId: 'writes-need-manager',
        approvers: { groups: ['managers'] },
        minApprovals: 1,
        ttlMs: 1_800_000,
        grant: 'once',
      },
    ],
    recordingRequired: true,
  });
  await s.record('approval', { requestSeq: d.seq, approvalId: 'ap-9c1e', status: 'pending' });
  await s.record('approval', { requestSeq: d.seq, approvalId: 'ap-9c1e', status: 'used', by: ['bob'] });
  await s.record('result', { requestSeq: d.seq, summary: 'DELETE 1', rowCount: 1, durationMs: 3 });
  const c = await s.record('request', {
    request: { type: 'command', command: 'tail -n 2 /var/log/app.log' },
    target: { name: 'bastion', protocol: 'ssh' },
  });
  await s.record('output', { requestSeq: c.seq, stream: 'stdout', data: 'first li', elapsed: 8.5 });
  await s.record('output', { requestSeq: c.seq, stream: 'stdout', data: 'ne\nsecond line\r', elapsed: 8.75 });
  await s.record('output', { requestSeq: c.seq, stream: 'stderr', data: '\nwarning: x\n', elapsed: 9 });
  await s.record('result', { requestSeq: c.seq, exitCode: 0 });
  const k = await s.record('request', { request: { type: 'sql', sql: 'DROP TABLE users' } });
  await s.record('decision', {
    requestSeq: k.seq,
    effect: 'deny',
    rules: ['no-ddl'],
    reasons: ['Destructive DDL is never allowed'],
    actions: [],
    recordingRequired: true,
  });
  await s.record('error', { requestSeq: k.seq, code: 'ERR_DENIED', message: 'DROP on warehouse is denied' });
  await s.end({ reason: 'closed' });
  jsonl = sink.toJsonLines();
  session = readRecording(jsonl).sessions[0]!;
});

describe('readRecording', () => {
  it('groups events by session in seq order and keeps their lines', () => {
    const reversed = jsonl.trimEnd().split('\n').reverse();
    const { sessions, skipped } = readRecording(reversed);
    expect(skipped).toEqual([]);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.events.map((e) => e.seq)).toEqual(session.events.map((e) => e.seq));
    expect(sessions[0]!.lines.slice(0, 3)).toEqual([18, 17, 16]);
    expect(sessions[0]!.start?.principal.subject).toBe('alice');
    expect(sessions[0]!.end).toEqual({ reason: 'closed' });
  });

  it('is lenient: CRLF, blank lines, a torn last line and garbage are skipped or tolerated', () => {
    const lines = jsonl.trimEnd().split('\n');
    const text = `${lines.slice(0, 3).join('\r\n')}\r\n\nnot json\n{"v":2}\n${lines[3]!.slice(0, 10)}`;
    const { sessions, skipped } = readRecording(text);
    expect(sessions[0]!.events.map((e) => e.seq)).toEqual([0, 1, 2]);
    expect(skipped).toEqual([
      { line: 5, reason: 'not valid JSON' },
      { line: 6, reason: 'missing data, hash, prev, seq, session, ts, type' },
      { line: 7, reason: 'not valid JSON' },
    ]);
  });

  it('reads events given as objects', () => {
    expect(readRecording(session.events).sessions[0]!.events).toEqual(session.events);
  });
});

describe('formatSession', () => {
  it('shows who, on whose behalf, what, the decisions and why, approvals, masked results and output', () => {
    expect(formatSession(session)).toBe(
      [
        'session s1: started 2026-01-05T10:00:01.250Z, ended 2026-01-05T10:00:22.500Z (21.3 s, closed), not sealed',
        'who:    copilot (agent) on behalf of alice; groups analysts',
        'target: warehouse (postgres)',
        '',
        '+1.250s #1 SQL SELECT id, email FROM users',
        '  actions:  select users',
        '  decision: allow by rule analysts-read: Analysts may read [mask default; recording required]',
        '  result:   SELECT 2, 2 rows, 2 value(s) masked, 12 ms',
        '            [{"email":"a***@example.com","id":1},{"email":"[MASKED]","id":2}]',
        '',
        '+5.000s #4 SQL DELETE FROM orders WHERE id = 7',
        '  actions:  delete orders',
        '  decision: review by rule writes-need-manager: Writes to the warehouse need a manager ' +
          '[recording required; needs 1 approval(s) from group managers]',
        '  approval: pending (approval ap-9c1e)',
        '  approval: used by bob (approval ap-9c1e)',
        '  result:   DELETE 1, 1 row, 3 ms',
        '',
        '+11.250s #9 on bastion (ssh) $ tail -n 2 /var/log/app.log',
        '  stdout:',
        '  │ first line',
        '  │ second line\r',
        '  stderr:',
        '  │ ',
        '  │ warning: x',
        '  result:   exit 0',
        '',
        '+17.500s #14 SQL DROP TABLE users',
        '  decision: deny by rule no-ddl: Destructive DDL is never allowed [recording required]',
        '  error:    ERR_DENIED: DROP on warehouse is denied',
      ].join('\n'),
    );
  });

  it('cuts long bodies', () => {
    expect(formatSession(session, { maxBodyChars: 10 })).toContain(
      '            [{"email":… (55 more characters)',
    );
  });
});

describe('toAsciicast', () => {
  it('exports output events as asciicast v2 with bare newlines made CRLF', () => {
    expect(toAsciicast(session, { width: 100 }).split('\n')).toEqual([
      '{"version":2,"width":100,"height":24,"timestamp":1767607201,"title":"portcullis session s1","duration":9}',
      '[8.5,"o","first li"]',
      '[8.75,"o","ne\\r\\nsecond line\\r"]',
      '[9,"o","\\nwarning: x\\r\\n"]',
      '',
    ]);
  });

  it('exports one request from its first output, raw when asked', () => {
    const lines = toAsciicast(session, { requestSeq: 9, crlf: false, title: 't' }).split('\n');
    expect(lines.slice(1, 4)).toEqual([
      '[0,"o","first li"]',
      '[0.25,"o","ne\\nsecond line\\r"]',
      '[0.5,"o","\\nwarning: x\\n"]',
    ]);
    expect(JSON.parse(lines[0]!)).toMatchObject({ title: 't', duration: 0.5 });
    expect(toAsciicast(session, { requestSeq: 1 }).split('\n').length).toBe(2);
  });

  it('exports what was typed into a shell (stream stdin) as input events, as typed', () => {
    const typed: RecordedSession = {
      ...session,
      events: [
        ...session.events.slice(0, 1),
        { ...session.events[1]!, type: 'output', data: { stream: 'stdin', data: 'ls\n', elapsed: 1 } },
        { ...session.events[1]!, type: 'output', data: { stream: 'stdout', data: 'a\n', elapsed: 1.5 } },
      ],
    };
    expect(toAsciicast(typed).split('\n').slice(1, 3)).toEqual(['[1,"i","ls\\n"]', '[1.5,"o","a\\r\\n"]']);
  });

  it('rejects a terminal size that is not a positive integer', () => {
    expect(() => toAsciicast(session, { width: 0 })).toThrow(TypeError);
  });
});

describe('redecide', () => {
  const policy = (input: RedecideInput): Decision => {
    const sql = input.request.type === 'sql' ? input.request.sql : '';
    const effect = sql.startsWith('DELETE') ? 'deny' : sql.startsWith('DROP') ? 'deny' : 'allow';
    return {
      effect,
      rules: [effect === 'deny' ? 'no-ddl' : 'analysts-read'],
      reasons: effect === 'deny' ? ['Deletes are off'] : [],
      actions: [],
      recordingRequired: false,
    };
  };

  it('re-decides every recorded request with the session principal and target and shows what changes', async () => {
    const seen: RedecideInput[] = [];
    const result = await redecide(session, (input) => {
      seen.push(input);
      return policy(input);
    });
    expect(seen.map((i) => [i.seq, i.principal.subject, i.target.name])).toEqual([
      [1, 'alice', 'warehouse'],
      [4, 'alice', 'warehouse'],
      [9, 'alice', 'bastion'],
      [14, 'alice', 'warehouse'],
    ]);
    expect(seen[0]!.actions).toEqual([{ operation: 'select', resource: 'users' }]);
    expect(
      result.entries.map((e) => [e.seq, e.recorded?.effect, e.now.effect, e.changed, e.rulesChanged]),
    ).toEqual([
      [1, 'allow', 'allow', false, false],
      [4, 'review', 'deny', true, true],
      [9, undefined, 'allow', true, true],
      [14, 'deny', 'deny', false, false],
    ]);
    expect(formatRedecide(result)).toBe(
      [
        'session s1: 2 of 4 requests would be decided differently',
        '  #4 SQL DELETE FROM orders WHERE id = 7: review (rule writes-need-manager) → deny (rule no-ddl): Deletes are off',
        '  #9 $ tail -n 2 /var/log/app.log: no recorded decision → allow (rule analysts-read)',
      ].join('\n'),
    );
  });

  it('fails closed when decide throws or no principal is recorded', async () => {
    const thrown = await redecide(session, () => Promise.reject(new Error('policy broken')));
    expect(thrown.entries[0]).toMatchObject({
      now: { effect: 'deny', reasons: ['decide() failed: policy broken'] },
      changed: true,
      error: 'decide() failed: policy broken',
    });
    const { start: _start, ...anonymous } = session;
    const none = await redecide(anonymous, policy);
    expect(none.entries[0]).toMatchObject({
      now: { effect: 'deny' },
      error: 'session.start records no principal',
    });
  });
});
