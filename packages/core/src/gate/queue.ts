import type { GateQueue } from './types.js';

const noop = (): void => undefined;

/** A task starting in the caller's turn: `null` until something it starts enqueues behind it. */
interface Starting {
  readonly promise: Promise<unknown>;
  readonly resolve: (settled: Promise<unknown>) => void;
}

/**
 * A first-in first-out queue of async tasks: each task starts only when every task enqueued
 * before it has settled, whatever its outcome. A session's requests go through one, so they keep
 * their order even while one waits for approval; a transaction uses its own for its statements.
 * A task enqueued while nothing is queued starts at once, in the caller's turn, without waiting
 * for a promise of its own.
 *
 * @example
 * ```ts
 * const queue = createGateQueue();
 * void queue.enqueue(async () => first());
 * await queue.enqueue(async () => second()); // after first() settled
 * ```
 */
export function createGateQueue(): GateQueue {
  // Settles once every task enqueued so far has settled; `queued` counts those not settled yet.
  let tail: Promise<unknown> = Promise.resolve();
  let queued = 0;
  // Set while a task starts synchronously: whatever it enqueues meanwhile waits for it.
  let starting: Starting | null | undefined;
  const settled = (): void => {
    queued--;
  };
  return Object.freeze({
    enqueue<T>(task: () => Promise<T>): Promise<T> {
      if (queued === 0 && starting === undefined) {
        queued++;
        starting = null;
        let run: Promise<T>;
        try {
          run = Promise.resolve(task());
        } catch (err) {
          // A task that throws before its first await rejects as it would have on a later turn.
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
          run = Promise.reject(err);
        }
        // The task may have enqueued behind itself (which set `starting`), out of the checker's sight.
        const waiting = starting as Starting | null;
        starting = undefined;
        const after = run.then(settled, settled);
        if (waiting === null) tail = after;
        else waiting.resolve(after);
        return run;
      }
      if (starting === null) {
        // The first task enqueued by a task still starting: it (and what follows) waits for that one.
        let resolve!: (settled: Promise<unknown>) => void;
        const promise = new Promise<unknown>((r) => {
          resolve = r;
        });
        starting = { promise, resolve };
        tail = promise;
      }
      const run = tail.then(task);
      queued++;
      tail = run.then(settled, settled);
      return run;
    },
    idle(): Promise<void> {
      return tail.then(noop, noop);
    },
  });
}
