import { DETECTORS } from './catalog.js';

const CATEGORY_WORDS: Readonly<Record<string, 'secret' | 'pii' | 'all'>> = {
  all: 'all',
  secrets: 'secret',
  pii: 'pii',
};

/**
 * Resolves a profile's `detectors` list (categories `secrets`, `pii`, `all`, or detector ids) to
 * detector ids, in catalog order and without duplicates. An empty list selects nothing.
 *
 * @example
 * ```ts
 * resolveDetectorSelection(['pii', 'github-token']); // ['github-token', 'email', 'credit-card', 'iban', 'us-ssn']
 * ```
 * @throws TypeError naming the first unknown category or detector id, with the valid names.
 */
export function resolveDetectorSelection(names: readonly string[]): readonly string[] {
  const wanted = new Set<string>();
  for (const name of names) {
    if (typeof name !== 'string') throw new TypeError('detector names must be strings');
    const category = CATEGORY_WORDS[name];
    if (category !== undefined) {
      for (const d of DETECTORS) if (category === 'all' || d.category === category) wanted.add(d.id);
      continue;
    }
    if (!DETECTORS.some((d) => d.id === name)) {
      throw new TypeError(
        `unknown detector or category "${name}": use secrets, pii, all, or a detector id (${DETECTORS.map((d) => d.id).join(', ')})`,
      );
    }
    wanted.add(name);
  }
  return DETECTORS.filter((d) => wanted.has(d.id)).map((d) => d.id);
}
