import { PortcullisError } from '../errors.js';

/**
 * Re-creates an error from a driver as one that holds nothing but masked text: no connection
 * parameters, no driver objects, no `cause`. Portcullis errors pass through (they are the
 * gate's own); `driver` gets the first say (an adapter's server errors with their fields); a
 * socket error says only that the connection failed, and its code, since Node's messages name
 * the host and port; anything else keeps its masked message and string `code`.
 *
 * @example
 * ```ts
 * throw toSafeError(err, plan.text, 'warehouse');
 * ```
 */
export function toSafeError(
  err: unknown,
  mask: (text: string) => string,
  target: string,
  driver?: (err: unknown, mask: (text: string) => string, target: string) => Error | undefined,
): Error {
  if (err instanceof PortcullisError) return err;
  if (typeof err !== 'object' || err === null) return new Error(`the request on ${target} failed`);
  const own = driver?.(err, mask, target);
  if (own !== undefined) return own;
  const e = err as Record<string, unknown>;
  const code = typeof e['code'] === 'string' ? e['code'] : undefined;
  const message = typeof e['message'] === 'string' ? e['message'] : '';
  if (
    typeof e['syscall'] === 'string' ||
    typeof e['errno'] === 'number' ||
    typeof e['address'] === 'string'
  ) {
    return withCode(
      new Error(`the connection to ${target} failed${code === undefined ? '' : ` (${code})`}`),
      code,
    );
  }
  if (err instanceof TypeError || err instanceof RangeError) return new TypeError(mask(message));
  return withCode(new Error(message === '' ? `the request on ${target} failed` : mask(message)), code);
}

function withCode(error: Error, code: string | undefined): Error {
  if (code !== undefined) Object.defineProperty(error, 'code', { value: code, enumerable: true });
  return error;
}
