import { createRequire } from 'node:module';
import type { SqlRequest } from '@portcullis/core';
import type { CursorLike, PgCall, QueryCall, QueryStreamLike, TypeParsers } from './internal-types.js';

// pg's own conversion of a value to what it sends (dates, arrays, JSON, `toPostgres`).
const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils.js') as {
  readonly prepareValue: (value: unknown) => unknown;
};

const NOT_A_QUERY =
  'query() takes an SQL text, a config object { text, values, name, rowMode, types }, a pg-cursor or a pg-query-stream';

/**
 * Normalises every shape `pg` users pass to `query()` into one plain, frozen description of
 * the call: the SQL text the gate classifies and exactly the text that will reach the wire.
 *
 * Every property of the caller's objects is read once and copied, so a getter that answers
 * differently on a second read cannot make the wire see another text than the gate did.
 * Argument rules follow `pg` (`query(text | config, values?, callback?)`; a function in the
 * values position is the callback; a `values` argument overrides `config.values`).
 *
 * @example
 * ```ts
 * toRequest('SELECT * FROM t WHERE id = $1', [7]);
 * // { kind: 'query', text: 'SELECT * FROM t WHERE id = $1', values: [7], request: { type: 'sql', sql: '…' }, … }
 * ```
 * @throws TypeError for a shape `pg` would reject or the gate cannot mask: no text and no name,
 * values that are not an array, a callback that is not a function, `rowMode` other than
 * `'array'`, `binary: true`, `rows`/`portal` (use pg-cursor), a `pg.Query` or any other
 * Submittable than pg-cursor and pg-query-stream.
 */
export function toRequest(config: unknown, values?: unknown, callback?: unknown): PgCall {
  if (config === null || config === undefined) {
    throw new TypeError('query() was passed a null or undefined query');
  }
  if (typeof config === 'string') {
    // Nothing to read from a text: the checks alone (the common case, kept short).
    return checkedQuery({ text: config }, values, callback);
  }
  if (typeof config !== 'object') throw new TypeError(`${NOT_A_QUERY}; got ${typeof config}`);

  const submit = readOnce(config, 'submit');
  if (submit !== undefined) {
    if (typeof submit !== 'function') throw new TypeError(NOT_A_QUERY);
    return submittable(config, values, callback);
  }
  return plainQuery(config, values, callback);
}

/** What a config object says, each property read once. */
interface QueryFields {
  readonly text: unknown;
  readonly name?: unknown;
  readonly values?: unknown;
  readonly callback?: unknown;
  readonly rowMode?: unknown;
  readonly types?: unknown;
  readonly queryMode?: unknown;
  readonly binary?: unknown;
  readonly rows?: unknown;
  readonly portal?: unknown;
}

function plainQuery(config: object, valuesArg: unknown, callbackArg: unknown): PgCall {
  const fields: QueryFields = {
    text: readOnce(config, 'text'),
    name: readOnce(config, 'name'),
    values: readOnce(config, 'values'),
    callback: readOnce(config, 'callback'),
    rowMode: readOnce(config, 'rowMode'),
    types: readOnce(config, 'types'),
    queryMode: readOnce(config, 'queryMode'),
    binary: readOnce(config, 'binary'),
    rows: readOnce(config, 'rows'),
    portal: readOnce(config, 'portal'),
  };
  return checkedQuery(fields, valuesArg, callbackArg);
}

