// Column lineage of an SQL text, from its parse tree: which protected columns (those a column
// masking rule covers) each output column is made from, and where else a protected column is
// read. Pure: nothing runs and no catalog is read, so it is conservative where only the catalog
// could tell (an unqualified column is taken to come from every table in scope that could hold
// it; a whole row `t`, `t.*` or `row_to_json(t)` from every protected column of `t`).
// docs/security-model.md ("Column rules and lineage") describes the model.
import { isObj, list, str, unwrap, type SqlObj } from './names.js';
import { parseSql } from './parser.js';

/**
 * Answers whether a column is protected, with a label naming it for reasons (for instance
 * `public.api_keys.secret`). `column` undefined asks about a whole row of the table: answer with
 * a label when any of its columns may be protected.
 */
export type ProtectedColumn = (
  schema: string | undefined,
  table: string,
  column: string | undefined,
) => string | undefined;

/** Where one output column of a statement comes from. */
export type OutputLineage =
  /** Straight from a protected column (through subqueries and CTEs only): mask it by its rule. */
  | {
      readonly kind: 'bare';
      readonly label: string;
      readonly schema: string | undefined;
      readonly table: string;
      readonly column: string;
    }
  /** Computed from protected columns: redact it, whatever the rule's style. */
  | { readonly kind: 'derived'; readonly label: string }
  /** Made from no protected column. */
  | { readonly kind: 'clean' };

/** The lineage of one top-level statement. */
export interface StatementLineage {
  /**
   * One entry per output column, in order; undefined when their positions cannot be known (a
   * `*` over a table, whose columns only the catalog knows).
   */
  readonly outputs: readonly OutputLineage[] | undefined;
  /** Set when some output is computed from a protected column (for outputs whose position is unknown). */
  readonly derived: string | undefined;
}

/** The column lineage of an SQL text. */
export interface SqlLineage {
  /** Why the text must not run: a protected column is read outside an output, or lineage is unknowable. */
  readonly denied: string | undefined;
  /** One entry per top-level statement. */
  readonly statements: readonly StatementLineage[];
}

const CLEAN: OutputLineage = Object.freeze({ kind: 'clean' });
const MAX_DEPTH = 200;

interface Item {
  /** The alias (or table name) it is referred to by. */
  readonly name: string;
  /** A base table … */
  readonly table?: { readonly schema: string | undefined; readonly name: string };
  /** … or a derived relation (subquery, CTE) with named outputs … */
  readonly outputs?: readonly { readonly name: string | undefined; readonly lineage: OutputLineage }[];
  /** A base table whose columns the query renamed (`t(a, b, c)`): which is which needs the catalog. */
  readonly renamed?: boolean;
  /** … or something whose columns cannot be known (a function in FROM, VALUES). */
  readonly opaque?: boolean;
}

interface Scope {
  readonly items: readonly Item[];
  readonly ctes: ReadonlyMap<
    string,
    readonly { readonly name: string | undefined; readonly lineage: OutputLineage }[]
  >;
  readonly parent: Scope | undefined;
}

class Analysis {
  denied: string | undefined;
  constructor(readonly isProtected: ProtectedColumn) {}

  deny(reason: string): void {
    this.denied ??= reason;
  }

