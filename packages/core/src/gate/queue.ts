import type { GateQueue } from './types.js';

const noop = (): void => undefined;

/**
 * A first-in first-out queue of async tasks: each task starts only when every task enqueued
 * before it has settled, whatever its outcome. A session's requests go through one, so they keep
 * their order even while one waits for approval; a transaction uses its own for its statements.
 *
 * @example
 * ```ts
 * const queue = createGateQueue();
 * void queue.enqueue(async () => first());
 * await queue.enqueue(async () => second()); // after first() settled
 * ```
 */
export function createGateQueue(): GateQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return Object.freeze({
    enqueue<T>(task: () => Promise<T>): Promise<T> {
      const run = tail.then(task);
      tail = run.then(noop, noop);
      return run;
    },
    idle(): Promise<void> {
      return tail.then(noop, noop);
    },
  });
}