function checkedQuery(fields: QueryFields, valuesArg: unknown, callbackArg: unknown): PgCall {
  const { text, name, rowMode, types, queryMode, binary, rows, portal } = fields;
  const configValues = fields.values;
  const configCallback = fields.callback;

  if (text !== undefined && typeof text !== 'string') throw new TypeError('query text must be a string');
  if (name !== undefined && (typeof name !== 'string' || name === '')) {
    throw new TypeError('a statement name must be a non-empty string');
  }
  noNul(text);
  noNul(name);
  if (text === undefined && name === undefined) {
    throw new TypeError('a query must have either text or a name');
  }
  if (binary !== undefined && binary !== false) {
    throw new TypeError('binary results cannot be masked; leave `binary` unset');
  }
  if ((rows !== undefined && rows !== 0) || (portal !== undefined && portal !== '')) {
    throw new TypeError('`rows` and `portal` are not supported; read in batches with pg-cursor instead');
  }
  if (queryMode !== undefined && queryMode !== 'extended') {
    throw new TypeError(`queryMode must be 'extended' when set; got ${describe(queryMode)}`);
  }

  // pg's own precedence: a function in the values position is the callback; a truthy values
  // argument replaces config.values; a callback argument replaces config.callback.
  let values: unknown = configValues;
  let callback: unknown = configCallback;
  if (typeof valuesArg === 'function') callback = valuesArg;
  else if (valuesArg !== undefined && valuesArg !== null && valuesArg !== false) values = valuesArg;
  if (callbackArg !== undefined && callbackArg !== null) callback = callbackArg;

  if (callback !== undefined && typeof callback !== 'function') {
    throw new TypeError('callback is not a function');
  }
  const copied = copyValues(values);
  const request: SqlRequest | undefined = text === undefined ? undefined : sqlRequestOf(text, copied);
  return Object.freeze({
    kind: 'query',
    text,
    name,
    values: copied,
    rowMode: checkRowMode(rowMode),
    types: checkTypes(types),
    queryMode,
    callback: callback as QueryCall['callback'],
    request,
  });
}

function submittable(config: object, valuesArg: unknown, callbackArg: unknown): PgCall {
  if (valuesArg !== undefined || callbackArg !== undefined) {
    // pg would attach a callback to the submittable; a cursor's reads are its only output here.
    throw new TypeError('pass no values or callback with a pg-cursor or pg-query-stream');
  }
  const inner = readOnce(config, 'cursor');
  if (inner !== undefined) {
    if (!isCursor(inner) || !isReadable(config)) {
      throw new TypeError(`${NOT_A_QUERY}; other Submittables would reach the connection unmasked`);
    }
    const fields = cursorFields(inner);
    return Object.freeze({
      kind: 'stream' as const,
      ...fields,
      stream: config as QueryStreamLike,
      cursor: inner,
      request: sqlRequestOf(fields.text, fields.values),
    });
  }
  if (!isCursor(config)) {
    throw new TypeError(`${NOT_A_QUERY}; other Submittables would reach the connection unmasked`);
  }
  const fields = cursorFields(config);
  return Object.freeze({
    kind: 'cursor' as const,
    ...fields,
    cursor: config,
    request: sqlRequestOf(fields.text, fields.values),
  });
}

function cursorFields(cursor: CursorLike): {
  readonly text: string;
  readonly values: readonly (string | null)[] | undefined;
  readonly rowMode: 'array' | undefined;
  readonly types: TypeParsers | undefined;
} {
  const state = readOnce(cursor, 'state');
  if (state !== 'initialized') {
    throw new TypeError('this cursor was already submitted; create a new one for each query');
  }
  const text = readOnce(cursor, 'text');
  if (typeof text !== 'string') throw new TypeError('cursor text must be a string');
  noNul(text);
  const conf = readOnce(cursor, '_conf');
  const confObject = typeof conf === 'object' && conf !== null ? conf : {};
  return {
    text,
    values: copyValues(readOnce(cursor, 'values')),
    rowMode: checkRowMode(readOnce(confObject, 'rowMode')),
    types: checkTypes(readOnce(confObject, 'types')),
  };
}

/**
 * pg-cursor (2.x): an EventEmitter with `read`, `close`, the Submittable handlers, its `text`
 * and `_conf`, in state `initialized` until submitted. Duck-typed, since the caller's copy
 * may be another version than ours; nothing here is trusted beyond the text, values and
 * options read once, because the gate never submits the caller's object.
 */
function isCursor(value: unknown): value is CursorLike {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['read'] === 'function' &&
    typeof v['close'] === 'function' &&
    typeof v['submit'] === 'function' &&
    typeof v['handleDataRow'] === 'function' &&
    typeof v['_conf'] === 'object'
  );
}