  /** Outputs of a query body (SelectStmt contents), denying protected reads outside its outputs. */
  select(
    body: SqlObj,
    parent: Scope | undefined,
    depth: number,
  ): { outputs: OutputLineage[] | undefined; names: (string | undefined)[]; derived: string | undefined } {
    if (depth > MAX_DEPTH) {
      this.deny('the query is too deeply nested for the gate to know which columns it reads');
      return { outputs: undefined, names: [], derived: undefined };
    }
    const ctes = new Map(parent?.ctes ?? []);
    const withClause = body['withClause'];
    if (isObj(withClause)) {
      for (const cte of list(withClause['ctes'])) {
        const c = unwrap(cte)?.[1];
        const name = str(c?.['ctename']);
        if (c === undefined || name === undefined) continue;
        const inner = unwrap(c['ctequery']);
        const scope: Scope = { items: [], ctes, parent };
        let out: { name: string | undefined; lineage: OutputLineage }[] = [];
        if (inner?.[0] === 'SelectStmt') {
          const r = this.select(inner[1], scope, depth + 1);
          const aliases = list(c['aliascolnames']).map((a) => str(unwrap(a)?.[1]['sval']));
          out = (r.outputs ?? []).map((lineage, i) => ({ name: aliases[i] ?? r.names[i], lineage }));
          if (r.outputs === undefined && r.derived !== undefined)
            out.push({ name: undefined, lineage: { kind: 'derived', label: r.derived } });
        } else if (inner !== undefined) {
          // A data-modifying CTE: its RETURNING is read like a statement's.
          this.generic(inner[1], scope, depth + 1);
        }
        ctes.set(name, out);
      }
    }
    const op = str(body['op']);
    if (op !== undefined && op !== 'SETOP_NONE') {
      const scope: Scope = { items: [], ctes, parent };
      const l = isObj(body['larg']) ? this.select(body['larg'], scope, depth + 1) : undefined;
      const r = isObj(body['rarg']) ? this.select(body['rarg'], scope, depth + 1) : undefined;
      this.denyReads(body, scope, ['larg', 'rarg', 'withClause', 'op'], depth);
      const derived = l?.derived ?? r?.derived;
      if (l?.outputs === undefined || r?.outputs === undefined)
        return {
          outputs: undefined,
          names: l?.names ?? [],
          derived: derived ?? firstProtected([...(l?.outputs ?? []), ...(r?.outputs ?? [])]),
        };
      // Each output is any of its branches: a bare column in one branch and something else in
      // another is no longer a bare reference.
      const outputs = l.outputs.map((a, i) => branches(a, r.outputs?.[i] ?? CLEAN));
      return { outputs, names: l.names, derived };
    }
    const items: Item[] = [];
    const scope: Scope = { items, ctes, parent };
    for (const from of list(body['fromClause'])) this.fromItem(from, scope, items, depth);
    // VALUES lists: outputs computed from their expressions.
    const values = list(body['valuesLists']);
    if (values.length > 0) {
      const first = list(unwrap(values[0])?.[1]['items']);
      const outputs = first.map((_, i) => {
        let acc: OutputLineage = CLEAN;
        for (const row of values)
          acc = merge(acc, this.expr(list(unwrap(row)?.[1]['items'])[i], scope, depth + 1), true);
        return acc;
      });
      return { outputs, names: outputs.map(() => undefined), derived: firstProtected(outputs) };
    }
    this.denyReads(
      body,
      scope,
      ['targetList', 'fromClause', 'withClause', 'op', 'valuesLists', 'intoClause'],
      depth,
    );
    const outputs: OutputLineage[] = [];
    const names: (string | undefined)[] = [];
    let known = true;
    let derived: string | undefined;
    for (const target of list(body['targetList'])) {
      const t = unwrap(target)?.[1];
      const val = t?.['val'];
      const star = starOf(val);
      if (star !== undefined) {
        const expanded = this.expandStar(star, scope);
        if (expanded === undefined) known = false;
        else
          for (const o of expanded) {
            outputs.push(o.lineage);
            names.push(o.name);
          }
        continue;
      }
      const lineage = this.expr(val, scope, depth + 1);
      if (lineage.kind === 'derived') derived ??= lineage.label;
      outputs.push(lineage);
      names.push(str(t?.['name']) ?? columnNameOf(val));
    }
    return {
      outputs: known ? outputs : undefined,
      names,
      derived: derived ?? (known ? undefined : firstDerived(outputs)),
    };
  }

