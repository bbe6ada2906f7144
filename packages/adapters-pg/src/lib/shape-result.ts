import type { ColumnMasking, GateColumn, MaskingPlan } from '@portcullis/core';
import type { TypeParsers } from '../internal-types.js';
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
 * pg's result as a plain object with every row masked (in place: the raw row is dropped as its
 * masked copy is made, so a result is never held twice). With caller type parsers, the query ran
 * with {@link RAW_TEXT}: values are masked as text first, then parsed, so a caller's parser
 * never sees an unmasked value.
 *
 * @example
 * ```ts
 * const { result, masked } = shapeResult(raw, sources, run.masking, undefined);
 * ```
 */
export function shapeResult(
  raw: RawResult,
  sources: readonly (string | undefined)[],
  plan: MaskingPlan,
  callerTypes: TypeParsers | undefined,
): { readonly result: GatedQueryResult; readonly masked: number } {
  const columns = maskingFor(plan, raw.fields, sources);
  const parse = callerTypes === undefined ? undefined : parsersFor(raw.fields, callerTypes);
  const rows = raw.rows;
  for (let i = 0; i < rows.length; i++) {
    const masked = columns.row(rows[i]);
    rows[i] = parse === undefined ? masked : parseRow(masked, raw.fields, parse);
  }
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
    masked: columns.masked,
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
