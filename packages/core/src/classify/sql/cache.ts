/** A bounded least-recently-used map. A capacity of 0 stores nothing. */
export class LruCache<K, V> {
  readonly #map = new Map<K, V>();
  #capacity: number;
  // The key last set or moved to the end: looking it up again has nothing to reorder (a
  // repeated request asks for the same key time after time).
  #newest: K | undefined;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get capacity(): number {
    return this.#capacity;
  }

  set capacity(capacity: number) {
    this.#capacity = capacity;
    this.#evict();
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined && key !== this.#newest) {
      // Re-insert so iteration order is least recently used first.
      this.#map.delete(key);
      this.#map.set(key, value);
      this.#newest = key;
    }
    return value;
  }

  set(key: K, value: V): void {
    if (this.#capacity <= 0) return;
    this.#map.delete(key);
    this.#map.set(key, value);
    this.#newest = key;
    this.#evict();
  }

  clear(): void {
    this.#map.clear();
    this.#newest = undefined;
  }

  #evict(): void {
    while (this.#map.size > this.#capacity) {
      const oldest = this.#map.keys().next();
      if (oldest.done === true) return;
      this.#map.delete(oldest.value);
    }
  }
}

/**
 * Freezes a classification result and its actions, so one cached answer can be shared by
 * every caller without any of them changing it for the others.
 *
 * @example
 * ```ts
 * cache.set(text, freezeActions(actions));
 * ```
 */
export function freezeActions<A extends object>(actions: readonly A[]): readonly A[] {
  for (const action of actions) Object.freeze(action);
  return Object.freeze(actions);
}

/**
 * The cached actions for `key`, else `classify()`'s, frozen and kept when the key is at most
 * `maxKeyLength` characters long.
 *
 * @example
 * ```ts
 * return cachedActions(cache, command, 16_384, () => classifyUncached(command));
 * ```
 */
export function cachedActions<A extends object>(
  cache: LruCache<string, readonly A[]>,
  key: string,
  maxKeyLength: number,
  classify: () => readonly A[],
): readonly A[] {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const actions = freezeActions(classify());
  if (key.length <= maxKeyLength) cache.set(key, actions);
  return actions;
}