  /** Adds one FROM item (and its joins) to the scope, denying protected reads in join conditions. */
  fromItem(value: unknown, scope: Scope, items: Item[], depth: number): void {
    const node = unwrap(value);
    if (node === undefined) return;
    const [type, body] = node;
    const alias = str(isObj(body['alias']) ? body['alias']['aliasname'] : undefined);
    if (type === 'RangeVar') {
      const relname = str(body['relname']) ?? '';
      const schema = str(body['schemaname']);
      const cte = schema === undefined ? lookupCte(scope, relname) : undefined;
      if (cte !== undefined) items.push({ name: alias ?? relname, outputs: cte });
      else {
        const renamed = isObj(body['alias']) && list(body['alias']['colnames']).length > 0;
        items.push({
          name: alias ?? relname,
          table: { schema, name: relname },
          ...(renamed ? { renamed } : {}),
        });
      }
    } else if (type === 'RangeSubselect') {
      const inner = unwrap(body['subquery']);
      // LATERAL subqueries see the items before them.
      const sub =
        inner?.[0] === 'SelectStmt'
          ? this.select(
              inner[1],
              body['lateral'] === true ? scope : { items: [], ctes: scope.ctes, parent: scope.parent },
              depth + 1,
            )
          : undefined;
      const aliases = isObj(body['alias'])
        ? list(body['alias']['colnames']).map((a) => str(unwrap(a)?.[1]['sval']))
        : [];
      if (sub?.outputs === undefined) {
        items.push({ name: alias ?? '', opaque: true });
        if (sub?.derived !== undefined)
          this.deny(
            `a subquery whose columns the gate cannot place reads the protected column ${sub.derived}`,
          );
      } else {
        items.push({
          name: alias ?? '',
          outputs: sub.outputs.map((lineage, i) => ({ name: aliases[i] ?? sub.names[i], lineage })),
        });
      }
    } else if (type === 'JoinExpr') {
      this.fromItem(body['larg'], scope, items, depth);
      this.fromItem(body['rarg'], scope, items, depth);
      this.readOnly(body['quals'], scope, depth, 'a join condition');
      for (const using of list(body['usingClause'])) {
        const name = str(unwrap(using)?.[1]['sval']);
        if (name !== undefined)
          this.readOnly(
            { ColumnRef: { fields: [{ String: { sval: name } }] } },
            scope,
            depth,
            'a join condition',
          );
      }
    } else {
      // A function, VALUES, XMLTABLE, …: its arguments are reads; its columns unknown.
      this.readOnly(body, scope, depth, 'a FROM item');
      items.push({ name: alias ?? '', opaque: true });
    }
  }

  /** Every field of `body` but `skip` is a read that must not touch a protected column. */
  denyReads(body: SqlObj, scope: Scope, skip: readonly string[], depth: number): void {
    for (const [key, value] of Object.entries(body)) {
      if (skip.includes(key)) continue;
      this.readOnly(value, scope, depth, clauseName(key));
    }
  }

  readOnly(value: unknown, scope: Scope, depth: number, where: string): void {
    const lineage = this.expr(value, scope, depth + 1);
    if (lineage.kind !== 'clean')
      this.deny(
        `the protected column ${lineage.label} is read in ${where}; its column rule allows it only as a result column`,
      );
  }

