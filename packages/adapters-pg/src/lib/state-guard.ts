// The gate's own state (approvals and recordings) is never reachable through a gated session,
// whatever the policy says: a request whose SQL names the state schema anywhere is refused before
// it is decided. See docs/security-model.md ("The gate's own state").
import { sqlReachesSchema } from '@portcullis/core';
import { checkSchemaName, DEFAULT_SCHEMA } from './migrate-schema-name.js';

/**
 * The state schemas of a pool's options, checked: default `['portcullis']`; `[]` turns the guard
 * off (only for a database that holds no Portcullis state).
 *
 * @throws TypeError when it is not an array of lower-case identifiers.
 */
export function stateSchemasOf(given: readonly string[] | undefined): readonly string[] {
  if (given === undefined) return Object.freeze([DEFAULT_SCHEMA]);
  if (!Array.isArray(given)) throw new TypeError('stateSchemas must be an array of schema names');
  return Object.freeze(given.map((name: string) => checkSchemaName(name)));
}

const NOT_LOADED =
  'the SQL classifier is not loaded, so the gate cannot tell whether the request touches its own state';

// Texts whose answer is remembered (per pool), and how many; cleared whole when full.
const MAX_KNOWN_TEXT = 16_384;
const MAX_KNOWN = 512;

/**
 * Why a text is refused for touching one of a pool's state schemas, or undefined; fails closed.
 * The answer is remembered per text (it depends on nothing else), so a repeated statement is not
 * checked again. A classifier failure is
 * not remembered: it refuses this text now, and the next request asks again.
 *
 * @example
 * ```ts
 * const refusal = createStateGuard(['portcullis']);
 * refusal('SELECT * FROM portcullis.approvals'); // 'the request reaches …'
 * ```
 */
export function createStateGuard(schemas: readonly string[]): (text: string) => string | undefined {
  if (schemas.length === 0) return () => undefined;
  const known = new Map<string, string | null>();
  return (text) => {
    const hit = known.get(text);
    if (hit !== undefined) return hit ?? undefined;
    let refusal: string | undefined;
    try {
      refusal = sqlReachesSchema(text, schemas);
    } catch {
      return NOT_LOADED;
    }
    if (text.length <= MAX_KNOWN_TEXT) {
      if (known.size >= MAX_KNOWN) known.clear();
      known.set(text, refusal ?? null);
    }
    return refusal;
  };
}
