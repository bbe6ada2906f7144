/**
 * Resolves the `tableID`/`columnID` pg reports for each result field to the column's source,
 * `schema.table.column`, so a column masking rule still applies when the query renames the
 * column (`SELECT password AS x`).
 */

/** What the catalog reads from a result field. */
export interface FieldIds {
  readonly tableID: number;
  readonly columnID: number;
}

/** Runs one catalog query on the connection at hand, through the gate's own ticketed path. */
export type CatalogQuery = (text: string) => Promise<readonly (readonly unknown[])[]>;

/** A cache of table columns by table OID. */
export interface ColumnCatalog {
  /**
   * The source of each field (`undefined` for computed columns), looking up tables not in the
   * cache (or whose entry is older than the ttl) with one catalog query.
   *
   * @throws whatever the catalog query throws: a result whose sources cannot be known is not
   * delivered (its column rules could not be applied).
   */
  sources(fields: readonly FieldIds[], query: CatalogQuery): Promise<readonly (string | undefined)[]>;
  /**
   * {@link ColumnCatalog.sources} when every table of the fields is cached and fresh (no query
   * needed), else `undefined`.
   */
  known(fields: readonly FieldIds[]): readonly (string | undefined)[] | undefined;
  /** Forgets everything: the gate calls it after DDL, which may rename or recreate tables. */
  invalidate(): void;
}

interface TableEntry {
  readonly at: number;
  readonly columns: ReadonlyMap<number, string>;
}

/**
 * Creates a column catalog cache. Entries live `ttlMs` (default 60 s) so that DDL run by other
 * processes is picked up; DDL through this gate invalidates at once.
 *
 * @example
 * ```ts
 * const catalog = createColumnCatalog();
 * await catalog.sources(result.fields, (text) => runInternal(client, text)); // ['public.users.password']
 * ```
 */
export function createColumnCatalog(
  options: { readonly ttlMs?: number; readonly now?: () => number } = {},
): ColumnCatalog {
  const ttlMs = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  let tables = new Map<number, TableEntry>();

  return {
    async sources(fields, query) {
      const at = now();
      const missing = new Set<number>();
      for (const field of fields) {
        if (!isOid(field.tableID) || field.tableID === 0) continue;
        const entry = tables.get(field.tableID);
        if (entry === undefined || at - entry.at > ttlMs) missing.add(field.tableID);
      }
      if (missing.size > 0) {
        const rows = await query(catalogSql([...missing]));
        const found = new Map<number, Map<number, string>>();
        for (const id of missing) found.set(id, new Map());
        for (const row of rows) {
          const [tableId, columnId, schema, table, column] = row;
          const columns = found.get(Number(tableId));
          if (
            columns !== undefined &&
            typeof schema === 'string' &&
            typeof table === 'string' &&
            typeof column === 'string'
          ) {
            columns.set(Number(columnId), `${schema}.${table}.${column}`);
          }
        }
        // Only the tables asked for are replaced; a concurrent invalidate() wins (new map).
        const current = tables;
        for (const [id, columns] of found) current.set(id, { at, columns });
      }
      return fields.map((field) =>
        field.tableID === 0 ? undefined : tables.get(field.tableID)?.columns.get(field.columnID),
      );
    },
    known(fields) {
      const at = now();
      const out: (string | undefined)[] = [];
      for (const field of fields) {
        if (field.tableID === 0) {
          out.push(undefined);
          continue;
        }
        if (!isOid(field.tableID)) return undefined;
        const entry = tables.get(field.tableID);
        if (entry === undefined || at - entry.at > ttlMs) return undefined;
        out.push(entry.columns.get(field.columnID));
      }
      return out;
    },
    invalidate() {
      tables = new Map();
    },
  };
}

function isOid(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}

/**
 * The catalog query for some table OIDs. The OIDs are integers checked by {@link isOid}, so
 * they are written inline and the query runs on the simple protocol (one ticket, one round
 * trip). Dropped columns are left out; system columns (negative attnum, `ctid`) are kept.
 */
function catalogSql(tableIds: readonly number[]): string {
  // Every relation, type and operator is qualified with pg_catalog: the temporary schema is
  // searched first for relations and types, so a session's pg_temp could otherwise shadow them.
  return (
    'SELECT c.oid::pg_catalog.int8, a.attnum::pg_catalog.int4, n.nspname::pg_catalog.text, ' +
    'c.relname::pg_catalog.text, a.attname::pg_catalog.text ' +
    'FROM pg_catalog.pg_attribute a ' +
    'JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.attrelid ' +
    'JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace ' +
    `WHERE a.attrelid OPERATOR(pg_catalog.=) ANY (ARRAY[${tableIds.map((id) => `${id}::pg_catalog.oid`).join(', ')}]::pg_catalog.oid[]) ` +
    'AND NOT a.attisdropped'
  );
}