  /** The lineage of an expression; subqueries inside it are analysed (their own reads denied). */
  expr(value: unknown, scope: Scope, depth: number): OutputLineage {
    if (depth > MAX_DEPTH) {
      this.deny('the query is too deeply nested for the gate to know which columns it reads');
      return CLEAN;
    }
    if (Array.isArray(value)) {
      let acc: OutputLineage = CLEAN;
      for (const v of value) acc = merge(acc, this.expr(v, scope, depth + 1), true);
      return acc;
    }
    if (!isObj(value)) return CLEAN;
    const node = unwrap(value);
    if (node !== undefined) {
      const [type, body] = node;
      if (type === 'ColumnRef') return this.columnRef(list(body['fields']), scope);
      if (type === 'SubLink') {
        this.readOnly(body['testexpr'], scope, depth, 'a subquery comparison');
        const inner = unwrap(body['subselect']);
        if (inner?.[0] !== 'SelectStmt') return CLEAN;
        const r = this.select(inner[1], scope, depth + 1);
        const label = r.derived ?? firstProtected(r.outputs ?? []);
        // EXISTS/IN/ANY… turn the subquery's rows into a truth value: a read, not an output.
        if (
          label !== undefined &&
          str(body['subLinkType']) !== 'EXPR_SUBLINK' &&
          str(body['subLinkType']) !== 'ARRAY_SUBLINK'
        ) {
          this.deny(
            `the protected column ${label} is read in a subquery condition; its column rule allows it only as a result column`,
          );
          return CLEAN;
        }
        return label === undefined ? CLEAN : { kind: 'derived', label };
      }
      if (type === 'SelectStmt') {
        const r = this.select(body, scope, depth + 1);
        const label = r.derived ?? firstProtected(r.outputs ?? []);
        return label === undefined ? CLEAN : { kind: 'derived', label };
      }
      if (type === 'FuncCall') {
        // Arguments (and FILTER / OVER) feed the result; ORDER BY inside an aggregate and
        // FILTER only choose rows, which is inference.
        this.readOnly(body['agg_filter'], scope, depth, 'an aggregate FILTER');
        this.readOnly(body['agg_order'], scope, depth, 'an aggregate ORDER BY');
        this.readOnly(body['over'], scope, depth, 'a window definition');
        return derive(this.expr(body['args'], scope, depth + 1));
      }
      if (type === 'CaseExpr') {
        // The WHEN conditions choose the value: reading a protected column there is inference.
        for (const when of list(body['args'])) {
          const w = unwrap(when)?.[1];
          this.readOnly(w?.['expr'], scope, depth, 'a CASE condition');
        }
        this.readOnly(body['arg'], scope, depth, 'a CASE condition');
        return derive(
          merge(
            this.expr(
              list(body['args']).map((w) => unwrap(w)?.[1]['result']),
              scope,
              depth + 1,
            ),
            this.expr(body['defresult'], scope, depth + 1),
            true,
          ),
        );
      }
      return derive(this.fields(body, scope, depth));
    }
    return derive(this.fields(value, scope, depth));
  }

  fields(body: SqlObj, scope: Scope, depth: number): OutputLineage {
    let acc: OutputLineage = CLEAN;
    for (const [key, v] of Object.entries(body)) {
      if (key === 'location') continue;
      acc = merge(acc, this.expr(v, scope, depth + 1), true);
    }
    return acc;
  }

