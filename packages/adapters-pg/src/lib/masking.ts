/**
 * The masking a gated request's results go through: the policy's profile for the decision,
 * adapted to rows whose columns the adapter knows by name and by source.
 */

/** One result column as masking sees it. */
export interface MaskColumn {
  readonly name: string;
  /** `schema.table.column`, when the value comes straight from a table column. */
  readonly source?: string;
}

/** Masks what a gated request returns. */
export interface Masking {
  /**
   * Masks one row (an object keyed by column name, or an array in column order). Returns a
   * new row and how many values were replaced.
   */
  readonly row: (
    row: unknown,
    columns: readonly MaskColumn[],
    arrayMode: boolean,
  ) => { readonly row: unknown; readonly masked: number };
  /** Masks free text (notices, error messages and details). */
  readonly text: (text: string) => string;
}
