// The masking worker thread (see offload.ts): holds the engines of the streams moved to it, by
// number, and answers each step with its output and the labels masked meanwhile.
import { parentPort } from 'node:worker_threads';
import { createMasker, maskerEngines } from '../create-masker.js';
import type { MaskEngine } from './engine.js';
import { collectFindings } from './finding-sink.js';
import type { WorkerReply, WorkerRequest } from './offload.js';

const port = parentPort;
if (port === null) throw new Error('mask-worker.ts runs as a worker thread');

const streams = new Map<number, MaskEngine>();
const utf8 = new TextEncoder();
// In `u` mode a pair is one code point: this matches only a surrogate on its own.
const LONE_SURROGATE = /\p{Surrogate}/u;

function step(request: WorkerRequest): WorkerReply | undefined {
  const { req } = request;
  if (request.op === 'drop') {
    streams.delete(request.stream);
    return undefined;
  }
  if (request.op === 'open') {
    const { detectors, style, hashKey } = request.recipe;
    const masker = createMasker(
      { detectors: [...detectors], style },
      hashKey === undefined ? {} : { hashKey },
    );
    const engines = maskerEngines(masker);
    if (engines === undefined) throw new Error('no engines for the masker');
    streams.set(request.stream, engines.restore(request.state));
    return { req, bytes: new Uint8Array(0), labels: [] };
  }
  const engine = streams.get(request.stream);
  if (engine === undefined) throw new Error(`no stream ${request.stream}`);
  const labels: string[] = [];
  const text = collectFindings(
    (label) => labels.push(label),
    () =>
      request.op === 'write'
        ? engine.write(request.text)
        : request.op === 'idle'
          ? engine.idle()
          : engine.end(),
  );
  if (request.op === 'end') streams.delete(request.stream);
  // As UTF-8 with the buffer transferred, unless a lone surrogate would not survive that.
  return LONE_SURROGATE.test(text) ? { req, text, labels } : { req, bytes: utf8.encode(text), labels };
}

port.on('message', (request: WorkerRequest) => {
  let reply: WorkerReply | undefined;
  try {
    reply = step(request);
  } catch (err) {
    reply = { req: request.req, error: err instanceof Error ? err.message : String(err) };
  }
  if (reply !== undefined)
    port.postMessage(reply, 'bytes' in reply ? [reply.bytes.buffer as ArrayBuffer] : []);
});

// Loaded: streams may move here now.
port.postMessage({ ready: true });
