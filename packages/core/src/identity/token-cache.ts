import type { Principal } from '../types.js';

/** What a verified token resolved to, kept so the hot path does not verify it again. */
export interface VerifiedToken {
  readonly principal: Principal;
  /** The RFC 7638 thumbprint the token is bound to (`cnf.jkt`), when it is DPoP-bound. */
  readonly jkt?: string;
  /** Seconds since the epoch from which the entry must not be used (exp, maxTokenAge). */
  readonly validUntil: number;
}

/**
 * A bounded least-recently-used map from a token's SHA-256 (never the token itself) to what it
 * resolved to. Entries are dropped when read at or after `validUntil`.
 */
export class TokenCache {
  readonly #max: number;
  readonly #entries = new Map<string, VerifiedToken>();

  /** @throws TypeError when `max` is not a non-negative integer (0 disables caching). */
  constructor(max: number) {
    if (!Number.isInteger(max) || max < 0) throw new TypeError('cacheSize must be a non-negative integer');
    this.#max = max;
  }

  /** The entry for `key` if it is still valid at `nowSeconds`. */
  get(key: string, nowSeconds: number): VerifiedToken | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (nowSeconds >= entry.validUntil) return undefined;
    this.#entries.set(key, entry); // most recently used last
    return entry;
  }

  set(key: string, entry: VerifiedToken): void {
    if (this.#max === 0) return;
    this.#entries.delete(key);
    while (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, entry);
  }

  get size(): number {
    return this.#entries.size;
  }
}