  columnRef(fields: readonly unknown[], scope: Scope): OutputLineage {
    const parts = fields.map((f) => {
      const n = unwrap(f);
      return n?.[0] === 'A_Star' ? '*' : (str(n?.[1]['sval']) ?? '');
    });
    const last = parts.at(-1) ?? '';
    if (last === '*') {
      const expanded = this.expandStar(parts.slice(0, -1), scope);
      const label =
        expanded === undefined
          ? this.wholeRowLabel(parts.slice(0, -1), scope)
          : firstProtected(expanded.map((o) => o.lineage));
      return label === undefined ? CLEAN : { kind: 'derived', label };
    }
    if (parts.length === 1) {
      // A column of any item in scope, or a whole row of an item named so.
      let found: OutputLineage = CLEAN;
      for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) {
        for (const item of s.items) found = merge(found, this.columnOf(item, last), true);
        const whole = s.items.find((i) => i.name === last);
        if (whole !== undefined) {
          const label = this.wholeRowLabel([last], s);
          if (label !== undefined) found = merge(found, { kind: 'derived', label }, true);
        }
      }
      return found;
    }
    // qualifier.column (or schema.table.column): the item so named, or a whole row's field.
    const qualifier = parts.at(-2) ?? '';
    const schema = parts.length >= 3 ? parts.at(-3) : undefined;
    for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) {
      const item = s.items.find(
        (i) => i.name === qualifier && (schema === undefined || i.table?.schema === schema),
      );
      if (item !== undefined) return this.columnOf(item, last);
    }
    return CLEAN;
  }

  columnOf(item: Item, column: string): OutputLineage {
    if (item.table !== undefined && item.renamed === true) {
      // Renamed columns: any of them may be a protected one.
      const label = this.isProtected(item.table.schema, item.table.name, undefined);
      return label === undefined ? CLEAN : { kind: 'derived', label };
    }
    if (item.table !== undefined) {
      const label = this.isProtected(item.table.schema, item.table.name, column);
      return label === undefined
        ? CLEAN
        : { kind: 'bare', label, schema: item.table.schema, table: item.table.name, column };
    }
    if (item.outputs !== undefined) {
      let acc: OutputLineage = CLEAN;
      for (const o of item.outputs)
        if (o.name === column || o.name === undefined) acc = merge(acc, o.lineage, true);
      return acc;
    }
    return CLEAN;
  }

  /** The outputs of `*` or `q.*`, or undefined when a table (whose columns only the catalog knows) is in it. */
  expandStar(
    qualifier: readonly string[],
    scope: Scope,
  ): { name: string | undefined; lineage: OutputLineage }[] | undefined {
    const q = qualifier.at(-1);
    const items = q === undefined ? scope.items : scope.items.filter((i) => i.name === q);
    const out: { name: string | undefined; lineage: OutputLineage }[] = [];
    for (const item of items) {
      if (item.outputs === undefined) return undefined;
      out.push(...item.outputs);
    }
    return out;
  }

  wholeRowLabel(qualifier: readonly string[], scope: Scope): string | undefined {
    const q = qualifier.at(-1);
    for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) {
      for (const item of s.items) {
        if (q !== undefined && item.name !== q) continue;
        if (item.table !== undefined) {
          const label = this.isProtected(item.table.schema, item.table.name, undefined);
          if (label !== undefined) return label;
        } else if (item.outputs !== undefined) {
          const label = firstProtected(item.outputs.map((o) => o.lineage));
          if (label !== undefined) return label;
        }
      }
      if (q === undefined) break;
    }
    return undefined;
  }

  /** Any other statement: every protected column it reads is denied (it would copy or filter on it). */
  generic(body: SqlObj, parent: Scope | undefined, depth: number): void {
    const items: Item[] = [];
    const scope: Scope = { items, ctes: parent?.ctes ?? new Map(), parent };
    const relation = body['relation'];
    if (isObj(relation))
      this.fromItem('RangeVar' in relation ? relation : { RangeVar: relation }, scope, items, depth);
    for (const key of ['fromClause', 'usingClause'])
      for (const from of list(body[key])) this.fromItem(from, scope, items, depth);
    for (const [key, value] of Object.entries(body)) {
      if (key === 'relation' || key === 'fromClause' || key === 'usingClause') continue;
      const inner = unwrap(value);
      if (inner?.[0] === 'SelectStmt') {
        const r = this.select(inner[1], scope, depth + 1);
        const label = r.derived ?? firstProtected(r.outputs ?? []);
        if (label !== undefined)
          this.deny(
            `the protected column ${label} would be copied or kept by this statement; its column rule allows it only as a result column`,
          );
        continue;
      }
      this.readOnly(value, scope, depth, 'this statement');
    }
  }
}

/**
 * The column lineage of an SQL text (see the module comment). A text that does not parse has no
 * lineage and is not denied here (the server cannot run it either).
 *
 * @example
 * ```ts
 * const rule: ProtectedColumn = (s, t, c) => (t === 'api_keys' && (c === 'secret' || c === undefined) ? 'public.api_keys.secret' : undefined);
 * sqlLineage("SELECT secret || '' FROM api_keys", rule).statements[0].outputs; // [{ kind: 'derived', … }]
 * sqlLineage("SELECT id FROM api_keys WHERE secret LIKE 'a%'", rule).denied;  // 'the protected column …'
 * ```
 * @throws TypeError if called before `loadSqlClassifier()` resolved.
 */
