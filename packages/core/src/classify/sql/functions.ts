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

// Every built-in function name the table and the reviewed lists know of, whatever its volatility.
const builtinFunctions: ReadonlySet<string> = new Set<string>([
  ...table.sideEffectFree,
  ...table.volatile,
  ...Object.keys(table.unproven),
  ...Object.keys(table.writes),
  ...Object.keys(table.mixedVolatility),
  ...Object.keys(harmlessVolatileFunctions),
  ...Object.keys(newerBuiltinFunctions),
  ...Object.keys(reviewedUnprovenFunctions),
  ...Object.keys(dangerousFunctions),
]);

// Built-ins that read table data named by their arguments (a query text, a table, a schema, a
// cursor, a server file) rather than computing from the values they are given.
const readsByName: ReadonlySet<string> = new Set([
  'query_to_xml',
  'query_to_xml_and_xmlschema',
  'table_to_xml',
  'table_to_xml_and_xmlschema',
  'schema_to_xml',
  'schema_to_xml_and_xmlschema',
  'database_to_xml',
  'database_to_xml_and_xmlschema',
  'cursor_to_xml',
  'ts_stat',
  'ts_rewrite',
  'pg_read_file',
  'pg_read_binary_file',
]);

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

/**
 * Whether a call to the function named by `parts` computes its result only from the values it
 * is given (and the session or catalog): a built-in that reads no table data named by its
 * arguments. Column lineage follows such a call through its arguments; any other (a user
 * function, `query_to_xml`, `table_to_xml`, …) may read columns the gate cannot see.
 *
 * @example
 * ```ts
 * isTransparentFunction(['lower']);            // true
 * isTransparentFunction(['public', 'lower']);  // false: a user function
 * isTransparentFunction(['query_to_xml']);     // false: runs the query it is given
 * ```
 */
export function isTransparentFunction(parts: readonly string[]): boolean {
  const name = parts.at(-1) ?? '';
  return isBuiltin(parts) && builtinFunctions.has(name) && !readsByName.has(name);
}

/**
 * Whether an operator named by `parts` (`['+']`, `['pg_catalog', '+']`) is a built-in one.
 *
 * @example
 * ```ts
 * isSafeOperator(['||']);   // true
 * isSafeOperator(['###']);  // false: a user-defined operator runs a user function
 * ```
 */
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
