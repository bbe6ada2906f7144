/**
 * The JSON Canonicalization Scheme (RFC 8785, "JCS"): the one byte form every recording event is
 * hashed and stored in, so that a hash can be recomputed from the parsed event on any machine.
 *
 * - Object members are sorted by their names as arrays of UTF-16 code units (RFC 8785 §3.2.3),
 *   which is what `Array.prototype.sort` does with strings.
 * - Numbers are serialised as ECMAScript's `Number.prototype.toString` does (RFC 8785 §3.2.2.3),
 *   so `-0` is `0` and `1e21` stays `1e+21`; `NaN` and the infinities are rejected.
 * - Strings are escaped as ECMAScript's `JSON.stringify` does (RFC 8785 §3.2.2.2). One
 *   deliberate extension: a lone surrogate (which RFC 8785, via I-JSON, forbids) is written as a
 *   `\udXXX` escape instead of being rejected, so arbitrary terminal output can be recorded; it
 *   still parses back to the same string, so hashing stays stable.
 * - No whitespace.
 *
 * Inputs that are not JSON data behave as `JSON.stringify` treats them where that is lossless
 * (`toJSON()` is honoured, so a `Date` becomes its ISO string; object members whose value is
 * `undefined`, a function or a symbol are left out; the same in an array becomes `null`), and are
 * rejected where it would silently change data (`NaN`, `Infinity`, `bigint`, cycles).
 */

/**
 * Serialises a value in the RFC 8785 canonical form.
 *
 * @example
 * ```ts
 * canonicalJson({ b: [1, 2.50, -0], a: 'é' }); // '{"a":"é","b":[1,2.5,0]}'
 * ```
 * @throws TypeError when the value holds a non-finite number, a bigint or a cycle, or is itself
 *   `undefined`, a function or a symbol (which have no JSON form).
 */
export function canonicalJson(value: unknown): string {
  const text = serialise(value, '', []);
  if (text === undefined) throw new TypeError(`canonicalJson: ${typeof value} has no JSON form`);
  return text;
}

// Short member names written so far, quoted: events repeat the same few names (bounded).
const quotedNames = new Map<string, string>();
const MAX_QUOTED_NAMES = 1024;

function quotedName(name: string): string {
  let quoted = quotedNames.get(name);
  if (quoted === undefined) {
    quoted = JSON.stringify(name);
    if (name.length <= 64 && quotedNames.size < MAX_QUOTED_NAMES) quotedNames.set(name, quoted);
  }
  return quoted;
}

// `key` is the member name or array index `toJSON` is called with (an index as a number, made a
// string only when a toJSON needs it).
function serialise(input: unknown, key: string | number, stack: object[]): string | undefined {
  let value = input;
  if (typeof value === 'object' && value !== null) {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function')
      value = (toJSON as (k: string) => unknown).call(value, typeof key === 'number' ? String(key) : key);
  }
  switch (typeof value) {
    case 'string':
      // JSON.stringify's escaping is exactly RFC 8785's (§3.2.2.2): \b \t \n \f \r, other
      // controls as lower-case \u00xx, '"' and '\\'; everything else verbatim.
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value))
        throw new TypeError(`canonicalJson: ${String(value)} is not a JSON number`);
      return String(value); // Number::toString, as RFC 8785 §3.2.2.3 prescribes; String(-0) is "0"
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('canonicalJson: a bigint is not a JSON number; convert it to a string first');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'object':
      break;
  }
  if (value === null) return 'null';
  const object = value;
  if (object instanceof Number || object instanceof String || object instanceof Boolean) {
    return serialise(object.valueOf(), key, stack);
  }
  if (stack.includes(object)) throw new TypeError('canonicalJson: the value contains a cycle');
  stack.push(object);
  let out: string;
  if (Array.isArray(object)) {
    const items = object as readonly unknown[];
    out = '[';
    for (let i = 0; i < items.length; i++) {
      if (i > 0) out += ',';
      out += serialise(items[i], i, stack) ?? 'null';
    }
    out += ']';
  } else {
    const record = object as { readonly [key: string]: unknown };
    const keys = Object.keys(record);
    if (keys.length > 1) keys.sort();
    out = '{';
    let first = true;
    for (const k of keys) {
      const member = serialise(record[k], k, stack);
      if (member === undefined) continue;
      if (first) first = false;
      else out += ',';
      out += quotedName(k);
      out += ':';
      out += member;
    }
    out += '}';
  }
  stack.pop();
  return out;
}
