/**
 * What the relations a statement names really are, on the connection about to run it: resolved
 * as the server will resolve them (its `search_path`, its temporary objects), with their kind,
 * their columns and, for views and materialized views, every base column and function they read
 * (through the views they read). Column lineage needs this to follow a view, and to know which
 * schema an unqualified table is in.
 */
import type { RelationRef } from '@portcullis/core';

/** One relation as the catalog knows it. */
export interface RelationFact {
  readonly schema: string;
  readonly name: string;
  /** `pg_class.relkind`: `r` table, `p` partitioned table, `v` view, `m` materialized view, `f` foreign table, … */
  readonly kind: string;
  /** Its columns, by name. */
  readonly columns: readonly string[];
  /** A view's (or materialized view's) base-table columns, through the views it reads. */
  readonly reads: readonly { readonly schema: string; readonly table: string; readonly column: string }[];
  /** The functions and operators a view calls. */
  readonly calls: readonly { readonly schema: string; readonly name: string; readonly operator: boolean }[];
  /** The views a view reads through (schema and name), at any depth. */
  readonly through: readonly { readonly schema: string; readonly name: string }[];
}

/** Runs one catalog query with bound values on the connection at hand. */
export type RelationQuery = (
  text: string,
  values: readonly unknown[],
) => Promise<readonly (readonly unknown[])[]>;

/** The key of a relation as written, for {@link resolveRelations}' map. */
export function relationKey(schema: string | undefined, name: string): string {
  return `${schema ?? ''}\u0000${name}`;
}

/** What {@link resolveRelations} found. */
export interface ResolvedRelations {
  /** Each relation as written (see {@link relationKey}) → what it is, or undefined when it does not resolve. */
  readonly facts: ReadonlyMap<string, RelationFact | undefined>;
  /**
   * The schema searched first for functions, operators and types when it is not `pg_catalog`
   * (`SET search_path = public, pg_catalog`): a user object there shadows a built-in of the same
   * name. Undefined when `pg_catalog` comes first, as it does unless search_path names it later.
   */
  readonly beforeCatalog: string | undefined;
}

/**
 * Resolves each relation as written to what the server will read (`undefined` for a name that
 * does not resolve: the statement creates it, or fails), and which schema the connection's
 * search_path puts before `pg_catalog`, if any.
 *
 * @example
 * ```ts
 * const { facts } = await resolveRelations([{ schema: undefined, name: 'api_keys' }], (sql, v) => runInternal(client, sql, v));
 * facts.get(relationKey(undefined, 'api_keys'))?.schema; // 'public'
 * ```
 * @throws the catalog query's error (the statement is then not run).
 */
export async function resolveRelations(
  refs: readonly RelationRef[],
  query: RelationQuery,
): Promise<ResolvedRelations> {
  const names = refs.map((r) =>
    r.schema === undefined ? quote(r.name) : `${quote(r.schema)}.${quote(r.name)}`,
  );
  // Built in place: a view's lists are filled from the second query's rows.
  interface Building {
    schema: string;
    name: string;
    kind: string;
    columns: string[];
    reads: RelationFact['reads'][number][];
    calls: RelationFact['calls'][number][];
    through: RelationFact['through'][number][];
  }
  const byOid = new Map<string, Building>();
  const atIndex = new Map<number, string>();
  let beforeCatalog: string | undefined;
  for (const [i, oid, schema, name, kind, columns, first] of await query(FACTS_SQL, [names])) {
    if (typeof first === 'string' && first !== 'pg_catalog') beforeCatalog = first;
    // int8 comes back as a string.
    if (typeof oid !== 'string' || typeof schema !== 'string' || typeof name !== 'string') continue;
    const id = oid;
    atIndex.set(Number(i), id);
    if (!byOid.has(id)) {
      byOid.set(id, {
        schema,
        name,
        kind: typeof kind === 'string' ? kind : '',
        columns: Array.isArray(columns) ? columns.filter((c): c is string => typeof c === 'string') : [],
        reads: [],
        calls: [],
        through: [],
      });
    }
  }
  // Only views and materialized views need what they read (a heavier query, run only for them).
  const views = [...byOid].filter(([, f]) => f.kind === 'v' || f.kind === 'm').map(([id]) => id);
  if (views.length > 0) {
    for (const [kind, oid, schema, name, extra] of await query(VIEWS_SQL, [views])) {
      const entry = typeof oid === 'string' ? byOid.get(oid) : undefined;
      if (entry === undefined || typeof schema !== 'string' || typeof name !== 'string') continue;
      if (kind === 'reads' && typeof extra === 'string')
        entry.reads.push({ schema, table: name, column: extra });
      else if (kind === 'calls') entry.calls.push({ schema, name, operator: extra === 'operator' });
      else if (kind === 'through') entry.through.push({ schema, name });
    }
  }
  const facts = new Map<string, RelationFact | undefined>();
  refs.forEach((ref, i) => {
    const id = atIndex.get(i + 1);
    facts.set(relationKey(ref.schema, ref.name), id === undefined ? undefined : byOid.get(id));
  });
  return { facts, beforeCatalog };
}

