// verifyRecordingFile streams: a recording larger than the heap verifies, and it reports what
// verifyRecording reports on the same text.
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genesisHash } from './hash-event.js';
import { buildEvent, lineOf } from './lib/event-text.js';
import { verifyRecording } from './verify.js';
import { verifyRecordingFile } from './verify-file.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../../..');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-verify-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes a recording of about `megabytes` MB: one session of 16 KiB output chunks. */
async function writeLarge(file: string, megabytes: number, tamperAt?: number): Promise<number> {
  const out = createWriteStream(file);
  const chunk = 'x'.repeat(16 * 1024 - 64) + '\r\n';
  let prev = genesisHash('big');
  const count = Math.ceil((megabytes * 1024 * 1024) / (16 * 1024 + 200));
  for (let seq = 0; seq <= count; seq++) {
    const type = seq === 0 ? 'session.start' : 'output';
    const data =
      seq === 0
        ? { principal: { subject: 'a', groups: [], kind: 'human' }, target: { name: 'bastion' } }
        : { stream: 'stdout', data: `${seq} ${chunk}`, elapsed: seq / 100 };
    const event = buildEvent({ v: 1, session: 'big', seq, ts: '2026-01-05T10:00:00.000Z', type, data, prev });
    prev = event.hash;
    const line = seq === tamperAt ? lineOf(event).replace('xxxx', 'yyyy') : lineOf(event);
    if (!out.write(`${line}\n`))
      await new Promise<void>((resolve) =>
        out.once('drain', () => {
          resolve();
        }),
      );
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => {
      if (err) reject(err);
      else resolve();
    }),
  );
  return count + 1;
}

/** Runs a verification in a child with a small heap; resolves to its exit code and output. */
function child(script: string, heapMb: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [`--max-old-space-size=${heapMb}`, '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: repoRoot, maxBuffer: 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const src = (file: string): string => JSON.stringify(path.join(here, file));

describe('verifyRecordingFile', () => {
  it('verifies a 100 MB recording with a 64 MB heap, where reading it whole runs out of memory', async () => {
    const file = path.join(dir, 'big.jsonl');
    const events = await writeLarge(file, 100);
    const streamed = await child(
      `const { verifyRecordingFile } = await import(${src('verify-file.ts')});
         const r = await verifyRecordingFile(${JSON.stringify(file)});
         console.log(JSON.stringify({ ok: r.ok, events: r.events, heap: process.memoryUsage().heapUsed }));`,
      64,
    );
    expect(streamed.stderr).toBe('');
    const result = JSON.parse(streamed.stdout) as { ok: boolean; events: number };
    expect(result).toMatchObject({ ok: true, events });

    // The old way: the whole file as one string, then verifyRecording. Same heap: it fails.
    const whole = await child(
      `const { verifyRecording } = await import(${src('verify.ts')});
         const { readRecordingFile } = await import(${src('read-recording-file.ts')});
         console.log(verifyRecording(await readRecordingFile(${JSON.stringify(file)})).ok);`,
      64,
    );
    expect(whole.code).not.toBe(0);
    expect(whole.stderr).toMatch(/heap out of memory|Invalid string length/i);
  }, 120_000);

  it('finds a modified event in a large file (second pass) with a small heap', async () => {
    const file = path.join(dir, 'tampered.jsonl');
    await writeLarge(file, 25, 1234);
    const streamed = await child(
      `const { verifyRecordingFile } = await import(${src('verify-file.ts')});
       const r = await verifyRecordingFile(${JSON.stringify(file)});
       console.log(JSON.stringify(r.problems.map((p) => [p.kind, p.line])));`,
      64,
    );
    expect(JSON.parse(streamed.stdout)).toEqual([['modified', 1235]]);
  }, 120_000);

  it('reports what verifyRecording reports for damaged text, including torn and too-long lines', async () => {
    const lines: string[] = [];
    let prev = genesisHash('s');
    for (let seq = 0; seq < 6; seq++) {
      const e = buildEvent({
        v: 1,
        session: 's',
        seq,
        ts: '2026-01-05T10:00:00.000Z',
        type: seq === 0 ? 'session.start' : 'request',
        data: { n: seq },
        prev,
      });
      prev = e.hash;
      lines.push(lineOf(e));
    }
    const cases = {
      intact: lines.join('\n') + '\n',
      reordered: [lines[0], lines[2], lines[1], ...lines.slice(3)].join('\n') + '\n',
      deleted: [...lines.slice(0, 2), ...lines.slice(3)].join('\n') + '\n',
      torn: lines.join('\n') + '\n{"data":',
      garbage: lines.join('\n') + '\nnot json\n',
    };
    for (const [name, content] of Object.entries(cases)) {
      const file = path.join(dir, `${name}.jsonl`);
      await writeFile(file, content);
      expect(await verifyRecordingFile(file), name).toEqual(verifyRecording(content));
    }
    const long = path.join(dir, 'long.jsonl');
    await writeFile(long, `${lines[0]}\n${'y'.repeat(5000)}\n${lines[1]}\n`);
    const report = await verifyRecordingFile(long, { maxLineLength: 1000 });
    expect(report.problems.map((p) => [p.kind, p.line])).toEqual([['malformed', 2]]);
    expect(report.problems[0]?.message).toContain('longer than 1000');
  });
});
