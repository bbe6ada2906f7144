import type { SqlItem } from './walk-types.js';

/**
 * What EXPLAIN without ANALYZE does with a statement's items: it only plans, so each relation
 * it would touch becomes `explain` on that relation. Function calls stay: planning evaluates
 * immutable and stable calls with constant arguments, and a user function may be declared so.
 */
export function explainItems(items: readonly SqlItem[]): SqlItem[] {
  const out: SqlItem[] = [];
  for (const item of items) {
    if ('ref' in item) out.push({ ref: item.ref, explain: true });
    else if (item.operation === 'function' || item.operation === 'unknown') out.push(item);
    else
      out.push(
        item.resource === undefined
          ? { operation: 'explain' }
          : { operation: 'explain', resource: item.resource },
      );
  }
  // A bare EXPLAIN of something that touches no relation is still an `explain`; a prepared
  // statement's reference gets its own when it is resolved.
  if (!out.some((i) => 'ref' in i || i.operation === 'explain')) out.unshift({ operation: 'explain' });
  return out;
}
