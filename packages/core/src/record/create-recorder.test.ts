import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RecordingError } from '../errors.js';
import type { Principal, RecordEvent, RecordingSink, SessionRecorder, Target } from '../types.js';
import { createRecorder, recordOptionalEvent } from './create-recorder.js';
import { genesisHash, hashEvent } from './hash-event.js';
import { createMemorySink } from './memory-sink.js';
import { sealKeyId } from './seal-key-id.js';
import { serializeEvent } from './serialize-event.js';
import { verifyRecording } from './verify.js';

const principal: Principal = { subject: 'alice', groups: ['analysts'], kind: 'human' };
const target: Target = { name: 'warehouse', protocol: 'postgres' };

function clock(): () => Date {
  let t = Date.UTC(2026, 0, 5, 10, 0, 0);
  return () => new Date((t += 1000));
}

/** A sink that records each append call and fails when told to. */
function scriptedSink(failOn?: (call: number) => boolean): RecordingSink & {
  calls: RecordEvent[][];
  flushes: number;
} {
  const calls: RecordEvent[][] = [];
  let n = 0;
  const sink = {
    calls,
    flushes: 0,
    append(events: readonly RecordEvent[]) {
      n += 1;
      if (failOn?.(n) === true) return Promise.reject(new Error('ENOSPC: no space left on device'));
      calls.push([...events]);
      return Promise.resolve();
    },
    flush() {
      sink.flushes += 1;
      return Promise.resolve();
    },
    close() {
      return Promise.resolve();
    },
  };
  return sink;
}

