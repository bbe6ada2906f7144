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
 * The most bytes masked in one step. Larger texts cost more than they save: a string past
 * ~128 KiB is allocated in V8's large-object space, in fresh pages for every step.
 */
const MAX_BATCH = 64 * 1024;
/** Batches masked and not yet delivered (their recording may still be written), at most. */
const IN_FLIGHT = 2;

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
    // Chunks that arrive while batches are delivered wait here and go as the next batch: fewer,
    // larger masking steps. Two batches may be out at once, so the next one is masked while the
    // last one's recording is written. Past HIGH_WATER bytes the stream pauses (backpressure).
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let inFlight = 0;
    let ended = false;
    let finishing = false;
    const readOn = (): void => {
      if (readable.isPaused() && !ended && pendingBytes < HIGH_WATER && resume()) readable.resume();
    };
    const drain = (): void => {
      if (failed || finishing) return;
      while (inFlight < IN_FLIGHT && pending.length > 0) {
        // Whole chunks up to MAX_BATCH bytes (at least one).
        let take = 1;
        let bytes = (pending[0] as Buffer).length;
        while (take < pending.length && bytes + (pending[take] as Buffer).length <= MAX_BATCH) {
          bytes += (pending[take] as Buffer).length;
          take++;
        }
        const batch = take === 1 ? (pending[0] as Buffer) : Buffer.concat(pending.slice(0, take), bytes);
        pending = pending.slice(take);
        pendingBytes -= bytes;
        inFlight++;
        readOn();
        step(() => out.write(batch)).then(() => {
          inFlight--;
          readOn();
          drain();
        }, fail);
      }
      if (ended && pending.length === 0 && inFlight === 0) {
        finishing = true;
        step(() => out.end()).then(done, fail);
      }
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
