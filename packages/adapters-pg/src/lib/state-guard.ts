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

/** Why `text` is refused for touching a state schema, or undefined. Fails closed. */
export function stateRefusal(text: string, schemas: readonly string[]): string | undefined {
  if (schemas.length === 0) return undefined;
  try {
    return sqlReachesSchema(text, schemas);
  } catch {
    return 'the SQL classifier is not loaded, so the gate cannot tell whether the request touches its own state';
  }
}
