/**
 * Remembers the DPoP proofs already used, so a captured proof cannot be replayed (RFC 9449
 * §11.1). Implement it over a shared store (Redis, PostgreSQL) when several processes verify
 * proofs for the same tokens; the default keeps ids in memory.
 */
export interface DpopReplayCache {
  /**
   * Records `id` as used until `expiresAt` (milliseconds since the epoch). Returns `true` when
   * the id was not seen before (the proof may be accepted), `false` when it was seen and has not
   * expired. Throwing or rejecting refuses the proof (fail closed).
   *
   * `partition` names whose proof it is: the access token's SHA-256 (base64url, the proof's
   * `ath`). A store should bound each partition on its own, so that one client flooding proofs
   * for its token cannot fill the store and lock every other out.
   */
  useOnce(id: string, expiresAt: number, now: number, partition?: string): boolean | Promise<boolean>;
}

/** Options of {@link createMemoryDpopReplayCache}. */
export interface MemoryDpopReplayCacheOptions {
  /**
   * How many unexpired proof ids are kept in all (default 100 000). When that many are live,
   * new proofs are refused rather than forgetting one that could then be replayed.
   */
  readonly maxEntries?: number;
  /**
   * How many unexpired proof ids one access token (partition) may hold (default 10 000, at most
   * `maxEntries`). Past it only that token's new proofs are refused; others are unaffected.
   */
  readonly maxEntriesPerToken?: number;
}

interface Entry {
  readonly expiresAt: number;
  readonly partition: string;
}

/**
 * An in-memory, bounded {@link DpopReplayCache}, partitioned by access token. Ids are forgotten
 * once they expire (a proof that old fails its `iat` check anyway). Nothing live is ever evicted:
 * evicting would reopen a replay window. Instead each token has a quota (`maxEntriesPerToken`):
 * a token at its quota has its new proofs refused until some of its own expire, and cannot take
 * room from other tokens. Only many valid tokens together can fill the whole cache
 * (`maxEntries`).
 *
 * @example
 * ```ts
 * const resolver = createIdentityResolver(config, {
 *   dpopReplayCache: createMemoryDpopReplayCache({ maxEntries: 50_000, maxEntriesPerToken: 1_000 }),
 * });
 * ```
 * @throws TypeError when `maxEntries` or `maxEntriesPerToken` is not a positive integer. Its
 * `useOnce` throws an `Error` when the token's quota or the whole cache is full.
 */
export function createMemoryDpopReplayCache(options: MemoryDpopReplayCacheOptions = {}): DpopReplayCache {
  const maxEntries = options.maxEntries ?? 100_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError('maxEntries must be a positive integer');
  }
  const perToken = Math.min(options.maxEntriesPerToken ?? 10_000, maxEntries);
  if (!Number.isInteger(perToken) || perToken < 1) {
    throw new TypeError('maxEntriesPerToken must be a positive integer');
  }
  // Insertion order is expiry order only roughly (proof lifetimes differ a little), so a sweep
  // walks from the oldest and stops at the first live entry. `seen` holds every id in insertion
  // order; `byPartition` holds each partition's ids in its own insertion order, so a token at
  // its quota sweeps only its own entries (never a scan of everyone's on each refused proof).
  const seen = new Map<string, Entry>();
  const byPartition = new Map<string, Map<string, number>>();

  const forget = (id: string, entry: Entry): void => {
    seen.delete(id);
    const own = byPartition.get(entry.partition);
    own?.delete(id);
    if (own?.size === 0) byPartition.delete(entry.partition);
  };
  const sweep = (now: number, full: boolean): void => {
    for (const [id, entry] of seen) {
      if (entry.expiresAt <= now) forget(id, entry);
      else if (!full) break;
    }
  };
  const sweepPartition = (partition: string, now: number): number => {
    const own = byPartition.get(partition);
    if (own === undefined) return 0;
    for (const [id, expiresAt] of own) {
      if (expiresAt > now) break;
      forget(id, { expiresAt, partition });
    }
    return own.size;
  };

  return {
    useOnce(id: string, expiresAt: number, now: number, partition = ''): boolean {
      sweep(now, false);
      const known = seen.get(id);
      if (known !== undefined && known.expiresAt > now) return false;
      if (known !== undefined) forget(id, known); // re-inserting keeps the maps in rough expiry order
      if (sweepPartition(partition, now) >= perToken) {
        throw new Error(`this token's DPoP replay quota is full (${perToken} unexpired proofs)`);
      }
      if (seen.size >= maxEntries) {
        sweep(now, true);
        if (seen.size >= maxEntries) {
          throw new Error(`the DPoP replay cache is full (${maxEntries} unexpired proofs)`);
        }
      }
      seen.set(id, { expiresAt, partition });
      let own = byPartition.get(partition);
      if (own === undefined) byPartition.set(partition, (own = new Map<string, number>()));
      own.set(id, expiresAt);
      return true;
    },
  };
}
