// Which function and operator names are known to be free of side effects: the generated table
// (pg-functions.json: declared non-volatile in a real pg_proc and run there in a READ ONLY
// transaction without writing) adjusted by the reviewed lists. A name the probe saw write is
// never safe, whatever a list says.
import table from './data/pg-functions.json' with { type: 'json' };
import {
  dangerousFunctions,
  harmlessVolatileFunctions,
  newerBuiltinFunctions,
  reviewedUnprovenFunctions,
} from './data/pg-function-review.js';

const safeFunctions: ReadonlySet<string> = (() => {
  const names = new Set<string>(table.sideEffectFree);
  for (const name of Object.keys(harmlessVolatileFunctions)) names.add(name);
  for (const name of Object.keys(newerBuiltinFunctions)) names.add(name);
  for (const name of Object.keys(reviewedUnprovenFunctions)) names.add(name);
  for (const name of Object.keys(dangerousFunctions)) names.delete(name);
  for (const name of Object.keys(table.writes)) names.delete(name);
  return names;
})();

const safeOperators: ReadonlySet<string> = new Set<string>(table.operators);

// TABLESAMPLE methods built into PostgreSQL; any other is an extension's handler function.
const builtinSampleMethods: ReadonlySet<string> = new Set(['system', 'bernoulli']);

/**
 * Whether a call to the function named by `parts` (as written: `[name]`, `[schema, name]` or
 * `[catalog, schema, name]`) is known to be free of side effects. Only unqualified names and
 * names qualified with `pg_catalog` can be built-ins; `public.lower` is a user function.
 */
export function isSafeFunction(parts: readonly string[]): boolean {
  return isBuiltin(parts) && safeFunctions.has(parts.at(-1) ?? '');
}

/** Whether an operator named by `parts` (`['+']`, `['pg_catalog', '+']`) is a built-in one. */
export function isSafeOperator(parts: readonly string[]): boolean {
  return isBuiltin(parts) && safeOperators.has(parts.at(-1) ?? '');
}

/** Whether a TABLESAMPLE method named by `parts` is a built-in one. */
export function isSafeSampleMethod(parts: readonly string[]): boolean {
  return isBuiltin(parts) && builtinSampleMethods.has(parts.at(-1) ?? '');
}

function isBuiltin(parts: readonly string[]): boolean {
  if (parts.length === 1) return true;
  if (parts.length === 2 || parts.length === 3) return parts[parts.length - 2] === 'pg_catalog';
  return false;
}
