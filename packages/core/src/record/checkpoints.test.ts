// Signed checkpoints: what verify can vouch for when a sealed session has no end (a crash, or a
// cut tail), and that a checkpoint cannot be forged, moved or re-signed without the key.
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RecordEvent } from '../types.js';
import { createRecorder } from './create-recorder.js';
import { genesisHash, hashEvent } from './hash-event.js';
import { createMemorySink } from './memory-sink.js';
import { serializeEvent } from './serialize-event.js';
import { verifyRecording } from './verify.js';

const keys = generateKeyPairSync('ed25519');
const otherKeys = generateKeyPairSync('ed25519');
const start = { principal: { subject: 'alice', groups: [], kind: 'human' }, target: { name: 'db' } };
const text = (lines: readonly string[]): string => lines.map((l) => `${l}\n`).join('');
const parse = (line: string): RecordEvent => JSON.parse(line) as RecordEvent;

/** A sealed session of `n` requests with a checkpoint every 3 events; ended unless `crash`. */
async function record(n: number, crash: boolean, key = keys.privateKey): Promise<string[]> {
  const sink = createMemorySink();
  let t = Date.UTC(2026, 0, 5);
  const recorder = createRecorder({
    sink,
    sealingKey: key,
    now: () => new Date((t += 100)),
    checkpoints: { everyEvents: 3 },
  });
  const s = await recorder.start(start, { session: 's1' });
  for (let i = 0; i < n; i++) await s.record('request', { request: { type: 'sql', sql: `SELECT ${i}` } });
  if (!crash) await s.end({ reason: 'closed' });
  await sink.flush();
  return sink.toJsonLines().trimEnd().split('\n');
}

afterEach(() => {
  vi.useRealTimers();
});

describe('recording checkpoints', () => {
  it('writes a signed checkpoint every N events and verifies them', async () => {
    const lines = await record(7, false);
    const types = lines.map((l) => parse(l).type);
    // start, r, r, r → checkpoint, r, r, r → checkpoint, r, end
    expect(types).toEqual([
      'session.start',
      'request',
      'request',
      'request',
      'checkpoint',
      'request',
      'request',
      'request',
      'checkpoint',
      'request',
      'session.end',
    ]);
    const report = verifyRecording(text(lines), { publicKey: keys.publicKey });
    expect(report.ok).toBe(true);
    expect(report.sessions[0]).toMatchObject({ checkpoints: 2, sealVerified: true, vouchedThrough: 10 });
  });

  it('a crashed session says exactly what the last checkpoint vouches for', async () => {
    const lines = await record(7, true);
    const report = verifyRecording(text(lines), { publicKey: keys.publicKey });
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.kind)).toEqual(['missing-end']);
    expect(report.sessions[0]).toMatchObject({ vouchedThrough: 8, sealVerified: false });
    expect(report.problems[0]?.message).toContain(
      'events up to seq 8 are vouched for by the checkpoint at line 9, the 1 after it (seq 9–9) cannot be',
    );
  });

  it('a cut tail is bounded by the last checkpoint left', async () => {
    const lines = await record(7, false);
    const cut = lines.slice(0, 7); // the second checkpoint, a request and the end are gone
    const report = verifyRecording(text(cut), { publicKey: keys.publicKey });
    expect(report.problems.map((p) => p.kind)).toEqual(['missing-end']);
    expect(report.sessions[0]?.vouchedThrough).toBe(4);
  });

  it('an edit before a checkpoint, re-chained without the key, breaks that checkpoint', async () => {
    const lines = await record(7, true);
    const out = [...lines];
    // Change request 2 and recompute every hash after it, as an attacker without the key can.
    let prev = parse(out[0]!).hash;
    for (let i = 1; i < out.length; i++) {
      const e = parse(out[i]!);
      const data = i === 2 ? { request: { type: 'sql', sql: 'DROP TABLE t' } } : e.data;
      const unhashed = { ...e, data, prev: i === 0 ? genesisHash(e.session) : prev };
      const event = { ...unhashed, hash: hashEvent(unhashed) };
      out[i] = serializeEvent(event);
      prev = event.hash;
    }
    const report = verifyRecording(text(out), { publicKey: keys.publicKey });
    expect(report.ok).toBe(false);
    expect(report.problems.filter((p) => p.kind === 'bad-signature').map((p) => p.line)).toEqual([5, 9]);
    expect(report.sessions[0]?.vouchedThrough).toBeUndefined();
  });

  it('a checkpoint signed with another key is refused', async () => {
    const lines = await record(4, true, otherKeys.privateKey);
    const report = verifyRecording(text(lines), { publicKey: keys.publicKey });
    expect(report.problems.map((p) => p.kind)).toContain('bad-signature');
    expect(report.sessions[0]?.vouchedThrough).toBeUndefined();
  });

  it('without a key, checkpoints are counted but vouch for nothing', async () => {
    const lines = await record(7, true);
    const report = verifyRecording(text(lines));
    expect(report.sessions[0]).toMatchObject({ checkpoints: 2 });
    expect(report.sessions[0]?.vouchedThrough).toBeUndefined();
    expect(report.problems[0]?.message).toContain('its checkpoints were not checked (no public key given)');
  });

  it('writes a checkpoint T seconds after an event even when the session goes quiet', async () => {
    vi.useFakeTimers();
    const sink = createMemorySink();
    const recorder = createRecorder({
      sink,
      sealingKey: keys.privateKey,
      checkpoints: { everyEvents: 1000, everySeconds: 5 },
    });
    const s = await recorder.start(start, { session: 's1' });
    await s.record('request', { request: { type: 'sql', sql: 'SELECT 1' } });
    expect(sink.events.map((e) => e.type)).toEqual(['session.start', 'request']);
    await vi.advanceTimersByTimeAsync(5000);
    expect(sink.events.map((e) => e.type)).toEqual(['session.start', 'request', 'checkpoint']);
    const report = verifyRecording(sink.toJsonLines(), { publicKey: keys.publicKey });
    expect(report.sessions[0]?.vouchedThrough).toBe(2); // the checkpoint's own seq
  });

  // Node fires a timer set past 2^31 - 1 ms after 1 ms: a month between checkpoints must not
  // become a checkpoint after every event.
  it('waits past the longest timer without writing a checkpoint at once', async () => {
    const sink = createMemorySink();
    const recorder = createRecorder({
      sink,
      sealingKey: keys.privateKey,
      checkpoints: { everyEvents: 1000, everySeconds: 30 * 24 * 3600 },
    });
    const s = await recorder.start(start, { session: 's1' });
    await s.record('request', { request: { type: 'sql', sql: 'SELECT 1' } });
    await new Promise((resolve) => {
      setTimeout(resolve, 50);
    });
    expect(sink.events.map((e) => e.type)).toEqual(['session.start', 'request']);
    await s.end({ reason: 'ended' });
  });

  it('refuses checkpoint options without a sealing key, and bad bounds', () => {
    const sink = createMemorySink();
    expect(() => createRecorder({ sink, checkpoints: { everyEvents: 10 } })).toThrow(TypeError);
    expect(() =>
      createRecorder({ sink, sealingKey: keys.privateKey, checkpoints: { everyEvents: 0 } }),
    ).toThrow(TypeError);
  });
});
