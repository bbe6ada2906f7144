// Column rules protect reads, not just display: the pg adapter's use of the core's column
// lineage (sqlLineage). When the request is decided, a protected column read where its rule does
// not allow it denies it (the gate runtime's screen). On the connection, right before the
// statement runs, the same lineage is computed again with what the catalog says the statement's
// relations are (the real schema of an unqualified table, views and what they read), and a
// denial there refuses the statement before it is sent. After it ran, a result column computed
// from a protected column is redacted (a bare one is masked by its rule), and a server error of a
// statement that reads a protected column is withheld (a cast error echoes the value).
// See docs/security-model.md.
import {
  DeniedError,
  denyDecision,
  isSafeOperator,
  isTransparentFunction,
  sqlLineage,
  type ColumnProtection,
  type Masker,
  type MaskingPlan,
  type SqlLineage,
} from '@portcullis/core';
import { relationKey, type RelationFact } from './relation-catalog.js';

/** What a redacted derived column holds (the column rule's redact form). */
export const DERIVED_REDACTED = '[REDACTED:column]';

// A result without a statement lineage (no column rules) redacts nothing: one list for all.
const NO_REDACT: readonly number[] = Object.freeze([]);

const NONE: SqlLineage = Object.freeze({
  denied: undefined,
  statements: [],
  relations: [],
  reads: undefined,
});

// The planner's statistics: sampled values of every table's columns.
const STATISTICS: ReadonlySet<string> = new Set([
  'pg_stats',
  'pg_stats_ext',
  'pg_stats_ext_exprs',
  'pg_statistic',
  'pg_statistic_ext_data',
]);

/** What lineage may know besides the text. */
export interface LineageContext {
  /** The `PREPARE name AS …` text of a prepared statement this session made. */
  readonly prepared?: (name: string) => string | undefined;
  /** The statement's relations as the catalog resolved them (see relation-catalog.ts). */
  readonly relations?: ReadonlyMap<string, RelationFact | undefined>;
  /** A schema the connection searches before pg_catalog (see relation-catalog.ts). */
  readonly beforeCatalog?: string | undefined;
}

/**
 * The lineage of `text` under a masking plan. Without column rules in the profile, nothing is
 * protected and nothing is parsed.
 *
 * @example
 * ```ts
 * lineageFor("SELECT id FROM api_keys WHERE secret LIKE 'k%'", run.masking).denied; // 'the protected column …'
 * ```
 */
export function lineageFor(text: string, masking: MaskingPlan, context: LineageContext = {}): SqlLineage {
  const { masker } = masking;
  if (!masker.hasColumnRules) return NONE;
  const { relations } = context;
  try {
    const refused =
      context.beforeCatalog === undefined
        ? relations === undefined
          ? undefined
          : viewRefusal(relations, masker)
        : `search_path puts ${context.beforeCatalog} before pg_catalog, so a function, operator or type the statement names could be a user object standing in for a built-in; under column rules keep pg_catalog first`;
    if (refused !== undefined) return { denied: refused, statements: [], relations: [], reads: undefined };
    return sqlLineage(
      text,
      (schema, table, column) =>
        relations === undefined
          ? writtenProtection(masker, schema, table, column)
          : protectionOf(masker, relations.get(relationKey(schema, table)), schema, table, column),
      context.prepared === undefined ? {} : { prepared: context.prepared },
    );
  } catch {
    return {
      denied: 'the SQL classifier is not loaded, so column rules cannot be checked',
      statements: [],
      relations: [],
      reads: undefined,
    };
  }
}

/**
 * How a column is protected as far as the text tells (when the request is decided): by the rules
 * on its source, an unqualified table taken to be public's. Whether a whole row holds a protected
 * column, or a relation is a view, only the catalog tells: that is checked on the connection.
 */
function writtenProtection(
  masker: Masker,
  schema: string | undefined,
  table: string,
  column: string | undefined,
): ColumnProtection | undefined {
  if (column === undefined) return undefined;
  return ruled(masker, column, `${schema ?? 'public'}.${table}.${column}`);
}

/** How a column of a relation (a whole row: `column` undefined) is protected, as the catalog resolved it. */
function protectionOf(
  masker: Masker,
  fact: RelationFact | undefined,
  schema: string | undefined,
  table: string,
  column: string | undefined,
): ColumnProtection | undefined {
  if (fact === undefined) {
    // Not resolved (the text creates it, or the server will refuse it): an unqualified table is
    // taken to be public's, and a whole row of it may hold a protected column.
    const s = schema ?? 'public';
    if (column === undefined) return { label: `${s}.${table} (a whole row)` };
    return ruled(masker, column, `${s}.${table}.${column}`);
  }
  const reads = protectedReads(fact, masker);
  if (reads.length > 0) {
    // A view over protected columns: any of its columns may be computed from them.
    return {
      label: `${fact.schema}.${fact.name} (a view reading ${reads[0]?.label ?? ''})`,
      computed: true,
      predicates: reads.every((r) => r.predicates),
    };
  }
  if (column !== undefined) return ruled(masker, column, `${fact.schema}.${fact.name}.${column}`);
  const whole = fact.columns.flatMap((c) => {
    const p = ruled(masker, c, `${fact.schema}.${fact.name}.${c}`);
    return p === undefined ? [] : [p];
  });
  if (whole.length === 0) return undefined;
  return {
    label: `${whole[0]?.label ?? ''} (in a whole row)`,
    predicates: whole.every((p) => p.predicates === true),
  };
}

