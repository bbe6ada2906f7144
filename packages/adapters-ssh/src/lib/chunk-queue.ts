// An async-iterable queue between a producer (the command's output) and one consumer, with
// backpressure: the producer's push waits while the consumer is `highWater` chunks behind, so
// a slow reader holds the channel's flow window instead of memory.

/** The producer's side. */
export interface ChunkQueue<T> extends AsyncIterable<T> {
  /** Queues a chunk; resolves when there is room again. Rejects once the consumer stopped. */
  push(item: T): Promise<void>;
  /** No more chunks: the iteration ends after what is queued. */
  end(): void;
  /** The iteration throws `error` after what is queued. */
  fail(error: unknown): void;
}

/**
 * Creates the queue; `onCancel` runs once when the consumer stops early (`break`, `return`).
 *
 * @example
 * ```ts
 * const q = createChunkQueue<string>(() => channel.close());
 * await q.push('a'); q.end();
 * for await (const s of q) console.log(s);
 * ```
 */
export function createChunkQueue<T>(onCancel: () => void, highWater = 8): ChunkQueue<T> {
  const items: T[] = [];
  let finished = false;
  let failure: { readonly error: unknown } | undefined;
  let cancelled = false;
  let iterating = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;

  const wake = (): void => {
    const w = wakeConsumer;
    wakeConsumer = undefined;
    w?.();
  };
  const cancel = (): void => {
    if (cancelled) return;
    cancelled = true;
    items.length = 0;
    const w = wakeProducer;
    wakeProducer = undefined;
    w?.();
    onCancel();
  };

  return {
    push(item: T): Promise<void> {
      if (cancelled) return Promise.reject(new Error('the reader stopped reading'));
      items.push(item);
      wake();
      if (items.length < highWater) return Promise.resolve();
      return new Promise<void>((resolve) => {
        wakeProducer = resolve;
      });
    },
    end(): void {
      finished = true;
      wake();
    },
    fail(error: unknown): void {
      failure ??= { error };
      finished = true;
      wake();
    },
    [Symbol.asyncIterator](): AsyncIterator<T> {
      if (iterating) throw new TypeError('this output can be read only once');
      iterating = true;
      return {
        next: async (): Promise<IteratorResult<T>> => {
          for (;;) {
            if (cancelled) return { done: true, value: undefined };
            if (items.length > 0) {
              const value = items.shift() as T;
              if (items.length < highWater) {
                const w = wakeProducer;
                wakeProducer = undefined;
                w?.();
              }
              return { done: false, value };
            }
            if (failure !== undefined) throw failure.error;
            if (finished) return { done: true, value: undefined };
            await new Promise<void>((resolve) => {
              wakeConsumer = resolve;
            });
          }
        },
        return: (): Promise<IteratorResult<T>> => {
          if (!finished) cancel();
          return Promise.resolve({ done: true, value: undefined });
        },
      };
    },
  };
}