describe('createRecorder', () => {
  it('chains events from the genesis with contiguous seq and the injected clock', async () => {
    const sink = createMemorySink();
    const recorder = createRecorder({ sink, now: clock(), newSessionId: () => 'fixed-id' });
    const session = await recorder.start({ principal, target });
    expect(session.session).toBe('fixed-id');
    const request = await session.record('request', { request: { type: 'sql', sql: 'SELECT 1' } });
    await session.record('decision', { requestSeq: request.seq, effect: 'allow', rules: ['r'], reasons: [] });
    const end = await session.end({ reason: 'closed' });

    const events = sink.events;
    expect(events.map((e) => [e.seq, e.type, e.ts])).toEqual([
      [0, 'session.start', '2026-01-05T10:00:01.000Z'],
      [1, 'request', '2026-01-05T10:00:02.000Z'],
      [2, 'decision', '2026-01-05T10:00:03.000Z'],
      [3, 'session.end', '2026-01-05T10:00:04.000Z'],
    ]);
    expect(events[0]!.prev).toBe(genesisHash('fixed-id'));
    for (let i = 0; i < events.length; i++) {
      expect(events[i]!.hash).toBe(hashEvent(events[i]!));
      if (i > 0) expect(events[i]!.prev).toBe(events[i - 1]!.hash);
    }
    expect(end).toBe(events[3]);
    expect(events[0]!.data).toEqual({ principal, target });
    expect(events[3]!.data).toEqual({ reason: 'closed' });
    expect(verifyRecording(sink.toJsonLines()).ok).toBe(true);
  });

  it('stores null for absent data and freezes the events it returns', async () => {
    const sink = createMemorySink();
    const session = await createRecorder({ sink, now: clock() }).start(undefined, { session: 's' });
    const event = await session.record('error', undefined);
    expect(event.data).toBeNull();
    expect(Object.isFrozen(event)).toBe(true);
    expect(sink.events[0]!.data).toEqual({});
  });

  it('writes what was hashed even if the caller mutates the data afterwards', async () => {
    const sink = createMemorySink();
    const session = await createRecorder({ sink, now: clock() }).start({}, { session: 's' });
    const data = { requestSeq: 1, summary: 'SELECT 1' };
    await session.record('result', data);
    data.summary = 'SELECT 999';
    await session.end();
    expect(sink.toJsonLines()).toContain('"summary":"SELECT 1"');
    expect(verifyRecording(sink.toJsonLines()).ok).toBe(true);
  });

  it('keeps call order under concurrent record() calls and batches them into few appends', async () => {
    const sink = scriptedSink();
    const session = await createRecorder({ sink, now: clock() }).start({}, { session: 's' });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        session.record('output', { stream: 'stdout', data: `${i}`, elapsed: i }),
      ),
    );
    expect(results.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const written = sink.calls.flat();
    expect(written.map((e) => e.seq)).toEqual(Array.from({ length: 51 }, (_, i) => i));
    // The start, then every call made in one tick shares one append.
    expect(sink.calls.length).toBe(2);
  });

  it('seals a session: the start names the key, the end carries a verifying signature', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const sink = createMemorySink();
    const recorder = createRecorder({ sink, now: clock(), sealingKey: privateKey });
    const session = await recorder.start({ principal, target }, { session: 's' });
    await session.record('request', { request: { type: 'command', command: 'ls' } });
    await session.end({ reason: 'done' });
    const keyId = sealKeyId(publicKey);
    expect(sink.events[0]!.data).toEqual({ principal, target, seal: { alg: 'Ed25519', keyId } });
    expect(sink.events[2]!.data).toMatchObject({ reason: 'done', seal: { alg: 'Ed25519', keyId } });
    expect((sink.events[2]!.data as { seal: { signature: string } }).seal.signature).toMatch(
      /^[A-Za-z0-9_-]{86}$/,
    );
    const report = verifyRecording(sink.toJsonLines(), { publicKey });
    expect(report.ok).toBe(true);
    expect(report.sessions[0]).toMatchObject({ sealed: true, sealVerified: true, ended: true });
  });

  it('accepts a PEM sealing key and rejects keys that are not Ed25519 private keys', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const sink = createMemorySink();
    expect(() =>
      createRecorder({ sink, sealingKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() }),
    ).not.toThrow();
    expect(() => createRecorder({ sink, sealingKey: publicKey })).toThrow(TypeError);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => createRecorder({ sink, sealingKey: ec.privateKey })).toThrow(TypeError);
  });

  describe('optional events (recordOptionalEvent)', () => {
    it('share one sink call with the events after them, in the order they were made', async () => {
      const sink = scriptedSink();
      const session = await createRecorder({ sink, now: clock() }).start({ principal, target });
      const first = recordOptionalEvent(session, 'request', { request: { type: 'sql', sql: 'SELECT 1' } });
      // Made (and placed in the chain) now, written later.
      await new Promise((resolve) => setImmediate(resolve));
      expect(sink.calls).toHaveLength(1);
      const second = recordOptionalEvent(session, 'result', { requestSeq: 1, rowCount: 1 });
      expect((await first).seq).toBe(1);
      expect((await second).seq).toBe(2);
      expect(sink.calls.map((call) => call.map((e) => e.type))).toEqual([
        ['session.start'],
        ['request', 'result'],
      ]);
      await session.end();
      expect(verifyRecording(sink.calls.flat()).ok).toBe(true);
    });

    it('are written at once, before it, by an event recorded with record()', async () => {
      const sink = scriptedSink();
      const session = await createRecorder({ sink, now: clock() }).start({ principal, target });
      const optional = recordOptionalEvent(session, 'request', { request: { type: 'sql', sql: 'SELECT 1' } });
      await session.record('error', { code: 'X', message: 'y' });
      await optional;
      expect(sink.calls.map((call) => call.map((e) => e.type))).toEqual([
        ['session.start'],
        ['request', 'error'],
      ]);
    });

    it('break the session when their write fails, like any event', async () => {
      const sink = scriptedSink((call) => call === 2);
      const session = await createRecorder({ sink, now: clock() }).start({ principal, target });
      await expect(recordOptionalEvent(session, 'result', { rowCount: 1 })).rejects.toBeInstanceOf(
        RecordingError,
      );
      await expect(session.record('error', { code: 'X', message: 'y' })).rejects.toBeInstanceOf(
        RecordingError,
      );
    });

    it("are recorded at once in a session that is not the recorder's own", () => {
      const recorded: string[] = [];
      const foreign: SessionRecorder = {
        session: 'elsewhere',
        record(type) {
          recorded.push(type);
          return Promise.resolve({} as RecordEvent);
        },
        end: () => Promise.resolve({} as RecordEvent),
      };
      void recordOptionalEvent(foreign, 'result', {});
      expect(recorded).toEqual(['result']);
    });
  });

  describe('misuse is a TypeError', () => {
    const started = async (): Promise<SessionRecorder> =>
      createRecorder({ sink: createMemorySink(), now: clock() }).start({}, { session: 's' });

    it.each([
      ['an empty session id', ''],
      ['a session id with a newline', 'a\nb'],
      ['a session id over 256 characters', 'x'.repeat(257)],
    ])('%s', async (_name, session) => {
      await expect(createRecorder({ sink: createMemorySink() }).start({}, { session })).rejects.toThrow(
        TypeError,
      );
    });

    it('start data that is not an object, or sets seal', async () => {
      const recorder = createRecorder({ sink: createMemorySink() });
      await expect(recorder.start('alice', { session: 'a' })).rejects.toThrow(TypeError);
      await expect(recorder.start({ seal: 1 }, { session: 'b' })).rejects.toThrow(TypeError);
    });

    it('a session id that is already being recorded', async () => {
      const recorder = createRecorder({ sink: createMemorySink() });
      const first = await recorder.start({}, { session: 'dup' });
      await expect(recorder.start({}, { session: 'dup' })).rejects.toThrow(/already being recorded/);
      await first.end();
      await expect(recorder.start({}, { session: 'dup' })).resolves.toMatchObject({ session: 'dup' });
    });

    it('an unknown or reserved event type', async () => {
      const session = await started();
      // @ts-expect-error: not an event type
      await expect(session.record('note', {})).rejects.toThrow(TypeError);
      // @ts-expect-error: written by start()/end() only
      await expect(session.record('session.end', {})).rejects.toThrow(TypeError);
    });

    it('data without a JSON form, without using up a seq', async () => {
      const session = await started();
      await expect(session.record('result', { n: NaN })).rejects.toThrow(TypeError);
      await expect(session.record('result', { n: 1 })).resolves.toMatchObject({ seq: 1 });
    });

    it('recording after the end, or ending twice', async () => {
      const session = await started();
      await session.end();
      await expect(session.record('error', { code: 'X', message: 'x' })).rejects.toThrow(TypeError);
      await expect(session.end()).rejects.toThrow(TypeError);
    });
  });

  describe('a failing sink fails closed', () => {
    it('start() rejects with ERR_RECORDING_FAILED and frees the session id', async () => {
      const recorder = createRecorder({ sink: scriptedSink((n) => n === 1) });
      const err: unknown = await recorder.start({}, { session: 's' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RecordingError);
      expect(err).toMatchObject({
        code: 'ERR_RECORDING_FAILED',
        cause: { message: 'ENOSPC: no space left on device' },
      });
      await expect(recorder.start({}, { session: 's' })).resolves.toMatchObject({ session: 's' });
    });

    it('record() rejects, and so does everything after it in that session', async () => {
      const sink = scriptedSink((n) => n === 3);
      const session = await createRecorder({ sink, now: clock() }).start({}, { session: 's' });
      await session.record('request', { request: { type: 'shell' } });
      const err: unknown = await session
        .record('output', { stream: 'stdout', data: 'x', elapsed: 0 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RecordingError);
      expect((err as RecordingError).message).toBe(
        'recording output event 2 of session s failed: ENOSPC: no space left on device',
      );
      await expect(session.record('error', { code: 'X', message: 'x' })).rejects.toThrow(RecordingError);
      await expect(session.end()).rejects.toThrow(RecordingError);
      // Nothing after the failed event reached the sink: the file has no hole to explain.
      expect(sink.calls.flat().map((e) => e.seq)).toEqual([0, 1]);
    });

    it('every event of a failed batch rejects, and none is written', async () => {
      const sink = scriptedSink((n) => n === 2);
      const session = await createRecorder({ sink, now: clock() }).start({}, { session: 's' });
      const outcomes = await Promise.allSettled([
        session.record('request', { request: { type: 'shell' } }),
        session.record('decision', { requestSeq: 1, effect: 'allow', rules: [], reasons: [] }),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
      expect(sink.calls.flat().map((e) => e.seq)).toEqual([0]);
    });

    it('end() rejects when the flush fails', async () => {
      const sink = createMemorySink();
      const failingFlush: RecordingSink = {
        append: (events) => sink.append(events),
        flush: () => Promise.reject(new Error('EIO')),
        close: () => sink.close(),
      };
      const session = await createRecorder({ sink: failingFlush }).start({}, { session: 's' });
      await expect(session.end()).rejects.toMatchObject({ code: 'ERR_RECORDING_FAILED' });
    });

    it('a request that must be recorded does not run when recording fails', async () => {
      // The engine's rule (docs/policy.md): run only after the request is recorded.
      let ran = false;
      const session = await createRecorder({ sink: scriptedSink((n) => n > 1) }).start({}, { session: 's' });
      const runRecorded = async (): Promise<'ran' | 'denied'> => {
        try {
          await session.record('request', { request: { type: 'sql', sql: 'DELETE FROM t' } });
        } catch (err) {
          if (err instanceof RecordingError) return 'denied';
          throw err;
        }
        ran = true;
        return 'ran';
      };
      expect(await runRecorded()).toBe('denied');
      expect(ran).toBe(false);
    });
  });

  it('writes lines a reader can verify in the stored form', async () => {
    const sink = createMemorySink();
    const session = await createRecorder({ sink, now: clock() }).start({ z: 1, a: 'é' }, { session: 's' });
    await session.end();
    expect(serializeEvent(sink.events[0]!)).toMatch(
      /^\{"data":\{"a":"é","z":1\},"hash":"[0-9a-f]{64}","prev":/,
    );
  });
});
