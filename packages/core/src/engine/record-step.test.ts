import { describe, expect, it } from 'vitest';
import { RecordingError } from '../errors.js';
import { createRecorder } from '../record/create-recorder.js';
import type { RecordEvent, RecordingSink, SessionRecorder } from '../types.js';
import { recordRequestAndDecision } from './record-step.js';

/** A sink that keeps each append call's events apart. */
function batchesSink(): { sink: RecordingSink; batches: RecordEvent[][] } {
  const batches: RecordEvent[][] = [];
  return {
    batches,
    sink: {
      append: (events) => {
        batches.push([...events]);
        return Promise.resolve();
      },
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
    },
  };
}

describe('recordRequestAndDecision', () => {
  it('hands the request and its decision to the sink in one append, the decision naming the request', async () => {
    const { sink, batches } = batchesSink();
    const session = await createRecorder({ sink }).start({}, { session: 's' });
    const seq = await recordRequestAndDecision(
      session,
      { request: { type: 'sql', sql: 'SELECT 1' } },
      (requestSeq) => ({ requestSeq, effect: 'allow' }),
      true,
    );
    expect(seq).toBe(1);
    expect(batches).toHaveLength(2); // session.start, then both events together
    expect(batches[1]?.map((e) => [e.type, e.seq, (e.data as { requestSeq?: number }).requestSeq])).toEqual([
      ['request', 1, undefined],
      ['decision', 2, 1],
    ]);
  });

  it('records one after the other when the session does not say which seq comes next', async () => {
    const { sink, batches } = batchesSink();
    const inner = await createRecorder({ sink }).start({}, { session: 's' });
    const session: SessionRecorder = {
      session: 's',
      record: (t, d) => inner.record(t, d),
      end: (d) => inner.end(d),
    };
    const seq = await recordRequestAndDecision(session, {}, (requestSeq) => ({ requestSeq }), true);
    expect(seq).toBe(1);
    expect(batches.slice(1).map((b) => b.map((e) => e.seq))).toEqual([[1], [2]]);
    expect((batches[2]?.[0]?.data as { requestSeq: number }).requestSeq).toBe(1);
  });

  it('fails a required recording when the request did not get the announced seq', async () => {
    const { sink } = batchesSink();
    const inner = await createRecorder({ sink }).start({}, { session: 's' });
    const lying: SessionRecorder = {
      session: 's',
      nextSeq: 7,
      record: (t, d) => inner.record(t, d),
      end: (d) => inner.end(d),
    };
    await expect(recordRequestAndDecision(lying, {}, (requestSeq) => ({ requestSeq }), true)).rejects.toThrow(
      RecordingError,
    );
    // Optional recording is an observer: the request's real seq comes back.
    await expect(recordRequestAndDecision(lying, {}, (requestSeq) => ({ requestSeq }), false)).resolves.toBe(
      3,
    );
  });

  it('fails a required recording when either write fails, after both have settled', async () => {
    let calls = 0;
    const session: SessionRecorder = {
      session: 's',
      nextSeq: 1,
      record: (type) => {
        calls++;
        return type === 'decision'
          ? Promise.reject(new Error('disk full'))
          : Promise.resolve({ seq: 1 } as RecordEvent);
      },
      end: () => Promise.reject(new Error('unused')),
    };
    await expect(recordRequestAndDecision(session, {}, () => ({}), true)).rejects.toThrow(/disk full/);
    expect(calls).toBe(2);
    await expect(recordRequestAndDecision(session, {}, () => ({}), false)).resolves.toBe(1);
  });
});
