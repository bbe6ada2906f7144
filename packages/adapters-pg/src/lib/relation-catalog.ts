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
  const facts = new Map<string, RelationFact | undefined>();
  const names = refs.map((r) =>
    r.schema === undefined ? quote(r.name) : `${quote(r.schema)}.${quote(r.name)}`,
  );
  const rows = await query(RELATIONS_SQL, [names]);
  let beforeCatalog: string | undefined;
  for (const [kind, , , schema] of rows)
    if (kind === 'path' && typeof schema === 'string' && schema !== 'pg_catalog') beforeCatalog = schema;
  const byOid = new Map<
    string,
    {
      fact: RelationFact;
      columns: string[];
      reads: RelationFact['reads'][number][];
      calls: RelationFact['calls'][number][];
    }
  >();
  const atIndex = new Map<number, string>();
  for (const [kind, i, oid, schema, name, extra] of rows) {
    if (kind !== 'relation' || typeof schema !== 'string' || typeof name !== 'string') continue;
    const id = String(oid);
    atIndex.set(Number(i), id);
    if (byOid.has(id)) continue;
    const entry = {
      columns: [] as string[],
      reads: [] as RelationFact['reads'][number][],
      calls: [] as RelationFact['calls'][number][],
    };
    byOid.set(id, {
      ...entry,
      fact: {
        schema,
        name,
        kind: String(extra),
        columns: entry.columns,
        reads: entry.reads,
        calls: entry.calls,
      },
    });
  }
  for (const [kind, , oid, schema, name, extra] of rows) {
    const entry = byOid.get(String(oid));
    if (entry === undefined || typeof name !== 'string') continue;
    if (kind === 'column') entry.columns.push(name);
    else if (kind === 'reads' && typeof schema === 'string' && typeof extra === 'string')
      entry.reads.push({ schema, table: name, column: extra });
    else if (kind === 'calls' && typeof schema === 'string')
      entry.calls.push({ schema, name, operator: extra === 'operator' });
  }
  refs.forEach((ref, i) => {
    const id = atIndex.get(i + 1);
    facts.set(relationKey(ref.schema, ref.name), id === undefined ? undefined : byOid.get(id)?.fact);
  });
  return { facts, beforeCatalog };
}

function quote(ident: string): string {
  return `"${ident.replaceAll('"', '""')}"`;
}

// Every name, type, function and operator is qualified with pg_catalog, so nothing in the
// session's pg_temp (searched first for relations and types) can stand in for the catalog.
// Names resolve with to_regclass, exactly as the statement's own names will on this connection.
const RELATIONS_SQL = `WITH RECURSIVE
named AS (
  SELECT t.i, pg_catalog.to_regclass(t.name)::pg_catalog.oid AS rel
  FROM pg_catalog.unnest($1::pg_catalog.text[]) WITH ORDINALITY AS t(name, i)
),
views(root, rel, depth) AS (
  SELECT c.oid, c.oid, 0 FROM pg_catalog.pg_class c
  WHERE c.oid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT n.rel FROM named n))
    AND c.relkind OPERATOR(pg_catalog.=) ANY ('{v,m}'::pg_catalog."char"[])
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
SELECT 'relation'::pg_catalog.text, n.i::pg_catalog.int8, c.oid::pg_catalog.int8, ns.nspname::pg_catalog.text,
  c.relname::pg_catalog.text, c.relkind::pg_catalog.text
FROM named n
JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) n.rel
JOIN pg_catalog.pg_namespace ns ON ns.oid OPERATOR(pg_catalog.=) c.relnamespace
UNION ALL
SELECT 'column', NULL, a.attrelid::pg_catalog.int8, NULL, a.attname::pg_catalog.text, NULL
FROM pg_catalog.pg_attribute a
WHERE a.attrelid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT n.rel FROM named n))
  AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
UNION ALL
SELECT 'reads', NULL, deps.root::pg_catalog.int8, ns.nspname::pg_catalog.text, c.relname::pg_catalog.text,
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
SELECT 'calls', NULL, deps.root::pg_catalog.int8, ns.nspname::pg_catalog.text, p.proname::pg_catalog.text, NULL
FROM deps
JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) deps.refobjid
JOIN pg_catalog.pg_namespace ns ON ns.oid OPERATOR(pg_catalog.=) p.pronamespace
WHERE deps.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
UNION ALL
SELECT 'calls', NULL, deps.root::pg_catalog.int8, ns.nspname::pg_catalog.text, o.oprname::pg_catalog.text, 'operator'
FROM deps
JOIN pg_catalog.pg_operator o ON o.oid OPERATOR(pg_catalog.=) deps.refobjid
JOIN pg_catalog.pg_namespace ns ON ns.oid OPERATOR(pg_catalog.=) o.oprnamespace
WHERE deps.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_operator'::pg_catalog.regclass
UNION ALL
SELECT 'path', NULL, NULL, (
  SELECT p.s::pg_catalog.text
  FROM pg_catalog.unnest(pg_catalog.current_schemas(true)) WITH ORDINALITY AS p(s, i)
  WHERE NOT pg_catalog.starts_with(p.s::pg_catalog.text, 'pg_temp')
  ORDER BY p.i LIMIT 1
), NULL, NULL`;