export function sqlLineage(sql: string, isProtected: ProtectedColumn): SqlLineage {
  let tree: unknown;
  try {
    tree = parseSql(sql);
  } catch (err) {
    if (err instanceof TypeError) throw err;
    return { denied: undefined, statements: [] };
  }
  const analysis = new Analysis(isProtected);
  const statements: StatementLineage[] = [];
  for (const raw of list(isObj(tree) ? tree['stmts'] : undefined)) {
    const stmt = unwrap(isObj(raw) ? raw['stmt'] : undefined);
    if (stmt === undefined) continue;
    const [type, body] = stmt;
    if (type === 'SelectStmt') {
      if (body['intoClause'] !== undefined) analysis.generic(body, undefined, 0);
      const r = analysis.select(body, undefined, 0);
      if (body['intoClause'] !== undefined && (r.derived ?? firstProtected(r.outputs ?? [])) !== undefined) {
        analysis.deny(
          `the protected column ${r.derived ?? firstProtected(r.outputs ?? []) ?? ''} would be copied by SELECT INTO`,
        );
      }
      statements.push({ outputs: r.outputs, derived: r.derived });
    } else {
      // COPY of a whole table with protected columns copies them out unmasked.
      const rel = type === 'CopyStmt' && isObj(body['relation']) ? body['relation'] : undefined;
      const relname = str(rel?.['relname']);
      if (rel !== undefined && relname !== undefined) {
        const label = isProtected(str(rel['schemaname']), relname, undefined);
        if (label !== undefined) analysis.deny(`COPY would copy the protected column ${label} unmasked`);
      }
      analysis.generic(body, undefined, 0);
      statements.push({ outputs: undefined, derived: undefined });
    }
  }
  return { denied: analysis.denied, statements };
}

function lookupCte(scope: Scope, name: string): Item['outputs'] {
  return scope.ctes.get(name);
}

function starOf(val: unknown): string[] | undefined {
  const node = unwrap(val);
  if (node?.[0] !== 'ColumnRef') return undefined;
  const fields = list(node[1]['fields']);
  if (unwrap(fields.at(-1))?.[0] !== 'A_Star') return undefined;
  return fields.slice(0, -1).map((f) => str(unwrap(f)?.[1]['sval']) ?? '');
}

function columnNameOf(val: unknown): string | undefined {
  const node = unwrap(val);
  if (node?.[0] !== 'ColumnRef') return undefined;
  return str(unwrap(list(node[1]['fields']).at(-1))?.[1]['sval']);
}

/** Anything computed from a column is no longer a bare reference. */
function derive(l: OutputLineage): OutputLineage {
  return l.kind === 'bare' ? { kind: 'derived', label: l.label } : l;
}

/** Two sources of one value; `combine` (an expression of both) makes any bare reference derived. */
function merge(a: OutputLineage, b: OutputLineage, combine = false): OutputLineage {
  if (a.kind === 'clean') return b;
  if (b.kind === 'clean') return a;
  if (a.kind === 'bare' && b.kind === 'bare' && a.label === b.label && !combine) return a;
  return { kind: 'derived', label: a.label };
}

/** One output of a set operation: bare only when both branches are the same bare column. */
function branches(a: OutputLineage, b: OutputLineage): OutputLineage {
  if (a.kind === 'clean' && b.kind === 'clean') return CLEAN;
  if (a.kind === 'bare' && b.kind === 'bare' && a.label === b.label) return a;
  return { kind: 'derived', label: a.kind === 'clean' ? (b as { label: string }).label : a.label };
}

function firstProtected(outputs: readonly OutputLineage[]): string | undefined {
  for (const o of outputs) if (o.kind !== 'clean') return o.label;
  return undefined;
}

function firstDerived(outputs: readonly OutputLineage[]): string | undefined {
  for (const o of outputs) if (o.kind === 'derived') return o.label;
  return undefined;
}

function clauseName(key: string): string {
  switch (key) {
    case 'whereClause':
      return 'a WHERE condition';
    case 'groupClause':
      return 'GROUP BY';
    case 'havingClause':
      return 'HAVING';
    case 'sortClause':
      return 'ORDER BY';
    case 'distinctClause':
      return 'DISTINCT ON';
    case 'windowClause':
      return 'a window definition';
    default:
      return key.replace(/Clause$/, '');
  }
}
