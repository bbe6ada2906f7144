// Group commit: items pushed while a write is in flight go out together in the next write, so
// concurrent callers share one sink call (one write, one syscall) while keeping their order.
// Items that may wait (optional recording events) linger a moment for the items after them, so
// a run of requests shares one write instead of paying one or two each.

/** Pushes items in order; each promise settles when the batch holding its item has been written. */
export interface Batcher<T> {
  /**
   * Queues `item`. It is written with the items pushed in the same turn, on the next microtask;
   * with `linger`, up to the batcher's linger time later, with every item pushed meanwhile (an
   * item pushed without `linger`, or a full batch, writes them all at once).
   */
  push(item: T, linger?: boolean): Promise<void>;
  /** Resolves when every item pushed so far has been written (or failed); writes lingering items now. */
  idle(): Promise<void>;
}

/** Options of {@link createBatcher}. */
export interface BatcherOptions {
  /** How long a lingering item may wait for the items after it, in ms (default 0: it does not). */
  readonly lingerMs?: number;
  /** A batch this long is written at once, lingering or not (default 256). */
  readonly maxLingering?: number;
}

interface Pending<T> {
  items: T[];
  settle: { resolve: () => void; reject: (err: unknown) => void }[];
}

/**
 * A batcher that hands each batch to `write`, one batch at a time. A rejection of `write` rejects
 * the pushes of that batch (and only those).
 *
 * @example
 * ```ts
 * const batcher = createBatcher((lines: string[]) => sink.append(lines), { lingerMs: 2 });
 * await batcher.push('optional', true); // written within 2 ms, with what follows it
 * ```
 */
export function createBatcher<T>(
  write: (items: T[]) => Promise<void>,
  options: BatcherOptions = {},
): Batcher<T> {
  const lingerMs = options.lingerMs ?? 0;
  const maxLingering = options.maxLingering ?? 256;
  let pending: Pending<T> | undefined;
  let running: Promise<void> | undefined;
  // Set while lingering items wait; it holds the process open, so they are written before a
  // process that has nothing else to do exits.
  let lingering: ReturnType<typeof setTimeout> | undefined;

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

  // Started on a microtask so the calls made in the same turn join one batch.
  const start = (): void => {
    if (lingering !== undefined) {
      clearTimeout(lingering);
      lingering = undefined;
    }
    running ??= Promise.resolve().then(run);
  };

  return {
    push(item, linger = false) {
      return new Promise<void>((resolve, reject) => {
        pending ??= { items: [], settle: [] };
        pending.items.push(item);
        pending.settle.push({ resolve, reject });
        // A write in flight takes the pending items as soon as it is done.
        if (running !== undefined) return;
        if (!linger || lingerMs <= 0 || pending.items.length >= maxLingering) start();
        else lingering ??= setTimeout(start, lingerMs);
      });
    },
    idle() {
      if (lingering !== undefined) start();
      return running ?? Promise.resolve();
    },
  };
}
