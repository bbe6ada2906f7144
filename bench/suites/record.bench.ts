// What tamper-evident recording costs beside writing the same events as plain JSON: the
// recorder canonicalises (RFC 8785), hashes (SHA-256) and chains every event, and the file sink
// fsyncs at each session end. One operation records one session of 100 events (start, 98
// request/decision/result events, end). Verification is measured beside a bare JSON.parse of
// the same lines.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canonicalJson,
  createFileSink,
  createMemorySink,
  createRecorder,
  verifyRecording,
  type FileSink,
  type Recorder,
  type RecordEventType,
} from '@portcullis/core';
import type { BenchSuite } from '../harness.js';

const EVENTS = 100;
type MidType = Exclude<RecordEventType, 'session.start' | 'session.end' | 'checkpoint'>;

const principal = { subject: 'alice', groups: ['analysts'], kind: 'agent', actor: 'copilot' };
const target = { name: 'warehouse', protocol: 'postgres' };
const steps: { type: MidType; data: Record<string, unknown> }[] = [];
for (let i = 0; steps.length < EVENTS - 2; i++) {
  const requestSeq = steps.length + 1;
  steps.push({
    type: 'request',
    data: {
      request: { type: 'sql', sql: `SELECT id, total, status FROM orders WHERE customer_id = ${i} LIMIT 10` },
      actions: [{ operation: 'select', resource: 'orders' }],
    },
  });
  steps.push({
    type: 'decision',
    data: {
      requestSeq,
      effect: 'allow',
      rules: ['analysts-read'],
      reasons: [],
      actions: [
        {
          action: { operation: 'select', resource: 'orders' },
          effect: 'allow',
          rules: ['analysts-read'],
          reasons: [],
        },
      ],
      mask: 'default',
      recordingRequired: true,
    },
  });
  steps.push({
    type: 'result',
    data: {
      requestSeq,
      summary: 'SELECT 2',
      rowCount: 2,
      body: [
        { id: 1, total: 12.5, status: 'paid' },
        { id: 2, total: 99, status: 'open' },
      ],
      durationMs: 3,
    },
  });
}
steps.length = EVENTS - 2;

/** The same events as plain objects, as a logger without hashing would write them. */
let plainSeq = 0;
function plainEvents(): object[] {
  const session = `plain-${++plainSeq}`;
  const ts = new Date().toISOString();
  return [
    { v: 1, session, seq: 0, ts, type: 'session.start', data: { principal, target } },
    ...steps.map((s, i) => ({ v: 1, session, seq: i + 1, ts, type: s.type, data: s.data })),
    { v: 1, session, seq: EVENTS - 1, ts, type: 'session.end', data: {} },
  ];
}

async function oneByOne(recorder: Recorder): Promise<void> {
  const s = await recorder.start({ principal, target });
  for (const step of steps) await s.record(step.type, step.data);
  await s.end();
}

async function concurrently(recorder: Recorder): Promise<void> {
  const s = await recorder.start({ principal, target });
  await Promise.all(steps.map((step) => s.record(step.type, step.data)));
  await s.end();
}

const sealingKey = generateKeyPairSync('ed25519').privateKey;
let memory = createMemorySink();
const memoryRecorder = (): Recorder => createRecorder({ sink: memory });
const sealedRecorder = (): Recorder => createRecorder({ sink: memory, sealingKey });

let dir = '';
let baselineFile: FileHandle | undefined;
let fileSink: FileSink | undefined;
let fileRecorder: Recorder | undefined;

// A recording to verify: 20 sessions of 100 events.
const verifySink = createMemorySink();
const verifyRecorder = createRecorder({ sink: verifySink });
for (let i = 0; i < 20; i++) await oneByOne(verifyRecorder);
const recordingText = verifySink.toJsonLines();
const recordingLines = recordingText.trimEnd().split('\n');

export const suites: readonly BenchSuite[] = [
  {
    name: 'recording to memory: one session of 100 events',
    description:
      'The recorder (canonical form, SHA-256, chain) into the memory sink, beside JSON.stringify of the same events into an array.',
    notes: { 'events per op': EVENTS },
    setup: () => {
      memory = createMemorySink();
      return Promise.resolve(undefined);
    },
    baseline: {
      name: 'JSON.stringify + push',
      fn: () => {
        const out: string[] = [];
        for (const e of plainEvents()) out.push(JSON.stringify(e));
        return out;
      },
    },
    tasks: [
      {
        name: 'recorder, each record() awaited',
        fn: async () => {
          memory = createMemorySink();
          await oneByOne(memoryRecorder());
        },
      },
      {
        name: 'recorder, 98 record() calls at once',
        fn: async () => {
          memory = createMemorySink();
          await concurrently(memoryRecorder());
        },
      },
      {
        name: 'recorder, sealed (Ed25519 at end)',
        fn: async () => {
          memory = createMemorySink();
          await oneByOne(sealedRecorder());
        },
      },
    ],
  },
  {
    name: 'recording to a file: one session of 100 events',
    description:
      'The recorder into the JSON Lines file sink (one write per batch, fdatasync at session end) beside ' +
      'JSON.stringify + one awaited write per event to an open file (no sync), and the same with one sync per session.',
    notes: { 'events per op': EVENTS, directory: tmpdir() },
    timeMs: 1000,
    setup: async () => {
      dir = await mkdtemp(join(tmpdir(), 'portcullis-bench-'));
      baselineFile = await open(join(dir, 'plain.jsonl'), 'a');
      fileSink = await createFileSink(join(dir, 'audit.jsonl'), { fsyncIntervalMs: 1000 });
      fileRecorder = createRecorder({ sink: fileSink });
      return async () => {
        await baselineFile?.close();
        await fileSink?.close();
        await rm(dir, { recursive: true, force: true });
      };
    },
    baseline: {
      name: 'JSON.stringify + write per event',
      fn: async () => {
        for (const e of plainEvents()) await baselineFile!.write(`${JSON.stringify(e)}\n`);
      },
    },
    tasks: [
      {
        name: 'JSON.stringify + write per event + fdatasync',
        fn: async () => {
          for (const e of plainEvents()) await baselineFile!.write(`${JSON.stringify(e)}\n`);
          await baselineFile!.datasync();
        },
      },
      { name: 'recorder + file sink, each record() awaited', fn: () => oneByOne(fileRecorder!) },
      { name: 'recorder + file sink, 98 record() calls at once', fn: () => concurrently(fileRecorder!) },
    ],
  },
  {
    name: 'canonical form of one result event',
    description:
      'canonicalJson (RFC 8785: sorted members, checked numbers) beside JSON.stringify of the same data.',
    baseline: { name: 'JSON.stringify', fn: () => JSON.stringify(steps[2]!.data) },
    tasks: [{ name: 'canonicalJson', fn: () => canonicalJson(steps[2]!.data) }],
  },
  {
    name: 'verifying a recording: 20 sessions, 2000 events',
    description:
      'verifyRecording (parse, shape, canonical form, hash, chain) beside JSON.parse of every line.',
    bytesPerOp: Buffer.byteLength(recordingText),
    notes: { bytes: Buffer.byteLength(recordingText) },
    baseline: { name: 'JSON.parse per line', fn: () => recordingLines.map((l) => JSON.parse(l) as unknown) },
    tasks: [{ name: 'verifyRecording', fn: () => verifyRecording(recordingText) }],
  },
];