function quote(ident: string): string {
  return `"${ident.replaceAll('"', '""')}"`;
}

// Every name, type, function and operator is qualified with pg_catalog, so nothing in the
// session's pg_temp (searched first for relations and types) can stand in for the catalog.
// Names resolve with to_regclass, exactly as the statement's own names will on this connection.
// One row per name (a row with no name when there are none), each with the first schema the
// connection searches for functions, operators and types.
const FACTS_SQL = `SELECT t.i::pg_catalog.int8, c.oid::pg_catalog.int8, ns.nspname::pg_catalog.text,
  c.relname::pg_catalog.text, c.relkind::pg_catalog.text,
  ARRAY(SELECT a.attname::pg_catalog.text FROM pg_catalog.pg_attribute a
    WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped),
  (SELECT p.s::pg_catalog.text FROM pg_catalog.unnest(pg_catalog.current_schemas(true)) WITH ORDINALITY AS p(s, n)
    WHERE NOT pg_catalog.starts_with(p.s::pg_catalog.text, 'pg_temp') ORDER BY p.n LIMIT 1)
FROM (SELECT 1) AS one
LEFT JOIN pg_catalog.unnest($1::pg_catalog.text[]) WITH ORDINALITY AS t(name, i) ON true
LEFT JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(t.name)
LEFT JOIN pg_catalog.pg_namespace ns ON ns.oid OPERATOR(pg_catalog.=) c.relnamespace`;

// For views and materialized views ($1: their oids): the base-table columns they read, the views
// they read through and the functions and operators they call, at any depth (through pg_depend).
const VIEWS_SQL = `WITH RECURSIVE
views(root, rel, depth) AS (
  SELECT c.oid, c.oid, 0 FROM pg_catalog.pg_class c
  WHERE c.oid OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.int8[]::pg_catalog.oid[])
  UNION ALL
  SELECT v.root, c.oid, v.depth OPERATOR(pg_catalog.+) 1
  FROM views v
  JOIN pg_catalog.pg_rewrite r ON r.ev_class OPERATOR(pg_catalog.=) v.rel
  JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass
    AND d.objid OPERATOR(pg_catalog.=) r.oid
  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) d.refobjid
  WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
    AND d.refobjid OPERATOR(pg_catalog.<>) v.rel
    AND c.relkind OPERATOR(pg_catalog.=) ANY ('{v,m}'::pg_catalog."char"[])
    AND v.depth OPERATOR(pg_catalog.<) 16
),
deps AS (
  SELECT DISTINCT v.root, d.refclassid, d.refobjid, d.refobjsubid
  FROM views v
  JOIN pg_catalog.pg_rewrite r ON r.ev_class OPERATOR(pg_catalog.=) v.rel
  JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass
    AND d.objid OPERATOR(pg_catalog.=) r.oid
  WHERE d.refobjid OPERATOR(pg_catalog.<>) v.rel
)
SELECT 'reads'::pg_catalog.text, deps.root::pg_catalog.int8, ns.nspname::pg_catalog.text, c.relname::pg_catalog.text,
  a.attname::pg_catalog.text
FROM deps
JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) deps.refobjid
JOIN pg_catalog.pg_namespace ns ON ns.oid OPERATOR(pg_catalog.=) c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) c.oid
  AND (a.attnum OPERATOR(pg_catalog.=) deps.refobjsubid
    OR (deps.refobjsubid OPERATOR(pg_catalog.=) 0 AND a.attnum OPERATOR(pg_catalog.>) 0))
  AND NOT a.attisdropped
WHERE deps.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
  AND c.relkind OPERATOR(pg_catalog.<>) ALL ('{v,m}'::pg_catalog."char"[])
UNION ALL
SELECT 'through', v.root::pg_catalog.int8, ns.nspname::pg_catalog.text, c.relname::pg_catalog.text, NULL
FROM views v
JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) v.rel
JOIN pg_catalog.pg_namespace ns ON ns.oid OPERATOR(pg_catalog.=) c.relnamespace
WHERE v.rel OPERATOR(pg_catalog.<>) v.root
UNION ALL
SELECT 'calls', deps.root::pg_catalog.int8, ns.nspname::pg_catalog.text, p.proname::pg_catalog.text, NULL
FROM deps
JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) deps.refobjid
JOIN pg_catalog.pg_namespace ns ON ns.oid OPERATOR(pg_catalog.=) p.pronamespace
WHERE deps.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
UNION ALL
SELECT 'calls', deps.root::pg_catalog.int8, ns.nspname::pg_catalog.text, o.oprname::pg_catalog.text, 'operator'
FROM deps
JOIN pg_catalog.pg_operator o ON o.oid OPERATOR(pg_catalog.=) deps.refobjid
JOIN pg_catalog.pg_namespace ns ON ns.oid OPERATOR(pg_catalog.=) o.oprnamespace
WHERE deps.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_operator'::pg_catalog.regclass`;
