// Group commit: items pushed while a write is in flight go out together in the next write, so
// concurrent callers share one sink call (one write, one syscall) while keeping their order.

/** Pushes items in order; each promise settles when the batch holding its item has been written. */
export interface Batcher<T> {
  push(item: T): Promise<void>;
  /** Resolves when every item pushed so far has been written (or failed). */
  idle(): Promise<void>;
}

interface Pending<T> {
  items: T[];
  settle: { resolve: () => void; reject: (err: unknown) => void }[];
}

/** A batcher that hands each batch to `write`, one batch at a time. */
export function createBatcher<T>(write: (items: T[]) => Promise<void>): Batcher<T> {
  let pending: Pending<T> | undefined;
  let running: Promise<void> | undefined;

  const run = async (): Promise<void> => {
    while (pending !== undefined) {
      const batch = pending;
      pending = undefined;
      try {
        await write(batch.items);
        for (const s of batch.settle) s.resolve();
      } catch (err) {
        for (const s of batch.settle) s.reject(err);
      }
    }
    running = undefined;
  };

  return {
    push(item) {
      return new Promise<void>((resolve, reject) => {
        pending ??= { items: [], settle: [] };
        pending.items.push(item);
        pending.settle.push({ resolve, reject });
        // Started on a microtask so the calls made in the same tick join one batch.
        running ??= Promise.resolve().then(run);
      });
    },
    idle() {
      return running ?? Promise.resolve();
    },
  };
}
