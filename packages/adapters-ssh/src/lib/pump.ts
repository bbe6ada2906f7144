// Reads one channel stream through the gate's masked, recorded, capped output, in order, with
// backpressure: what arrives while a batch is masked and delivered is read ahead up to a bound,
// then the stream pauses (and the channel's flow window stops the server).
import type { GateOutput } from '@portcullis/core';
import { Buffer } from 'node:buffer';
import type { Readable } from 'node:stream';
import { asError } from './text.js';

const noop = (): void => undefined;
/** Bytes read ahead while a batch is masked and delivered. */
const HIGH_WATER = 1 << 20;

/**
 * Pumps `readable` into `out` and each masked text into `deliver` (also when it is empty:
 * everything may be held back, and an interactive reader then flushes at a pause); resolves once the end's
 * held-back rest was delivered, rejects at the first failure (a cap, a recording failure, the
 * reader gone). `resume` says whether to read on after a chunk (a shell's reader may be full).
 *
 * @example
 * ```ts
 * await pumpOutput(channel, run.output('stdout'), (text) => sink('stdout', text));
 * ```
 */
export function pumpOutput(
  readable: Readable,
  out: GateOutput,
  deliver: (text: string) => Promise<void> | void,
  resume: () => boolean = () => true,
): Promise<void> {
  return new Promise<void>((done, stop) => {
    let tail: Promise<void> = Promise.resolve();
    let failed = false;
    // Each step is started at once (so an end never overtakes a write) and delivered in order.
    const step = (produce: () => Promise<string>): Promise<void> => {
      let produced: Promise<string>;
      try {
        produced = produce();
      } catch (err) {
        // Past a cap, write() throws at once.
        produced = Promise.reject(asError(err));
      }
      produced.catch(noop);
      tail = tail.then(() => produced).then(deliver);
      return tail;
    };
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      readable.pause();
      stop(asError(err));
    };
    // Chunks that arrive while one batch is masked wait here and go as the next batch: fewer,
    // larger masking steps. Past HIGH_WATER bytes the stream pauses (backpressure).
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let busy = false;
    let ended = false;
    const drain = (): void => {
      if (busy || failed) return;
      if (pending.length === 0) {
        if (ended) step(() => out.end()).then(done, fail);
        return;
      }
      busy = true;
      const batch = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      if (readable.isPaused() && !ended && resume()) readable.resume();
      step(() => out.write(batch)).then(() => {
        busy = false;
        if (readable.isPaused() && !ended && resume()) readable.resume();
        drain();
      }, fail);
    };
    readable.on('data', (chunk: Buffer) => {
      if (failed) return;
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= HIGH_WATER) readable.pause();
      drain();
    });
    readable.once('end', () => {
      ended = true;
      drain();
    });
  });
}
