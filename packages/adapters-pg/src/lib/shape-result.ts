import type { ColumnMasking, GateColumn, MaskingPlan } from '@portcullis/core';
import type { TypeParsers } from '../internal-types.js';
import { DERIVED_REDACTED } from './lineage-guard.js';
import type { GatedField, GatedQueryResult } from '../types.js';

/** A field of pg's RowDescription, as pg's `Result` keeps it: a gated field before its source is known. */
export type RawField = Omit<GatedField, 'source'>;

/** The parts of pg's `Result` the gate reads. Its `rows` are masked in place. */
export interface RawResult {
  readonly command: string | null;
  readonly rowCount: number | null;
  readonly oid: number | null;
  readonly rows: unknown[];
  readonly fields: readonly RawField[];
}

/** A type parser set that leaves every text value as the server sent it. */
export const RAW_TEXT: TypeParsers = Object.freeze({
  getTypeParser: () => (value: string) => value,
});

// Types whose values cannot carry text: booleans, small integers, floats, dates and times,
// uuids, network and geometric types. int8 and numeric are left to content detection: they can
// hold a card or account number.
const NOT_TEXT: ReadonlySet<number> = new Set([
  16, 21, 23, 26, 28, 29, 700, 701, 1082, 1083, 1114, 1184, 1186, 1266, 2950, 869, 650, 829, 774, 600, 601,
  602, 603, 604, 718, 3220,
]);

/**
 * One result shape's masking: every column with its source and whether its type can carry
 * text, so column rules are resolved once and non-text columns skip content detection.
 *
 * @example
 * ```ts
 * const columns = maskingFor(run.masking, result.fields, sources);
 * const row = columns.row(result.rows[0]);
 * ```
 */
export function maskingFor(
  plan: MaskingPlan,
  fields: readonly RawField[],
  sources: readonly (string | undefined)[],
): ColumnMasking {
  const columns = new Array<GateColumn>(fields.length);
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as RawField;
    const source = sources[i];
    const text = !NOT_TEXT.has(field.dataTypeID);
    columns[i] = source === undefined ? { name: field.name, text } : { name: field.name, source, text };
  }
  return plan.columns(columns);
}

/**
 * One result's rows made what the caller sees, one at a time: columns computed from a protected
 * column redacted, every value masked by its column's plan, then the caller's type parsers
 * applied (with caller parsers the query ran with {@link RAW_TEXT}, so a parser never sees an
 * unmasked value). Used as rows arrive when the result's sources are known by then, else over
 * the whole result after it.
 *
 * @example
 * ```ts
 * const rows = new ResultRows(run.masking, result.fields, sources, [], undefined);
 * const row = rows.row({ email: 'a@example.com' });
 * ```
 */
export class ResultRows {
  readonly fields: readonly RawField[];
  readonly sources: readonly (string | undefined)[];
  readonly #columns: ColumnMasking;
  readonly #redact: readonly number[];
  readonly #parse: readonly Parser[] | undefined;

  constructor(
    plan: MaskingPlan,
    fields: readonly RawField[],
    sources: readonly (string | undefined)[],
    redact: readonly number[],
    callerTypes: TypeParsers | undefined,
  ) {
    this.fields = fields;
    this.sources = sources;
    this.#columns = maskingFor(plan, fields, sources);
    this.#redact = redact;
    this.#parse = callerTypes === undefined ? undefined : parsersFor(fields, callerTypes);
  }

  /** The row as the caller sees it: pg's row (its own, fresh), redacted and masked in place. */
  row(row: unknown): unknown {
    if (this.#redact.length > 0) redactRow(row, this.fields, this.#redact);
    const masked = this.#columns.rowInPlace(row);
    return this.#parse === undefined ? masked : parseRow(masked, this.fields, this.#parse);
  }

  /** How many values masking changed so far. */
  get masked(): number {
    return this.#columns.masked;
  }
}

/** Redacts the given columns of a row in place: an array row by index, an object row by name. */
function redactRow(row: unknown, fields: readonly RawField[], redact: readonly number[]): void {
  if (Array.isArray(row)) {
    for (const j of redact) row[j] = DERIVED_REDACTED;
  } else if (typeof row === 'object' && row !== null) {
    const r = row as Record<string, unknown>;
    for (const j of redact) {
      const name = fields[j]?.name;
      if (name !== undefined) r[name] = DERIVED_REDACTED;
    }
  }
}

/**
 * pg's result as a plain object whose rows are what the caller sees. With `shaped`, its rows
 * were made so as they arrived; otherwise each is made now, in place (so a result is never held
 * twice).
 *
 * @example
 * ```ts
 * const { result, masked } = shapeResult(raw, new ResultRows(run.masking, raw.fields, sources, [], undefined), false);
 * ```
 */
export function shapeResult(
  raw: RawResult,
  shaper: ResultRows,
  shaped: boolean,
): { readonly result: GatedQueryResult; readonly masked: number } {
  const rows = raw.rows;
  if (!shaped) for (let i = 0; i < rows.length; i++) rows[i] = shaper.row(rows[i]);
  const { sources } = shaper;
  const fields = new Array<GatedField>(raw.fields.length);
  for (let i = 0; i < fields.length; i++) fields[i] = plainField(raw.fields[i] as RawField, sources[i]);
  return {
    result: {
      command: raw.command ?? '',
      rowCount: raw.rowCount,
      oid: raw.oid,
      rows: rows as never[],
      fields,
    },
    masked: shaper.masked,
  };
}

/** A field as the caller sees it: pg's description and the source, nothing else. */
export function plainField(field: RawField, source: string | undefined): GatedField {
  const plain: { -readonly [K in keyof GatedField]: GatedField[K] } = {
    name: field.name,
    tableID: field.tableID,
    columnID: field.columnID,
    dataTypeID: field.dataTypeID,
    dataTypeSize: field.dataTypeSize,
    dataTypeModifier: field.dataTypeModifier,
    format: field.format,
  };
  if (source !== undefined) plain.source = source;
  return plain;
}

/** A caller's type parser per field. */
export type Parser = (value: string) => unknown;

/**
 * The caller's parsers for a result's fields.
 *
 * @example
 * ```ts
 * const parsers = parsersFor(fields, call.types);
 * ```
 */
export function parsersFor(fields: readonly RawField[], types: TypeParsers): readonly Parser[] {
  return fields.map((field) => types.getTypeParser(field.dataTypeID, field.format));
}

/**
 * Applies the caller's parsers to a masked row (array or object; a repeated name takes its last
 * column's parser, as pg keeps the last value).
 *
 * @example
 * ```ts
 * parseRow(['7'], fields, [Number]); // [7]
 * ```
 */
export function parseRow(row: unknown, fields: readonly RawField[], parsers: readonly Parser[]): unknown {
  const apply = (i: number, value: unknown): unknown => {
    const parser = parsers[i];
    return parser === undefined || typeof value !== 'string' ? value : parser(value);
  };
  if (Array.isArray(row)) return row.map((value: unknown, i) => apply(i, value));
  const out: Record<string, unknown> = { ...(row as Record<string, unknown>) };
  const last = new Map<string, number>();
  fields.forEach((field, i) => last.set(field.name, i));
  for (const [name, i] of last) out[name] = apply(i, out[name]);
  return out;
}
