import { PgDatabaseError } from '../pg-database-error.js';

// Fields of pg's DatabaseError copied (masked) into PgDatabaseError. `file` and `line` (the
// server's source location) are left out: they say nothing to a caller.
const TEXT_FIELDS = [
  'severity',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'routine',
] as const;

/**
 * The pg part of the gate's safe errors: a server error becomes a {@link PgDatabaseError} with
 * every text field masked, and no driver object. Anything else is left to the core's generic
 * conversion (`undefined`).
 *
 * @example
 * ```ts
 * createGate({ …, adapter: { …, safeError: pgSafeError } });
 * ```
 */
export function pgSafeError(err: unknown, mask: (text: string) => string): Error | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as Record<string, unknown>;
  const code = e['code'];
  if (typeof e['severity'] !== 'string' || typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) {
    return undefined;
  }
  const fields: Record<string, string> = { code };
  for (const key of TEXT_FIELDS) {
    const value = e[key];
    if (typeof value === 'string') fields[key] = mask(value);
  }
  return new PgDatabaseError(mask(typeof e['message'] === 'string' ? e['message'] : ''), fields);
}
