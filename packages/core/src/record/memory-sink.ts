import type { RecordEvent, RecordingSink } from '../types.js';
import { lineOf } from './lib/event-text.js';

/** A {@link RecordingSink} that keeps events in memory (tests, short-lived tools, buffering). */
export interface MemorySink extends RecordingSink {
  /** Every event appended so far, in order. */
  readonly events: readonly RecordEvent[];
  /** The events as a JSON Lines recording (each line newline-terminated), as a file sink writes it. */
  toJsonLines(): string;
}

/**
 * Creates an in-memory sink. `append()` only rejects after `close()` (with a TypeError);
 * `flush()` has nothing to make durable.
 *
 * @example
 * ```ts
 * const sink = createMemorySink();
 * const recorder = createRecorder({ sink });
 * // …
 * verifyRecording(sink.toJsonLines()).ok; // true
 * ```
 */
export function createMemorySink(): MemorySink {
  const events: RecordEvent[] = [];
  let closed = false;
  return {
    events,
    append(batch) {
      if (closed) return Promise.reject(new TypeError('the memory sink is closed'));
      events.push(...batch);
      return Promise.resolve();
    },
    flush() {
      return Promise.resolve();
    },
    close() {
      closed = true;
      return Promise.resolve();
    },
    toJsonLines() {
      let text = '';
      for (const e of events) text += `${lineOf(e)}\n`;
      return text;
    },
  };
}
