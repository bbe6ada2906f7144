// Stand-ins that fail on demand, for the fail-closed tests.
import { createMemorySink, type ApprovalStore, type MemorySink, type RecordingSink } from '@portcullis/core';

/** An approval store whose every operation rejects. */
export function failingStore(): ApprovalStore {
  const fail = (): Promise<never> =>
    Promise.reject(new Error('the approval store is unreachable (conformance)'));
  return {
    create: fail,
    get: fail,
    list: fail,
    vote: fail,
    consume: fail,
    findWindowGrant: fail,
    waitFor: fail,
    subscribe: () => () => undefined,
  };
}

/** A memory sink that rejects every append once `failing` is set. */
export interface SwitchableSink extends RecordingSink {
  readonly memory: MemorySink;
  failing: boolean;
}

export function switchableSink(): SwitchableSink {
  const memory = createMemorySink();
  const sink: SwitchableSink = {
    memory,
    failing: false,
    append(events) {
      if (sink.failing) return Promise.reject(new Error('the recording sink is unreachable (conformance)'));
      return memory.append(events);
    },
    flush: () => memory.flush(),
    close: () => memory.close(),
  };
  return sink;
}
