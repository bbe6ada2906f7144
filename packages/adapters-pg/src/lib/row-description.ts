/**
 * pg's handling of a RowDescription for a gated query, without the cost of pg's own.
 *
 * pg's `Result.addFields` builds the object every row is copied from on a null prototype, in
 * V8's dictionary mode, and spreads it: on a point query that is several microseconds of every
 * reply, more than the rest of the row's handling. Here the result is described with the same
 * fields, the same type parsers and an equal template object (own data properties, in the same
 * order), made in fast mode and kept while the column names repeat; pg's own `parseRow` then
 * makes the rows, as before.
 *
 * This uses members of pg's `Query` and `Result` that pg does not document (`_checkForMultirow`,
 * `_accumulateRows`, `_types`, `_parsers`, `_prebuiltEmptyResultObject`). At load, the module
 * handles two probe descriptions both ways and compares what each query keeps and the rows pg
 * makes from it; with any difference (another pg version), pg's own handler runs instead.
 */
import pg from 'pg';

/** A field of a RowDescription, as pg hands it to a query. */
export interface DescribedField {
  readonly name: string;
  readonly dataTypeID: number;
  readonly format?: string;
}

/** The members of pg's `Result` a description sets and reads. */
export interface DescribedResult {
  fields: readonly DescribedField[];
  addFields(fields: readonly DescribedField[]): void;
  parseRow(values: readonly (string | null)[]): unknown;
}

/** Where pg's `Result` takes its type parsers from (pg-types, or a client's overrides). */
interface ParserSource {
  getTypeParser(oid: number, format: string): (value: string) => unknown;
}

/** What pg's `Result` keeps for its rows, as this module sets it. */
interface ResultInternals {
  _types?: ParserSource | null;
  _parsers?: unknown[];
  _prebuiltEmptyResultObject?: object | null;
}

// The last template made, and the names it was made for: a repeated statement describes the
// same columns each time.
let last: { readonly names: readonly string[]; readonly template: object } | undefined;

/** An object with an own, enumerable, writable `null` for each name, in order (a name once). */
function templateFor(fields: readonly DescribedField[]): object {
  const known = last;
  if (known !== undefined && known.names.length === fields.length) {
    let same = true;
    for (let i = 0; i < fields.length && same; i++) same = known.names[i] === fields[i]?.name;
    if (same) return known.template;
  }
  const template = {};
  const names = new Array<string>(fields.length);
  for (let i = 0; i < fields.length; i++) {
    const name = (fields[i] as DescribedField).name;
    names[i] = name;
    // Defined, not assigned: a name like `__proto__` (or a setter planted on Object.prototype)
    // must become an own property, as on pg's null-prototype object.
    Object.defineProperty(template, name, {
      value: null,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  last = { names, template };
  return template;
}

/** Describes `result` as pg's `addFields(fields)` would, the fast way (see the module). */
function describeFast(result: DescribedResult, fields: readonly DescribedField[]): void {
  const internals = result as unknown as ResultInternals;
  const types: ParserSource = internals._types ?? (pg.types as unknown as ParserSource);
  const parsers = new Array<unknown>(fields.length);
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as DescribedField;
    parsers[i] = types.getTypeParser(field.dataTypeID, field.format || 'text');
  }
  result.fields = fields;
  internals._parsers = parsers;
  internals._prebuiltEmptyResultObject = templateFor(fields);
}

/** A pg query as a RowDescription reaches it: the members pg's own handler uses. */
export interface DescribedQuery {
  _result: DescribedResult;
  _results: DescribedResult | DescribedResult[];
  _accumulateRows?: unknown;
  callback?: unknown;
  listeners(event: string): unknown[];
  _checkForMultirow(): void;
  handleCommandComplete(message: { text: string }, connection: unknown): void;
}

/** A RowDescription message as pg hands it to a query. */
export interface RowDescription {
  readonly fields: readonly DescribedField[];
}

// pg's own handler (kept once, before anything could change the prototype).
const pgHandle = (
  pg.Query.prototype as unknown as { handleRowDescription: (message: RowDescription) => void }
).handleRowDescription;

/** pg's `Query.handleRowDescription`, with the fields described the fast way. */
function handleFast(query: DescribedQuery, message: RowDescription): void {
  query._checkForMultirow();
  describeFast(query._result, message.fields);
  query._accumulateRows = query.callback || !query.listeners('row').length;
}

/**
 * Whether {@link handleFast} leaves a query as pg's own handler does, with this pg: two
 * statements' results (the second after the first's CommandComplete), compared by the rows pg
 * makes from them and by what the query keeps.
 */
function fastMatchesPg(): boolean {
  try {
    // Repeated names, an index-like name, `__proto__`, `constructor`; text and int4 columns.
    const first: DescribedField[] = ['b', 'a', '7', '__proto__', 'a', 'constructor'].map((name, i) => ({
      name,
      dataTypeID: i === 1 ? 23 : 25,
      format: 'text',
    }));
    const second: DescribedField[] = [{ name: 'n', dataTypeID: 23, format: 'text' }];
    const rows = [['x', '42', 'y', 'z', null, 'w'], ['5']];
    const noop = (): void => undefined;
    const make = (): DescribedQuery => new pg.Query('SELECT', undefined, noop) as unknown as DescribedQuery;
    const theirs = make();
    const ours = make();
    for (const [i, fields] of [first, second].entries()) {
      pgHandle.call(theirs, { fields });
      handleFast(ours, { fields });
      if (ours._accumulateRows !== theirs._accumulateRows || ours._result.fields !== fields) return false;
      const values = rows[i] as (string | null)[];
      // Twice: the second row comes from the kept template.
      for (const row of [ours._result.parseRow(values), ours._result.parseRow(values)]) {
        if (!sameRow(row, theirs._result.parseRow(values))) return false;
      }
      theirs.handleCommandComplete({ text: 'SELECT 1' }, undefined);
      ours.handleCommandComplete({ text: 'SELECT 1' }, undefined);
    }
    return (
      Array.isArray(ours._results) &&
      Array.isArray(theirs._results) &&
      ours._results.length === 2 &&
      theirs._results.length === 2
    );
  } catch {
    return false;
  }
}
function sameRow(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const keys = Reflect.ownKeys(a);
  const other = Reflect.ownKeys(b);
  if (keys.length !== other.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as PropertyKey;
    if (key !== other[i]) return false;
    const mine = Object.getOwnPropertyDescriptor(a, key);
    const theirs = Object.getOwnPropertyDescriptor(b, key);
    if (
      mine?.value !== theirs?.value ||
      mine?.writable !== theirs?.writable ||
      mine?.enumerable !== theirs?.enumerable ||
      mine?.configurable !== theirs?.configurable
    ) {
      return false;
    }
  }
  return true;
}

const fast = fastMatchesPg();

/**
 * Handles a RowDescription for `query` as pg's own `Query.handleRowDescription` does, describing
 * the result's fields the fast way when this pg allows it (see the module).
 *
 * @example
 * ```ts
 * handleRowDescription(query, message); // in a pg.Query subclass's handleRowDescription
 * const row = query._result.parseRow(['7']);
 * ```
 */
export function handleRowDescription(query: DescribedQuery, message: RowDescription): void {
  if (fast) handleFast(query, message);
  else pgHandle.call(query, message);
}

/**
 * Whether {@link handleRowDescription} takes the fast way with the pg this process loaded.
 *
 * @example
 * ```ts
 * if (!describesFast()) console.warn('pg describes results its own way');
 * ```
 */
export function describesFast(): boolean {
  return fast;
}