function isReadable(value: object): boolean {
  const v = value as Record<string, unknown>;
  return (
    typeof v['push'] === 'function' && typeof v['destroy'] === 'function' && typeof v['_read'] === 'function'
  );
}

// The wire format ends strings at NUL, and UTF-8 has no lone surrogates (they are sent as
// U+FFFD): in both cases the server would run another text than the one the gate classified.
function noNul(value: string | undefined): void {
  if (value === undefined || value === lastChecked) return;
  if (value.includes('\0')) throw new TypeError('SQL text and statement names cannot contain NUL');
  if (/\p{Surrogate}/u.test(value))
    throw new TypeError('SQL text and statement names must be well-formed Unicode');
  lastChecked = value;
}

// The last text that passed noNul (a repeated statement is not scanned again).
let lastChecked: string | undefined;

function readOnce(object: object, key: string): unknown {
  return (object as Record<string, unknown>)[key];
}

// Converts every value, once, to the text the wire will carry (pg's prepareValue; bytes as
// bytea hex text), so the values an approval binds are exactly the ones sent, and a value
// object (`toPostgres`, a getter) cannot answer differently when pg reads it later.
function copyValues(values: unknown): readonly (string | null)[] | undefined {
  if (values === undefined || values === null) return undefined;
  if (!Array.isArray(values)) throw new TypeError('query values must be an array');
  // By index, as pg reads them (not through the array's iterator, which the caller may replace).
  const source = values as readonly unknown[];
  const length = source.length;
  const copied = new Array<string | null>(length);
  for (let i = 0; i < length; i++) copied[i] = wireValue(source[i], i);
  return Object.freeze(copied);
}

/** One value as the text the wire carries (`null` for SQL NULL). */
function wireValue(value: unknown, i: number): string | null {
  let prepared: unknown;
  try {
    prepared = prepareValue(value);
  } catch (cause) {
    throw new TypeError(
      `query value ${String(i + 1)} cannot be sent: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  if (prepared === null || prepared === undefined) return null;
  if (typeof prepared === 'string') return prepared;
  if (Buffer.isBuffer(prepared)) return `\\x${prepared.toString('hex')}`;
  throw new TypeError(`query value ${String(i + 1)} cannot be sent as text`);
}

/**
 * The request the engine decides (and an approval binds) for an SQL text and its values. Frozen
 * values (the call's own copy, see copyValues) are shared, not copied: nothing can change them.
 * (Copying a frozen array takes V8's slow path, a few microseconds of a point query.)
 *
 * @example
 * ```ts
 * sqlRequestOf('SELECT $1::int', ['7']); // { type: 'sql', sql: 'SELECT $1::int', params: ['7'] }
 * ```
 */
export function sqlRequestOf(text: string, values: readonly (string | null)[] | undefined): SqlRequest {
  if (values === undefined || values.length === 0) return { type: 'sql', sql: text };
  return { type: 'sql', sql: text, params: Object.isFrozen(values) ? values : Object.freeze(values.slice()) };
}

function checkRowMode(rowMode: unknown): 'array' | undefined {
  if (rowMode === undefined || rowMode === null) return undefined;
  if (rowMode !== 'array') throw new TypeError(`rowMode must be 'array' when set; got ${describe(rowMode)}`);
  return 'array';
}

function checkTypes(types: unknown): TypeParsers | undefined {
  if (types === undefined || types === null) return undefined;
  if (
    typeof types !== 'object' ||
    typeof (types as Record<string, unknown>)['getTypeParser'] !== 'function'
  ) {
    throw new TypeError('types must be an object with getTypeParser(oid, format)');
  }
  // eslint-disable-next-line @typescript-eslint/unbound-method -- bound below, to the caller's object
  const getTypeParser = (types as TypeParsers).getTypeParser;
  // Bound once, so a later reassignment of the caller's object changes nothing here.
  return Object.freeze({ getTypeParser: getTypeParser.bind(types) });
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : typeof value;
}
