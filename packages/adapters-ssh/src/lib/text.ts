// Checks on the text a caller sends: what is classified must be exactly what is sent.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Returns `value` when it is a string the server will receive exactly as classified: no NUL
 * (C strings end there, the classifier would read past it) and no lone surrogates (they have
 * no UTF-8 spelling, so what is sent would differ from what was classified).
 *
 * @throws TypeError otherwise, naming `what`.
 */
export function exactText(value: unknown, what: string): string {
  if (typeof value !== 'string') {
    throw new TypeError(`${what} must be a string (got ${value === null ? 'null' : typeof value})`);
  }
  if (value.includes('\0')) throw new TypeError(`${what} must not contain NUL characters`);
  if (LONE_SURROGATE.test(value)) throw new TypeError(`${what} must not contain lone surrogates`);
  return value;
}

/**
 * `value` as an Error: itself when it is one, else an Error saying what was thrown (without
 * quoting it, since it may hold anything).
 */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(`the request failed (${typeof value} thrown)`);
}
