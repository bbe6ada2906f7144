// Whether an SQL text can reach a protected schema (the gate's own state: approvals and
// recordings). Pure: the parse tree is read, nothing runs. It is deliberately broader than name
// resolution: every name and every string of the tree counts, so dynamic SQL written as a string
// (`query_to_xml('… portcullis.approvals …')`, a DO body, `set_config('search_path', …)`) is
// caught as well as `portcullis.approvals`, `"portcullis".x` and `U&"\0070ortcullis"` (the
// parser decodes escapes before we look).
import { LruCache } from './cache.js';
import { parseSql } from './parser.js';

/** Why an SQL text was found to reach a protected schema, or undefined when it does not. */
export type SchemaReach = string | undefined;

const cache = new LruCache<string, SchemaReach>(1000);

/** Longest text whose verdict is cached (longer texts are checked every time). */
const MAX_CACHED = 65_536;

/**
 * Checks an SQL text against protected schema names (lower-case identifiers). The text reaches a
 * schema when the name appears, case-insensitively and as a whole word (not inside a longer
 * identifier such as `portcullis_notes`), in any identifier or string constant of its parse
 * tree, or in its raw text. A text that does not parse is checked on its raw text only (the
 * server cannot run it either).
 *
 * It cannot see a name assembled at run time (`'portc' || 'ullis'`, `chr()`, a function's own
 * body already in the database): the grants `migrate()` sets are the second line for those.
 *
 * @example
 * ```ts
 * await loadSqlClassifier();
 * sqlReachesSchema('SELECT * FROM portcullis.approvals', ['portcullis']); // 'the query names …'
 * sqlReachesSchema('SELECT * FROM public.orders', ['portcullis']);        // undefined
 * ```
 * @throws TypeError if called before `loadSqlClassifier()` resolved.
 */
export function sqlReachesSchema(sql: string, schemas: readonly string[]): SchemaReach {
  if (schemas.length === 0) return undefined;
  const key = `${schemas.join(',')}\u0000${sql}`;
  const cached = sql.length <= MAX_CACHED ? cache.get(key) : undefined;
  if (cached !== undefined) return cached === '' ? undefined : cached;
  const words = schemas.map((s) => wordPattern(s));
  const verdict = check(sql, schemas, words);
  if (sql.length <= MAX_CACHED) cache.set(key, verdict ?? '');
  return verdict;
}

function check(sql: string, schemas: readonly string[], words: readonly RegExp[]): SchemaReach {
  const hit = (s: string): string | undefined => {
    const at = words.findIndex((word) => word.test(s));
    return at < 0 ? undefined : schemas[at];
  };
  const reason = (schema: string): string =>
    `the request touches the gate's own state schema "${schema}" (approvals and recordings), which no policy can allow`;
  const raw = hit(sql);
  if (raw !== undefined) return reason(raw);
  let tree: unknown;
  try {
    tree = parseSql(sql);
  } catch (err) {
    if (err instanceof TypeError) throw err;
    return undefined;
  }
  // An explicit stack: parse trees can be deeper than the call stack.
  const stack: unknown[] = [tree];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') {
      const found = hit(value);
      if (found !== undefined) return reason(found);
    } else if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
    } else if (typeof value === 'object' && value !== null) {
      for (const item of Object.values(value)) stack.push(item);
    }
  }
  return undefined;
}

function wordPattern(schema: string): RegExp {
  const escaped = schema.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // Not preceded or followed by a character that continues an identifier.
  return new RegExp(`(?<![\\p{L}\\p{N}_$])${escaped}(?![\\p{L}\\p{N}_$])`, 'iu');
}
