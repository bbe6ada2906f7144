import { randomUUID, type KeyObject } from 'node:crypto';
import type { RecordEvent } from '../types.js';
import { createRecorder } from './create-recorder.js';
import { isObject } from './lib/describe.js';
import { createMemorySink } from './memory-sink.js';

/** One session a prune removed, as its tombstone lists it. */
export interface PrunedSession {
  readonly session: string;
  /** How many events it had. */
  readonly events: number;
  /** Its last event's seq and hash as they were when pruned. */
  readonly lastSeq: number;
  readonly lastHash: string;
  readonly firstTs: string;
  readonly lastTs: string;
}

/** `data.prune` of a tombstone's `session.start`. */
export interface PruneRecord {
  /** Sessions whose last event was recorded before this instant were pruned. */
  readonly before: string;
  /** When the prune ran. */
  readonly at: string;
  /** The retention asked for, as written (`90d`), when one was. */
  readonly olderThan?: string;
  readonly sessions: readonly PrunedSession[];
}

/** Options of {@link buildTombstones}. */
export interface TombstoneOptions {
  readonly before: Date;
  readonly at: Date;
  readonly olderThan?: string;
  /** The Ed25519 private key the tombstones are sealed with (the recorder's sealing key). */
  readonly sealingKey: KeyObject | string;
}

/** Sessions listed per tombstone, so one tombstone line stays well under a reader's line limit. */
const SESSIONS_PER_TOMBSTONE = 5000;

/**
 * Builds the tombstones a prune leaves: sealed sessions (id `prune-<uuid>`) whose `session.start`
 * lists what was removed under `data.prune` ({@link PruneRecord}) and whose `session.end` is
 * signed, so the pruning itself is recorded and verifies like any session.
 *
 * @example
 * ```ts
 * const events = await buildTombstones(pruned, { before, at: new Date(), sealingKey });
 * ```
 * @throws TypeError (rejects) for an invalid sealing key.
 */
export async function buildTombstones(
  pruned: readonly PrunedSession[],
  options: TombstoneOptions,
): Promise<RecordEvent[]> {
  const sink = createMemorySink();
  const recorder = createRecorder({ sink, sealingKey: options.sealingKey, now: () => options.at });
  for (let i = 0; i < Math.max(pruned.length, 1); i += SESSIONS_PER_TOMBSTONE) {
    const prune: PruneRecord = {
      before: options.before.toISOString(),
      at: options.at.toISOString(),
      ...(options.olderThan === undefined ? {} : { olderThan: options.olderThan }),
      sessions: pruned.slice(i, i + SESSIONS_PER_TOMBSTONE),
    };
    const session = await recorder.start({ prune }, { session: `prune-${randomUUID()}` });
    await session.end({ reason: 'pruned' });
  }
  return [...sink.events];
}

/** `data.prune` of a session start, when the session is a tombstone. */
export function pruneRecordOf(startData: unknown): PruneRecord | undefined {
  if (!isObject(startData) || !isObject(startData['prune'])) return undefined;
  const prune = startData['prune'];
  if (typeof prune['before'] !== 'string' || !Array.isArray(prune['sessions'])) return undefined;
  return prune as unknown as PruneRecord;
}
