// Request headers as a classifier may receive them: a plain record (the KubeRequest type), but
// also a Map or a fetch Headers object from JavaScript callers. Reading only a plain object's
// own keys would silently skip impersonation headers carried any other way, so every shape is
// read or the headers count as malformed.

/** One header: its name as given and its value(s). */
export type HeaderEntry = readonly [name: string, value: unknown];

/**
 * The entries of `headers`: a plain object's own enumerable string keys, a `Map`'s entries, or
 * anything with an `entries()` iterator of `[name, value]` pairs (fetch `Headers`). `[]` for
 * `undefined`/`null`; `undefined` for anything else (a string, an array, a class instance with
 * no entries): malformed.
 */
export function headerEntries(headers: unknown): readonly HeaderEntry[] | undefined {
  if (headers === undefined || headers === null) return [];
  if (typeof headers !== 'object' || Array.isArray(headers)) return undefined;
  const proto: unknown = Object.getPrototypeOf(headers);
  if (proto === Object.prototype || proto === null) return Object.entries(headers);
  const entries = (headers as { entries?: unknown }).entries;
  if (typeof entries !== 'function') return undefined;
  const out: HeaderEntry[] = [];
  for (const pair of (entries as () => Iterable<unknown>).call(headers)) {
    if (!Array.isArray(pair) || typeof pair[0] !== 'string') return undefined;
    out.push([pair[0], pair[1]]);
  }
  return out;
}

/**
 * Headers that ask a server or a proxy in front of it to treat the request as another HTTP
 * method (`X-HTTP-Method-Override: DELETE` on a `GET`). The API server ignores them, but a
 * proxy may not, so the classified verb could be the wrong one.
 */
const METHOD_OVERRIDES: ReadonlySet<string> = new Set([
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  'x-original-method',
]);

/** Whether any header overrides the request's method. */
export function hasMethodOverride(entries: readonly HeaderEntry[]): boolean {
  return entries.some(([name]) => METHOD_OVERRIDES.has(name.trim().toLowerCase()));
}
