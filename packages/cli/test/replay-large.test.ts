// `portcullis replay` streams: a 200 MB recording (a valid hash chain, built here at run time)
// replays in a child process whose heap is capped at 128 MB — reading the file whole, as replay
// once did, needs more than that for the text alone. The output is checked at both ends.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { genesisHash, hashEvent, serializeEvent, type RecordEvent } from '@portcullis/core';
import { afterAll, beforeAll, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const REQUESTS = 3100;
/** Each result's body: 64 KiB of plain text. */
const FILLER = 'abcdefghij'.repeat(6554);
const T0 = Date.UTC(2026, 0, 5, 10);

let dir: string;
let file: string;

/** Writes sessions' events as a recorder would: canonical lines, each chained to the one before. */
function chainWriter(write: (line: string) => Promise<void>) {
  const state = new Map<string, { seq: number; prev: string }>();
  return async (session: string, type: RecordEvent['type'], data: unknown): Promise<void> => {
    const s = state.get(session) ?? { seq: 0, prev: genesisHash(session) };
    const unhashed = {
      v: 1 as const,
      session,
      seq: s.seq,
      ts: new Date(T0 + s.seq * 10).toISOString(),
      type,
      data,
      prev: s.prev,
    };
    const event: RecordEvent = { ...unhashed, hash: hashEvent(unhashed) };
    state.set(session, { seq: s.seq + 1, prev: event.hash });
    await write(`${serializeEvent(event)}\n`);
  };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-replay-large-'));
  file = path.join(dir, 'large.jsonl');
  const out = createWriteStream(file);
  const write = async (line: string): Promise<void> => {
    if (!out.write(line)) await once(out, 'drain');
  };
  const record = chainWriter(write);
  const principal = { subject: 'alice', groups: ['analysts'], kind: 'agent', actor: 'copilot' };
  // A small session whose events sit at both ends of the file, around the large one.
  await record('side', 'session.start', { principal, target: { name: 'bastion', protocol: 'ssh' } });
  await record('big', 'session.start', { principal, target: { name: 'warehouse', protocol: 'postgres' } });
  for (let i = 0; i < REQUESTS; i++) {
    const requestSeq = 1 + i * 3;
    await record('big', 'request', { request: { type: 'sql', sql: `SELECT * FROM t${String(i)}` } });
    await record('big', 'decision', { requestSeq, effect: 'allow', rules: ['read'], reasons: ['ok'] });
    await record('big', 'result', { requestSeq, rowCount: i, body: `row${String(i)}:${FILLER}` });
  }
  await record('big', 'session.end', { reason: 'closed' });
  await record('side', 'request', { request: { type: 'command', command: 'uptime' } });
  await record('side', 'output', { requestSeq: 1, stream: 'stdout', data: 'up 3 days\n', elapsed: 1 });
  await record('side', 'session.end', { reason: 'closed' });
  out.end();
  await once(out, 'close');
}, 300_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('replays a 200 MB recording with a 128 MB heap, first and last events shown', async () => {
  expect((await stat(file)).size).toBeGreaterThan(200 * 1000 * 1000);
  const child = spawn(
    process.execPath,
    [
      '--max-old-space-size=128',
      '--conditions=portcullis-source',
      '--import',
      'tsx',
      'packages/cli/src/bin.ts',
      'replay',
      file,
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stdout: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => stdout.push(c));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const [code] = (await once(child, 'close')) as [number | null];
  expect(stderr).toBe('');
  expect(code).toBe(0);

  const text = Buffer.concat(stdout).toString('utf8');
  const sessions = text.split(/\n\n(?=session )/);
  expect(sessions.map((s) => s.slice(0, s.indexOf(':')))).toEqual(['session side', 'session big']);
  const [side = '', big = ''] = sessions;
  expect(side.split('\n')).toEqual([
    'session side: started 2026-01-05T10:00:00.000Z, ended 2026-01-05T10:00:00.030Z (0.0 s, closed), not sealed',
    'who:    copilot (agent) on behalf of alice; groups analysts',
    'target: bastion (ssh)',
    '',
    '+0.010s #1 $ uptime',
    '  stdout:',
    '  │ up 3 days',
  ]);
  const lines = big.split('\n');
  const endSeq = 1 + REQUESTS * 3;
  expect(lines.slice(0, 8)).toEqual([
    `session big: started 2026-01-05T10:00:00.000Z, ended ${new Date(T0 + endSeq * 10).toISOString()} (${(endSeq / 100).toFixed(1)} s, closed), not sealed`,
    'who:    copilot (agent) on behalf of alice; groups analysts',
    'target: warehouse (postgres)',
    '',
    '+0.010s #1 SQL SELECT * FROM t0',
    '  decision: allow by rule read: ok',
    '  result:   0 rows',
    `            row0:${FILLER.slice(0, 1995)}… (${String(5 + FILLER.length - 2000)} more characters)`,
  ]);
  const last = REQUESTS - 1;
  // The last request, then the blank line that ends each session.
  expect(lines.slice(-7)).toEqual([
    '',
    `+${((1 + last * 3) / 100).toFixed(3)}s #${String(1 + last * 3)} SQL SELECT * FROM t${String(last)}`,
    '  decision: allow by rule read: ok',
    `  result:   ${String(last)} rows`,
    `            row${String(last)}:${FILLER.slice(0, 1992)}… (${String(8 + FILLER.length - 2000)} more characters)`,
    '',
    '',
  ]);
  expect(lines.filter((l) => l.includes(' SQL SELECT * FROM t'))).toHaveLength(REQUESTS);
}, 300_000);
