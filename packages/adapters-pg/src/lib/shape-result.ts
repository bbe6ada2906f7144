import type { TypeParsers } from '../internal-types.js';
import type { GatedField, GatedQueryResult } from '../types.js';
import type { MaskColumn, Masking } from './masking.js';

/** A field of pg's RowDescription, as pg's `Result` keeps it: a gated field before its source is known. */
export type RawField = Omit<GatedField, 'source'>;

/** The parts of pg's `Result` the gate reads. */
export interface RawResult {
  readonly command: string | null;
  readonly rowCount: number | null;
  readonly oid: number | null;
  readonly rows: readonly unknown[];
  readonly fields: readonly RawField[];
}

/** A type parser set that leaves every text value as the server sent it. */
export const RAW_TEXT: TypeParsers = Object.freeze({
  getTypeParser: () => (value: string) => value,
});

/**
 * The columns masking sees. In object mode pg keeps one value per name, the last column's, so
 * a repeated name takes the source of its last column.
 */
export function maskColumns(
  fields: readonly RawField[],
  sources: readonly (string | undefined)[],
  arrayMode: boolean,
): readonly MaskColumn[] {
  const columns = fields.map((field, i) => {
    const source = sources[i];
    return source === undefined ? { name: field.name } : { name: field.name, source };
  });
  if (arrayMode) return columns;
  const last = new Map<string, MaskColumn>();
  for (const column of columns) last.set(column.name, column);
  return [...last.values()];
}

/**
 * Copies pg's result into a plain object with every row masked. With caller type parsers, the
 * query ran with {@link RAW_TEXT}: values are masked as text first, then parsed, so a caller's
 * parser never sees an unmasked value.
 *
 * @example
 * ```ts
 * const { result, masked } = shapeResult(raw, ['public.users.email'], masking, false, undefined);
 * ```
 */
export function shapeResult(
  raw: RawResult,
  sources: readonly (string | undefined)[],
  masking: Masking,
  arrayMode: boolean,
  callerTypes: TypeParsers | undefined,
): { readonly result: GatedQueryResult; readonly masked: number } {
  const columns = maskColumns(raw.fields, sources, arrayMode);
  const fields: GatedField[] = raw.fields.map((field, i) => plainField(field, sources[i]));
  const parse = callerTypes === undefined ? undefined : parsersFor(raw.fields, callerTypes);
  let masked = 0;
  const rows = raw.rows.map((row) => {
    const out = masking.row(row, columns, arrayMode);
    masked += out.masked;
    return parse === undefined ? out.row : parseRow(out.row, raw.fields, parse, arrayMode);
  });
  return {
    result: {
      command: raw.command ?? '',
      rowCount: raw.rowCount,
      oid: raw.oid,
      rows: rows as never[],
      fields,
    },
    masked,
  };
}

/** A field as the caller sees it: pg's description and the source, nothing else. */
export function plainField(field: RawField, source: string | undefined): GatedField {
  const plain = {
    name: field.name,
    tableID: field.tableID,
    columnID: field.columnID,
    dataTypeID: field.dataTypeID,
    dataTypeSize: field.dataTypeSize,
    dataTypeModifier: field.dataTypeModifier,
    format: field.format,
  };
  return source === undefined ? plain : { ...plain, source };
}

type Parser = (value: string) => unknown;

function apply(parsers: readonly Parser[], i: number, value: string): unknown {
  const parser = parsers[i];
  return parser === undefined ? value : parser(value);
}

function parsersFor(fields: readonly RawField[], types: TypeParsers): readonly Parser[] {
  return fields.map((field) => types.getTypeParser(field.dataTypeID, field.format));
}

function parseRow(
  row: unknown,
  fields: readonly RawField[],
  parsers: readonly Parser[],
  arrayMode: boolean,
): unknown {
  if (arrayMode) {
    return (row as unknown[]).map((value, i) =>
      typeof value === 'string' ? apply(parsers, i, value) : value,
    );
  }
  const out: Record<string, unknown> = { ...(row as Record<string, unknown>) };
  // pg keeps the last column of a repeated name, so that column's parser applies.
  const lastIndex = new Map<string, number>();
  fields.forEach((field, i) => lastIndex.set(field.name, i));
  for (const [name, i] of lastIndex) {
    const value = out[name];
    if (typeof value === 'string') out[name] = apply(parsers, i, value);
  }
  return out;
}
