// Reads one channel stream through the gate's masked, recorded, capped output, in order, with
// backpressure: the stream is paused while a chunk is masked, recorded and delivered.
import type { GateOutput } from '@portcullis/core';
import type { Readable } from 'node:stream';
import { asError } from './text.js';

const noop = (): void => undefined;

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
    readable.on('data', (chunk: Buffer) => {
      if (failed) return;
      readable.pause();
      step(() => out.write(chunk)).then(() => {
        if (!failed && resume()) readable.resume();
      }, fail);
    });
    readable.once('end', () => {
      if (failed) return;
      step(() => out.end()).then(done, fail);
    });
  });
}
