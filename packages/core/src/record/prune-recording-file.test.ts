// Retention: pruning old sessions from a recording file leaves a signed tombstone, the rest
// still verifies, and verify says what was pruned. A tampered file is never pruned.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingError } from '../errors.js';
import { createRecorder } from './create-recorder.js';
import { formatVerifyReport } from './format-verify-report.js';
import { createMemorySink } from './memory-sink.js';
import { pruneRecordingFile } from './prune-recording-file.js';
import { verifyRecordingFile } from './verify-file.js';

const keys = generateKeyPairSync('ed25519');
const otherKeys = generateKeyPairSync('ed25519');
const start = { principal: { subject: 'alice', groups: [], kind: 'human' }, target: { name: 'db' } };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-prune-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Three sealed sessions: one in January, one in March, one in June (interleaved in the file). */
async function recording(): Promise<string> {
  const sink = createMemorySink();
  let at = Date.UTC(2026, 0, 10);
  const recorder = createRecorder({ sink, sealingKey: keys.privateKey, now: () => new Date(at) });
  const jan = await recorder.start(start, { session: 'jan' });
  await jan.record('request', { request: { type: 'sql', sql: 'SELECT 1' } });
  await jan.end();
  at = Date.UTC(2026, 2, 10);
  const mar = await recorder.start(start, { session: 'mar' });
  await mar.record('request', { request: { type: 'sql', sql: 'SELECT 2' } });
  at = Date.UTC(2026, 5, 10);
  const jun = await recorder.start(start, { session: 'jun' });
  await mar.end(); // March's session ends in June: its last event is recent, it stays
  await jun.record('request', { request: { type: 'sql', sql: 'SELECT 3' } });
  await jun.end();
  return sink.toJsonLines();
}

describe('pruneRecordingFile', () => {
  it('removes sessions last active before the cutoff and leaves a signed tombstone', async () => {
    const file = path.join(dir, 'audit.jsonl');
    await writeFile(file, await recording());
    const result = await pruneRecordingFile(file, {
      before: new Date(Date.UTC(2026, 1, 1)),
      sealingKey: keys.privateKey,
      olderThan: '90d',
      now: () => new Date(Date.UTC(2026, 6, 1)),
    });
    expect(result.pruned.map((p) => [p.session, p.events])).toEqual([['jan', 3]]);
    expect(result.kept).toBe(2);
    expect(result.tombstones).toHaveLength(1);

    const text = await readFile(file, 'utf8');
    const sessions = text
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { session: string }).session);
    expect(new Set(sessions)).toEqual(new Set(['mar', 'jun', result.tombstones[0]]));
    const report = await verifyRecordingFile(file, { publicKey: keys.publicKey });
    expect(report.ok).toBe(true);
    expect(report.pruned).toEqual([
      {
        tombstone: result.tombstones[0],
        before: '2026-02-01T00:00:00.000Z',
        at: '2026-07-01T00:00:00.000Z',
        olderThan: '90d',
        sessions: 1,
        events: 3,
        verified: true,
      },
    ]);
    expect(formatVerifyReport(report, { file: 'audit.jsonl' })).toContain(
      'pruned: 1 session (3 events) last active before 2026-02-01T00:00:00.000Z (older than 90d)',
    );
  });

  it('a forged tombstone (signed with another key) does not verify', async () => {
    const file = path.join(dir, 'forged.jsonl');
    await writeFile(file, await recording());
    await pruneRecordingFile(file, {
      before: new Date(Date.UTC(2026, 1, 1)),
      sealingKey: otherKeys.privateKey,
    });
    const report = await verifyRecordingFile(file, { publicKey: keys.publicKey });
    expect(report.ok).toBe(false);
    expect(report.pruned?.[0]?.verified).toBe(false);
    expect(formatVerifyReport(report)).toContain('TOMBSTONE DOES NOT VERIFY');
  });

  it('silently deleting a session instead of pruning it is still not provable, but a cut tombstone is', async () => {
    const file = path.join(dir, 'cut.jsonl');
    await writeFile(file, await recording());
    await pruneRecordingFile(file, { before: new Date(Date.UTC(2026, 1, 1)), sealingKey: keys.privateKey });
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    await writeFile(file, `${lines.slice(0, -1).join('\n')}\n`); // drop the tombstone's signed end
    const report = await verifyRecordingFile(file, { publicKey: keys.publicKey });
    expect(report.problems.map((p) => p.kind)).toEqual(['missing-end']);
  });

  it('refuses to prune a file that does not verify, and changes nothing', async () => {
    const file = path.join(dir, 'tampered.jsonl');
    const tampered = (await recording()).replace('SELECT 2', 'SELECT 9');
    await writeFile(file, tampered);
    await expect(
      pruneRecordingFile(file, { before: new Date(Date.UTC(2026, 1, 1)), sealingKey: keys.privateKey }),
    ).rejects.toThrow(RecordingError);
    expect(await readFile(file, 'utf8')).toBe(tampered);
  });

  it('does nothing when no session is old enough', async () => {
    const file = path.join(dir, 'young.jsonl');
    const text = await recording();
    await writeFile(file, text);
    const result = await pruneRecordingFile(file, {
      before: new Date(Date.UTC(2025, 0, 1)),
      sealingKey: keys.privateKey,
    });
    expect(result).toEqual({ pruned: [], kept: 3, tombstones: [] });
    expect(await readFile(file, 'utf8')).toBe(text);
  });
});
