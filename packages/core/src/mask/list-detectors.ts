import { DETECTORS } from './catalog.js';
import type { DetectorInfo } from './types.js';

const INFO: readonly DetectorInfo[] = Object.freeze(
  DETECTORS.map((d) => Object.freeze({ id: d.id, category: d.category, description: d.description })),
);

/**
 * Lists the built-in detectors: id, category (`secret` or `pii`) and what each finds.
 *
 * @example
 * ```ts
 * for (const d of listDetectors()) console.log(`${d.id}\t${d.category}\t${d.description}`);
 * ```
 * @throws never
 */
export function listDetectors(): readonly DetectorInfo[] {
  return INFO;
}