function ruled(masker: Masker, column: string, source: string): ColumnProtection | undefined {
  const rule = masker.columnRule({ name: column, source });
  return rule === undefined ? undefined : { label: source, predicates: rule.predicates };
}

/** The protected base columns a view or materialized view reads. */
function protectedReads(fact: RelationFact, masker: Masker): { label: string; predicates: boolean }[] {
  if (fact.kind !== 'v' && fact.kind !== 'm') return [];
  return fact.reads.flatMap((r) => {
    const p = ruled(masker, r.column, `${r.schema}.${r.table}.${r.column}`);
    return p === undefined ? [] : [{ label: p.label, predicates: p.predicates === true }];
  });
}

/**
 * Why a statement's views cannot be followed under column rules: one calls a function or
 * operator other than a built-in one (it may read anything), or reads a protected column whose
 * rule does not allow predicates (the view may filter on it, which no redaction of its output
 * hides).
 */
function viewRefusal(
  relations: ReadonlyMap<string, RelationFact | undefined>,
  masker: Masker,
): string | undefined {
  for (const fact of relations.values()) {
    if (fact === undefined || (fact.kind !== 'v' && fact.kind !== 'm')) continue;
    const view = `${fact.kind === 'm' ? 'materialized view' : 'view'} ${fact.schema}.${fact.name}`;
    for (const call of fact.calls) {
      const system = call.schema === 'pg_catalog' || call.schema === 'information_schema';
      const builtin = call.operator
        ? call.schema === 'pg_catalog' && isSafeOperator(['pg_catalog', call.name])
        : call.schema === 'information_schema' ||
          (system && isTransparentFunction(['pg_catalog', call.name]));
      if (!builtin) {
        return `${view} calls ${call.operator ? 'the operator' : 'the function'} ${call.schema}.${call.name}, which may read columns the gate cannot follow; under column rules it is denied`;
      }
    }
    // The system views over the planner's statistics record no dependency on pg_statistic
    // (a pinned catalog): they are known by name.
    const statistics = [
      ...fact.reads.map((r) => ({ schema: r.schema, name: r.table })),
      ...fact.through,
    ].find((r) => r.schema === 'pg_catalog' && STATISTICS.has(r.name));
    if (statistics !== undefined) {
      return `${view} reads ${statistics.name}, the planner's samples of every table's columns, which column rules protect; under column rules it is denied`;
    }
    const strict = protectedReads(fact, masker).find((r) => !r.predicates);
    if (strict !== undefined) {
      return `${view} reads the protected column ${strict.label}; the gate cannot follow column lineage through a view, and the rule allows the column only as a result column of its own table`;
    }
  }
  return undefined;
}

/** The denial a lineage carries, as the reason a request is refused with. */
export function lineageRefusal(lineage: SqlLineage): string | undefined {
  return lineage.denied === undefined ? undefined : `column rule: ${lineage.denied}`;
}

/**
 * Why a cursor or stream over this lineage cannot run: its rows are masked as they stream, by
 * column source only, so a result column computed from a protected column cannot be redacted.
 */
export function cursorRefusal(lineage: SqlLineage): string | undefined {
  const derived = lineage.statements.find((s) => s.derived !== undefined)?.derived;
  const computed = lineage.statements.flatMap((s) => s.outputs ?? []).find((o) => o.kind === 'derived');
  const label = derived ?? (computed?.kind === 'derived' ? computed.label : undefined);
  return label === undefined
    ? undefined
    : `column rule: a cursor or stream cannot redact a result column computed from the protected column ${label}; use query()`;
}

/**
 * Throws the refusal of a lineage computed on the connection, right before the statement would
 * be sent (nothing of it has run).
 *
 * @throws DeniedError naming the column rule.
 */
export function assertLineage(reason: string | undefined): void {
  if (reason === undefined) return;
  throw new DeniedError(`denied: ${reason}`, denyDecision(reason, [], false));
}

/** A protected column the text reads (as a result column or in a predicate its rule allows). */
export function readsProtected(lineage: SqlLineage): string | undefined {
  return lineage.reads;
}

/**
 * A result's column sources after its statement's lineage, and the columns to redact: a bare
 * protected column gets its source (so its rule applies even where the server reports none, as
 * after a subquery); a derived one is redacted. Where positions are unknown (`*` over a table),
 * every computed column (no table) of a statement with a derived output is redacted.
 *
 * @example
 * ```ts
 * const { sources, redact } = lineageOfResult(lineage.statements[0], result.fields, catalogSources);
 * ```
 */
export function lineageOfResult(
  statement: SqlLineage['statements'][number] | undefined,
  fields: readonly { readonly tableID: number }[],
  known: readonly (string | undefined)[],
): { readonly sources: readonly (string | undefined)[]; readonly redact: readonly number[] } {
  if (statement === undefined) return { sources: known, redact: NO_REDACT };
  const own = [...known];
  const redact: number[] = [];
  fields.forEach((field, j) => {
    const output = statement.outputs?.[j];
    if (output === undefined) {
      if (statement.outputs === undefined && statement.derived !== undefined && field.tableID === 0)
        redact.push(j);
    } else if (output.kind === 'derived') {
      redact.push(j);
    } else if (output.kind === 'bare' && own[j] === undefined) {
      // A bare column's label is its source, as resolved (see protectionOf).
      own[j] = output.label;
    }
  });
  return { sources: own, redact };
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
