// Column rules protect reads, not just display: the pg adapter's use of the core's column
// lineage (sqlLineage). Before a statement runs, a protected column read outside a result
// column denies it; after, a result column computed from a protected column is redacted (a bare
// one is masked by its rule), and a server error of a statement that reads a protected column
// is withheld (a cast error echoes the value). See docs/security-model.md.
import { DeniedError, sqlLineage, type Decision, type MaskingPlan, type SqlLineage } from '@portcullis/core';
import type { RawResult } from './shape-result.js';

/** What a redacted derived column holds (the column rule's redact form). */
export const DERIVED_REDACTED = '[REDACTED:column]';

const NONE: SqlLineage = Object.freeze({ denied: undefined, statements: [] });

/**
 * The lineage of `text` under a masking plan. `anyRules` says whether the profile has column
 * rules at all: without any, nothing is protected and nothing is parsed.
 */
export function lineageFor(text: string, masking: MaskingPlan, anyRules: boolean): SqlLineage {
  if (!anyRules) return NONE;
  const { masker } = masking;
  try {
    return sqlLineage(text, (schema, table, column) => {
      const source = `${schema ?? 'public'}.${table}.${column ?? '*'}`;
      // A whole row may hold any column: with column rules in the profile, it counts as protected.
      if (column === undefined) return `${schema ?? 'public'}.${table} (a whole row)`;
      return masker.columnRuled({ name: column, source }) ? source : undefined;
    });
  } catch {
    return { denied: 'the SQL classifier is not loaded, so column rules cannot be checked', statements: [] };
  }
}

/** Throws the denial when the lineage says the text must not run. */
export function assertLineage(lineage: SqlLineage): void {
  if (lineage.denied === undefined) return;
  const reason = `column rule: ${lineage.denied}`;
  const decision: Decision = {
    effect: 'deny',
    rules: [],
    reasons: [reason],
    actions: [],
    recordingRequired: false,
  };
  throw new DeniedError(`denied: ${reason}`, decision);
}

/** Whether any result column of the text comes from a protected column. */
export function readsProtected(lineage: SqlLineage): string | undefined {
  for (const s of lineage.statements) {
    if (s.derived !== undefined) return s.derived;
    for (const o of s.outputs ?? []) if (o.kind !== 'clean') return o.label;
  }
  return undefined;
}

/**
 * Applies the lineage to raw results before they are shaped: a bare protected column gets its
 * source (so its rule applies even where the server reports none, as after a subquery), a
 * derived one is redacted in place. Where positions are unknown (`*` over a table), every
 * computed column (no table) of a statement with a derived output is redacted.
 */
export function applyLineage(
  lineage: SqlLineage,
  results: readonly RawResult[],
  sources: (readonly (string | undefined)[])[],
): void {
  results.forEach((result, i) => {
    const statement = lineage.statements[i];
    if (statement === undefined) return;
    const own = [...(sources[i] ?? [])];
    const redact = new Set<number>();
    result.fields.forEach((field, j) => {
      const output = statement.outputs?.[j];
      if (output === undefined) {
        if (statement.outputs === undefined && statement.derived !== undefined && field.tableID === 0)
          redact.add(j);
      } else if (output.kind === 'derived') {
        redact.add(j);
      } else if (output.kind === 'bare' && own[j] === undefined) {
        own[j] = `${output.schema ?? 'public'}.${output.table}.${output.column}`;
      }
    });
    sources[i] = own;
    if (redact.size === 0) return;
    const names = new Set([...redact].map((j) => result.fields[j]?.name));
    for (const row of result.rows) {
      if (Array.isArray(row)) {
        for (const j of redact) row[j] = DERIVED_REDACTED;
      } else if (typeof row === 'object' && row !== null) {
        const r = row as Record<string, unknown>;
        for (const name of names) if (name !== undefined) r[name] = DERIVED_REDACTED;
      }
    }
  });
}

/**
 * A server error of a statement whose results come from a protected column, with its texts
 * withheld: a cast or constraint error can echo the value it failed on.
 */
export function withheldError(err: unknown, label: string | undefined): unknown {
  if (label === undefined || typeof err !== 'object' || err === null) return err;
  const e = err as Record<string, unknown>;
  if (typeof e['severity'] !== 'string' || typeof e['code'] !== 'string') return err;
  return {
    severity: e['severity'],
    code: e['code'],
    message: `the server's error text is withheld: the statement reads the protected column ${label}`,
  };
}
