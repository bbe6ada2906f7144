// When recording is not required, the gate makes a request's events after the request was sent
// (on the next turn of the event loop), in order with everything else the session records, and
// their write waits a moment (OPTIONAL_LINGER_MS) to share one sink call with the events after them.
import { describe, expect, it } from 'vitest';
import { createPortcullis } from '../engine/create-portcullis.js';
import { LaterRecording } from '../engine/later-recording.js';
import { parsePolicy } from '../policy/load-policy.js';
import { OPTIONAL_LINGER_MS, createRecorder } from '../record/create-recorder.js';
import { createMemorySink, type MemorySink } from '../record/memory-sink.js';
import { serializeEvent } from '../record/serialize-event.js';
import { verifyRecording } from '../record/verify.js';
import type { Action, CommandRequest, Principal, RecordEvent, RecordingSink } from '../types.js';
import { createGate } from './create-gate.js';
import type { GateAdapter, GateRun, GateSession } from './types.js';

const POLICY = `
version: 1
targets:
  bastion: { protocol: ssh }
rules:
  - id: ops-run
    effect: allow
    when: { groups: [ops], targets: [bastion], operations: [exec], resources: ["echo *", "rows *"] }
  - id: audited
    effect: allow
    when: { groups: [ops], targets: [bastion], operations: [exec], resources: ["audit *"] }
    record: true
`;

const alice: Principal = { subject: 'alice', groups: ['ops'], kind: 'human' };

interface Call {
  readonly command: string;
  readonly rows?: readonly Record<string, unknown>[];
  readonly out?: string;
}

/**
 * An adapter whose result is the rows it was given, handed to the caller and put in the
 * result event as they are (as the pg adapter does); `seen` gets the event types recorded when
 * each request started executing.
 */
function rowsAdapter(sink: MemorySink, seen: string[][]): GateAdapter<Call, Call, Call['rows']> {
  return {
    toRequest: (call) => ({ request: { type: 'command', command: call.command } }),
    async execute(call: Call, run: GateRun) {
      seen.push(sink.events.map((e) => e.type));
      if (call.out !== undefined) {
        const out = run.output('stdout');
        await out.write(call.out);
        await out.end();
      }
      return call;
    },
    shape: (raw) => ({
      value: raw.rows,
      record: {
        summary: 'ok',
        rowCount: raw.rows?.length ?? 0,
        ...(raw.rows === undefined ? {} : { body: raw.rows }),
      },
    }),
  };
}

async function setup(sink: RecordingSink = createMemorySink()): Promise<{
  session: GateSession<Call, Call['rows']>;
  sink: MemorySink;
  seen: string[][];
}> {
  const memory = sink as MemorySink;
  const portcullis = await createPortcullis({
    policy: parsePolicy(POLICY),
    classify: (request) => [
      { operation: 'exec', resource: (request as CommandRequest).command } satisfies Action,
    ],
    recorder: createRecorder({ sink }),
  });
  const seen: string[][] = [];
  const session = createGate({ portcullis, target: 'bastion', adapter: rowsAdapter(memory, seen) }).open(
    alice,
  );
  return { session, sink: memory, seen };
}

const types = (events: readonly RecordEvent[]): string[] => events.map((e) => e.type);
const nextTurn = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });
/**
 * Past the linger of every optional event made so far: the turn that makes them, a timer of the
 * same length set after theirs (so it fires after them), and the turn that writes them.
 */
const pastLinger = async (): Promise<void> => {
  await nextTurn();
  await new Promise((resolve) => setTimeout(resolve, OPTIONAL_LINGER_MS));
  await nextTurn();
};

/** A memory sink that also keeps the events of each append() call. */
function countingSink(): MemorySink & { readonly calls: string[][] } {
  const memory = createMemorySink();
  const calls: string[][] = [];
  return Object.assign(Object.create(memory) as MemorySink, {
    calls,
    append(events: readonly RecordEvent[]) {
      calls.push(types(events));
      return memory.append(events);
    },
  });
}

