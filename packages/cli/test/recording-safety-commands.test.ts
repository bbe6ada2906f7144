// `portcullis verify`, `replay` and `recordings prune` against hostile and old recordings.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMemorySink, createRecorder } from '@portcullis/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from './run-cli.js';

const ESC = '\u001b';
/* eslint-disable-next-line no-control-regex -- matching control characters is the point */
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
const keys = generateKeyPairSync('ed25519');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-cli-rec-'));
  await writeFile(
    path.join(dir, 'seal.pem'),
    keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  );
  await writeFile(
    path.join(dir, 'seal.pub'),
    keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  );
  const sink = createMemorySink();
  let at = Date.UTC(2020, 0, 1);
  const recorder = createRecorder({ sink, sealingKey: keys.privateKey, now: () => new Date(at) });
  const hostile = await recorder.start(
    { principal: { subject: `eve\r${ESC}[2K`, groups: [], kind: 'agent' }, target: { name: 'db' } },
    { session: 'h\u202eko :lnosj.tidua' }, // the recorder refuses C0/C1 in ids; bidi passes
  );
  const q = await hostile.record('request', {
    request: { type: 'sql', sql: `DROP TABLE users;\r${ESC}[2KSELECT 1` },
  });
  await hostile.record('output', {
    requestSeq: q.seq,
    stream: 'stdout',
    data: `${ESC}]52;c;cm0gLXJmIH4K\u0007done\n`,
    elapsed: 1,
  });
  await hostile.end({ reason: `bye\u009b2J` });
  at = Date.now();
  const recent = await recorder.start(
    { principal: { subject: 'bob', groups: [], kind: 'human' } },
    { session: 'recent' },
  );
  await recent.end();
  await writeFile(path.join(dir, 'hostile.jsonl'), sink.toJsonLines());
  await writeFile(path.join(dir, 'tampered.jsonl'), sink.toJsonLines().replace('SELECT 1', 'SELECT 2'));
});

describe('terminal safety of the CLI', () => {
  it('replay prints no control character from the recording', async () => {
    const result = await run(['replay', 'hostile.jsonl'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(RAW);
    expect(result.stdout).toContain('\\u001b]52;c;cm0gLXJmIH4K\\u0007');
  });

  it('verify (human and --json) prints no control character from the recording', async () => {
    for (const args of [
      ['verify', 'tampered.jsonl'],
      ['verify', '--json', 'tampered.jsonl'],
    ]) {
      const result = await run(args, { cwd: dir });
      expect(result.code).toBe(1);
      expect(result.stdout).not.toMatch(RAW);
      expect(result.stdout.split('\n').some((l) => l.startsWith('audit.jsonl: ok'))).toBe(false);
    }
    const json = await run(['verify', '--json', 'tampered.jsonl'], { cwd: dir });
    expect(() => JSON.parse(json.stdout) as unknown).not.toThrow();
  });

  it('asciicast export neutralises the clipboard sequence', async () => {
    const result = await run(['replay', '--format', 'asciicast', '--session', 'h', 'hostile.jsonl'], {
      cwd: dir,
    });
    expect(result.code).toBe(0);
    const frames = result.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => JSON.parse(l) as [number, string, string]);
    expect(frames.map((f) => f[2]).join('')).not.toContain(`${ESC}]52`);
  });
});

describe('portcullis recordings prune', () => {
  it('prunes a file, leaves a tombstone, and verify says what was pruned', async () => {
    await writeFile(path.join(dir, 'old.jsonl'), await readFile(path.join(dir, 'hostile.jsonl')));
    const pruned = await run(
      ['recordings', 'prune', '--older-than', '90d', '--key', 'seal.pem', 'old.jsonl'],
      {
        cwd: dir,
      },
    );
    expect(pruned.stderr).toBe('');
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toMatch(/old\.jsonl: pruned 1 session\(s\), 4 event\(s\)/);
    expect(pruned.stdout).not.toMatch(RAW);
    const verified = await run(['verify', '--key', 'seal.pub', 'old.jsonl'], { cwd: dir });
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('pruned: 1 session (4 events)');
    expect(verified.stdout).toContain('(older than 90d)');
    expect(verified.stdout).toContain('tombstone seal verified');
  });

  it('refuses a tampered file (exit 1) and bad usage (exit 2)', async () => {
    const tampered = await run(
      ['recordings', 'prune', '--older-than', '90d', '--key', 'seal.pem', 'tampered.jsonl'],
      {
        cwd: dir,
      },
    );
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toContain('does not verify');
    for (const args of [
      ['recordings', 'prune', '--key', 'seal.pem', 'old.jsonl'],
      ['recordings', 'prune', '--older-than', 'soon', '--key', 'seal.pem', 'old.jsonl'],
      ['recordings', 'prune', '--older-than', '90d', 'old.jsonl'],
      ['recordings', 'purge', '--older-than', '90d', '--key', 'seal.pem', 'old.jsonl'],
    ]) {
      expect((await run(args, { cwd: dir })).code, args.join(' ')).toBe(2);
    }
  });
});
