import { PortcullisError } from '@portcullis/core';
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
 * Re-creates an error from the driver as one that holds nothing but masked text: no connection
 * parameters, no driver objects, no `cause`. Portcullis errors pass through (they are the gate's
 * own and carry no data); a server error becomes a {@link PgDatabaseError} with every text field
 * masked; a socket error says only that the connection failed, and its code, since Node's
 * messages name the host and port.
 *
 * @example
 * ```ts
 * throw toSafeError(err, masker.maskText, 'warehouse');
 * ```
 */
export function toSafeError(err: unknown, maskText: (text: string) => string, target: string): Error {
  if (err instanceof PortcullisError) return err;
  if (typeof err !== 'object' || err === null) return new Error(`the request on ${target} failed`);
  const e = err as Record<string, unknown>;
  const code = typeof e['code'] === 'string' ? e['code'] : undefined;
  const message = typeof e['message'] === 'string' ? e['message'] : '';

  if (typeof e['severity'] === 'string' && code !== undefined && /^[0-9A-Z]{5}$/.test(code)) {
    const fields: Record<string, string> = { code };
    for (const key of TEXT_FIELDS) {
      const value = e[key];
      if (typeof value === 'string') fields[key] = maskText(value);
    }
    return new PgDatabaseError(maskText(message), fields);
  }
  if (
    typeof e['syscall'] === 'string' ||
    typeof e['errno'] === 'number' ||
    typeof e['address'] === 'string'
  ) {
    const error = new Error(`the connection to ${target} failed${code === undefined ? '' : ` (${code})`}`);
    if (code !== undefined) Object.defineProperty(error, 'code', { value: code, enumerable: true });
    return error;
  }
  if (err instanceof TypeError || err instanceof RangeError) return new TypeError(maskText(message));
  const error = new Error(message === '' ? `the request on ${target} failed` : maskText(message));
  if (code !== undefined) Object.defineProperty(error, 'code', { value: code, enumerable: true });
  return error;
}