describe('recording that is not required', () => {
  it('is written after the request was sent, a moment later, and before the session ends', async () => {
    const { session, sink, seen } = await setup();
    await session.run({ command: 'echo 1', rows: [{ n: 1 }] });
    // Only the session's start was written when the request ran.
    expect(seen).toEqual([['session.start']]);
    await pastLinger();
    expect(types(sink.events)).toEqual(['session.start', 'request', 'decision', 'result']);
    await session.run({ command: 'echo 2', rows: [] });
    await session.end();
    expect(types(sink.events)).toEqual([
      'session.start',
      ...['request', 'decision', 'result'],
      ...['request', 'decision', 'result'],
      'session.end',
    ]);
    expect(sink.events[3]?.data).toMatchObject({ requestSeq: 1, rowCount: 1 });
    expect(sink.events[6]?.data).toMatchObject({ requestSeq: 4, rowCount: 0 });
    expect(verifyRecording(sink.events)).toMatchObject({ ok: true });
  });

  it('of requests run one after another goes to the sink in one call', async () => {
    const sink = countingSink();
    const { session } = await setup(sink);
    for (let i = 0; i < 3; i++) await session.run({ command: `echo ${i}`, rows: [] });
    await pastLinger();
    expect(sink.calls).toEqual([['session.start'], Array(3).fill(['request', 'decision', 'result']).flat()]);
    // A required event does not wait: it goes at once, with whatever was still waiting before it.
    await session.run({ command: 'echo 3', rows: [] });
    await nextTurn();
    await session.run({ command: 'audit 1', rows: [] });
    expect(sink.calls.slice(2)).toEqual([
      ['request', 'decision', 'result', 'request', 'decision'],
      ['result'],
    ]);
    await session.end();
    expect(sink.calls.slice(4)).toEqual([['session.end']]);
    expect(verifyRecording(sink.events)).toMatchObject({ ok: true });
  });

  it('is written before anything required, so the chain keeps the order of the requests', async () => {
    const { session, sink, seen } = await setup();
    await session.run({ command: 'echo 1', rows: [] });
    await session.run({ command: 'audit 1', rows: [] });
    await session.run({ command: 'echo 2', rows: [], out: 'done' });
    await session.end();
    // The required request's own events were written before it ran, after the earlier one's.
    expect(seen[1]).toEqual(['session.start', 'request', 'decision', 'result', 'request', 'decision']);
    expect(types(sink.events)).toEqual([
      'session.start',
      ...['request', 'decision', 'result'],
      ...['request', 'decision', 'result'],
      ...['request', 'decision', 'output', 'result'],
      'session.end',
    ]);
    const seqs = sink.events.map((e) => (e.data as { requestSeq?: number }).requestSeq);
    expect(seqs).toEqual([undefined, undefined, 1, 1, undefined, 4, 4, undefined, 7, 7, 7, undefined]);
    expect(sink.events[7]?.data).toMatchObject({ request: { command: 'echo 2' } });
  });

  it('records the rows the caller was shown, whatever the caller does to them afterwards', async () => {
    const { session, sink } = await setup();
    const when = new Date('2026-01-01T00:00:00Z');
    const flat = await session.run({ command: 'rows 1', rows: [{ name: 'shown', list: ['a'] }] });
    const nested = await session.run({ command: 'rows 2', rows: [{ name: 'shown', when }] });
    // An agent rewriting what it was given must not rewrite the audit trail.
    for (const rows of [flat, nested]) {
      const row = rows?.[0] as Record<string, unknown>;
      row['name'] = 'forged';
      row['extra'] = 'forged';
    }
    (flat?.[0] as { list: string[] }).list[0] = 'forged';
    when.setUTCFullYear(1999);
    await session.end();
    // As stored: the event's line (a memory sink keeps the data objects themselves).
    const bodies = sink.events
      .filter((e) => e.type === 'result')
      .map((e) => (JSON.parse(serializeEvent(e)) as { data: { body: unknown } }).data.body);
    expect(verifyRecording(sink.events.map((e) => serializeEvent(e)))).toMatchObject({ ok: true });
    expect(bodies).toEqual([
      [{ name: 'shown', list: ['a'] }],
      [{ name: 'shown', when: '2026-01-01T00:00:00.000Z' }],
    ]);
  });

  it('keeps a column named __proto__ as the caller saw it', async () => {
    const { session, sink } = await setup();
    const row = JSON.parse('{"__proto__": "kept", "n": 1}') as Record<string, unknown>;
    await session.run({ command: 'rows 3', rows: [row] });
    await session.end();
    const body = (sink.events[3]?.data as { body: Record<string, unknown>[] }).body;
    expect(Object.keys(body[0] ?? {})).toEqual(['__proto__', 'n']);
    expect(Object.getOwnPropertyDescriptor(body[0], '__proto__')?.value).toBe('kept');
  });

  it('is optional: a sink that fails on a later event fails neither that request nor the caller', async () => {
    const inner = createMemorySink();
    let failing = false;
    const sink: RecordingSink = {
      append: (events) => (failing ? Promise.reject(new Error('disk full')) : inner.append(events)),
      flush: () => inner.flush(),
      close: () => inner.close(),
    };
    const portcullis = await createPortcullis({
      policy: parsePolicy(POLICY),
      classify: (request) => [{ operation: 'exec', resource: (request as CommandRequest).command }],
      recorder: createRecorder({ sink }),
    });
    const session = createGate({
      portcullis,
      target: 'bastion',
      adapter: rowsAdapter(inner, []),
    }).open(alice);
    await session.run({ command: 'echo 1', rows: [] });
    failing = true;
    await expect(session.run({ command: 'echo 2', rows: [{ n: 2 }] })).resolves.toEqual([{ n: 2 }]);
    await nextTurn();
    // The chain has a hole now: a request that requires recording is denied, never run.
    await expect(session.run({ command: 'audit 1', rows: [] })).rejects.toMatchObject({
      code: 'ERR_DENIED',
    });
  });
});

describe('LaterRecording', () => {
  it('runs its steps in order, before anything recorded at once, and once', async () => {
    const sink = createMemorySink();
    const inner = await createRecorder({ sink }).start({});
    const lane = new LaterRecording(inner);
    const order: string[] = [];
    lane.later(() => order.push('a'));
    lane.later(() => order.push('b'));
    expect(order).toEqual([]);
    expect(lane.nextSeq).toBe(1);
    expect(order).toEqual(['a', 'b']);
    lane.later((recording) => {
      LaterRecording.optional(recording, 'error', { code: 'X', message: 'first' });
    });
    await lane.record('error', { code: 'Y', message: 'second' });
    await nextTurn();
    expect(order).toEqual(['a', 'b']);
    await lane.end();
    expect(sink.events.map((e) => (e.data as { message?: string }).message)).toEqual([
      undefined,
      'first',
      'second',
      undefined,
    ]);
  });

  it('skips a step that throws and goes on with the next', async () => {
    const sink = createMemorySink();
    const lane = new LaterRecording(await createRecorder({ sink }).start({}));
    lane.later(() => {
      throw new Error('boom');
    });
    lane.later((recording) => {
      LaterRecording.optional(recording, 'error', { code: 'X', message: 'after' });
    });
    await nextTurn();
    await lane.end();
    expect(types(sink.events)).toEqual(['session.start', 'error', 'session.end']);
  });
});
