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
   */
  useOnce(id: string, expiresAt: number, now: number): boolean | Promise<boolean>;
}

/** Options of {@link createMemoryDpopReplayCache}. */
export interface MemoryDpopReplayCacheOptions {
  /**
   * How many unexpired proof ids are kept (default 100 000). When that many are live, new
   * proofs are refused rather than forgetting one that could then be replayed.
   */
  readonly maxEntries?: number;
}

/**
 * An in-memory, bounded {@link DpopReplayCache}. Ids are forgotten once they expire (a proof
 * that old fails its `iat` check anyway). When it is full of unexpired ids it refuses new
 * proofs instead of evicting one: evicting would reopen a replay window.
 *
 * @example
 * ```ts
 * const resolver = createIdentityResolver(config, { dpopReplayCache: createMemoryDpopReplayCache({ maxEntries: 10_000 }) });
 * ```
 * @throws TypeError when `maxEntries` is not a positive integer. Its `useOnce` throws an
 * `Error` when the cache is full.
 */
export function createMemoryDpopReplayCache(options: MemoryDpopReplayCacheOptions = {}): DpopReplayCache {
  const maxEntries = options.maxEntries ?? 100_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError('maxEntries must be a positive integer');
  }
  // Insertion order is expiry order only roughly (proof lifetimes differ a little), so a sweep
  // walks from the oldest and stops at the first live entry; a full sweep runs when full.
  const seen = new Map<string, number>();

  const sweep = (now: number, full: boolean): void => {
    for (const [id, expiresAt] of seen) {
      if (expiresAt <= now) seen.delete(id);
      else if (!full) break;
    }
  };

  return {
    useOnce(id: string, expiresAt: number, now: number): boolean {
      sweep(now, false);
      const known = seen.get(id);
      if (known !== undefined && known > now) return false;
      if (seen.size >= maxEntries) {
        sweep(now, true);
        if (seen.size >= maxEntries) {
          throw new Error(`the DPoP replay cache is full (${maxEntries} unexpired proofs)`);
        }
      }
      seen.delete(id); // re-inserting keeps the map in rough expiry order
      seen.set(id, expiresAt);
      return true;
    },
  };
}
