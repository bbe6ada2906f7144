// Column lineage of an SQL text, from its parse tree: which protected columns (those a column
// masking rule covers) each output column is made from, and where else a protected column is
// read. Pure: nothing runs and no catalog is read, so it is conservative where only the catalog
// could tell (an unqualified column is taken to come from every table in scope that could hold
// it; a whole row `t`, `t.*` or `row_to_json(t)` from every protected column of `t`), and it
// denies what it cannot follow at all (a function other than a built-in that computes from its
// arguments, a DO block, the planner's statistics of every column).
// docs/security-model.md ("Column rules protect reads") describes the model.
import { isSafeFunction, isSafeOperator, isTransparentFunction } from './functions.js';
import { isObj, list, nameParts, renderName, str, unwrap, type SqlObj } from './names.js';
import { parseSql } from './parser.js';

/** How a protected column is protected, beyond its label (see {@link ProtectedColumn}). */
export interface ColumnProtection {
  /** Names the column (or the rule) in reasons, for instance `public.api_keys.secret`. */
  readonly label: string;
  /**
   * Its rule allows reading it in predicates — WHERE, JOIN conditions, ORDER BY, GROUP BY,
   * HAVING, DISTINCT ON, CASE conditions, FILTER, window definitions, LIMIT, subquery
   * conditions — where it chooses or orders rows but is not shown. Default false: denied there.
   */
  readonly predicates?: boolean;
  /**
   * Its values may be computed from protected columns (a column of a view over a protected
   * table): never a bare reference, so an output of it is redacted, not masked by a rule.
   */
  readonly computed?: boolean;
}

/**
 * Answers whether a column is protected: a label naming it for reasons (for instance
 * `public.api_keys.secret`), or a {@link ColumnProtection}. `column` undefined asks about a whole
 * row of the table: answer when any of its columns may be protected.
 */
export type ProtectedColumn = (
  schema: string | undefined,
  table: string,
  column: string | undefined,
) => string | ColumnProtection | undefined;

/** Where one output column of a statement comes from. */
export type OutputLineage =
  /** Straight from a protected column (through subqueries and CTEs only): mask it by its rule. */
  | {
      readonly kind: 'bare';
      readonly label: string;
      readonly schema: string | undefined;
      readonly table: string;
      readonly column: string;
      /** A protected column in it whose rule does not allow predicates, if any. */
      readonly strict: string | undefined;
    }
  /** Computed from protected columns: redact it, whatever the rule's style. */
  | { readonly kind: 'derived'; readonly label: string; readonly strict: string | undefined }
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

/** A relation the text names (a table, view, …; never a CTE), as written. */
export interface RelationRef {
  readonly schema: string | undefined;
  readonly name: string;
}

/** The column lineage of an SQL text. */
export interface SqlLineage {
  /** Why the text must not run: a protected column is read outside an output, or lineage is unknowable. */
  readonly denied: string | undefined;
  /** One entry per top-level statement. */
  readonly statements: readonly StatementLineage[];
  /** Every relation the text names, once each, in order (for an adapter that resolves them). */
  readonly relations: readonly RelationRef[];
  /**
   * A protected column the text reads anywhere it is allowed to (a result column, or a predicate
   * its rule allows): an error of the statement may echo its value.
   */
  readonly reads: string | undefined;
}

/** Options of {@link sqlLineage}. */
export interface SqlLineageOptions {
  /**
   * The text of the `PREPARE name AS …` statement a prepared statement was made from, so that
   * `EXECUTE name` has the lineage of its query; undefined (or no option): unknowable, denied.
   */
  readonly prepared?: (name: string) => string | undefined;
}

type Protected = Exclude<OutputLineage, { readonly kind: 'clean' }>;

const CLEAN: OutputLineage = Object.freeze({ kind: 'clean' });
const MAX_DEPTH = 200;

// Catalog relations that show sampled values of every table's columns (the planner's
// statistics): nothing a column rule covers may be read through them.
const STATISTICS: ReadonlySet<string> = new Set([
  'pg_stats',
  'pg_stats_ext',
  'pg_stats_ext_exprs',
  'pg_statistic',
  'pg_statistic_ext_data',
]);

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

interface Selected {
  readonly outputs: OutputLineage[] | undefined;
  readonly names: (string | undefined)[];
  /** Some output computed from a protected column (or any protected one when positions are unknown). */
  readonly derived: Protected | undefined;
}

class Analysis {
  denied: string | undefined;
  reads: string | undefined;
  readonly relations: RelationRef[] = [];
  readonly #seen = new Set<string>();
  readonly #preparing = new Set<string>();

  constructor(
    readonly isProtected: ProtectedColumn,
    readonly options: SqlLineageOptions,
  ) {}

  deny(reason: string): void {
    this.denied ??= reason;
  }

  /** The protection of a column (or whole row), normalised. */
  protection(
    schema: string | undefined,
    table: string,
    column: string | undefined,
  ): { label: string; predicates: boolean; computed: boolean } | undefined {
    const answer = this.isProtected(schema, table, column);
    if (answer === undefined) return undefined;
    if (typeof answer === 'string') return { label: answer, predicates: false, computed: false };
    return {
      label: answer.label,
      predicates: answer.predicates === true,
      computed: answer.computed === true,
    };
  }

  noteRelation(schema: string | undefined, name: string): void {
    const key = `${schema ?? ''}\u0000${name}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.relations.push({ schema, name });
  }

  /** Outputs of a query body (SelectStmt contents), denying protected reads outside its outputs. */
  select(body: SqlObj, parent: Scope | undefined, depth: number): Selected {
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
            out.push({ name: undefined, lineage: r.derived });
          // SEARCH … SET col / CYCLE … SET col add columns made from the columns they name.
          if (c['search_clause'] !== undefined || c['cycle_clause'] !== undefined)
            out.push({
              name: undefined,
              lineage: derive(anyOf(r.outputs ?? (r.derived === undefined ? [] : [r.derived]))),
            });
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
      const derived = l?.derived ?? r?.derived;
      // Each output is any of its branches: a bare column in one branch and something else in
      // another is no longer a bare reference.
      const outputs =
        l?.outputs === undefined || r?.outputs === undefined
          ? undefined
          : l.outputs.map((a, i) => branches(a, r.outputs?.[i] ?? CLEAN));
      const every = outputs ?? [
        derived ?? asLineage(asDerived(anyOf([...(l?.outputs ?? []), ...(r?.outputs ?? [])]))),
      ];
      // UNION (without ALL), INTERSECT and EXCEPT compare the rows of their branches: whether a
      // guess in one branch matches a protected value in the other shows in the result.
      if (op !== 'SETOP_UNION' || body['all'] !== true)
        this.predicate(anyOf(every), `a ${op.replace('SETOP_', '')} of rows`);
      this.clauses(body, scope, depth, outputs, l?.names ?? [], ['larg', 'rarg', 'withClause', 'op', 'all']);
      if (outputs === undefined)
        return { outputs: undefined, names: l?.names ?? [], derived: derived ?? asDerived(anyOf(every)) };
      return { outputs, names: l?.names ?? [], derived };
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
      return { outputs, names: outputs.map(() => undefined), derived: asDerived(anyOf(outputs)) };
    }
    const outputs: OutputLineage[] = [];
    const names: (string | undefined)[] = [];
    let known = true;
    let derived: Protected | undefined;
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
      if (lineage.kind === 'derived') derived ??= lineage;
      outputs.push(lineage);
      names.push(str(t?.['name']) ?? columnNameOf(val));
    }
    this.clauses(body, scope, depth, known ? outputs : undefined, names, [
      'targetList',
      'fromClause',
      'withClause',
      'op',
      'valuesLists',
      'intoClause',
    ]);
    return {
      outputs: known ? outputs : undefined,
      names,
      derived: derived ?? (known ? undefined : outputs.find((o): o is Protected => o.kind === 'derived')),
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
        this.noteRelation(schema, relname);
        if (STATISTICS.has(relname) && (schema === undefined || schema === 'pg_catalog')) {
          this.deny(
            `${relname} shows sampled values of every table's columns, which column rules protect; it cannot be read under column rules`,
          );
        }
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
            `a subquery whose columns the gate cannot place reads the protected column ${sub.derived.label}`,
          );
      } else {
        items.push({
          name: alias ?? '',
          outputs: sub.outputs.map((lineage, i) => ({ name: aliases[i] ?? sub.names[i], lineage })),
        });
      }
    } else if (type === 'JoinExpr') {
      const before = items.length;
      this.fromItem(body['larg'], scope, items, depth);
      this.fromItem(body['rarg'], scope, items, depth);
      // NATURAL compares every column the two sides share: which they are, only the catalog knows.
      if (body['isNatural'] === true)
        for (const item of items.slice(before))
          this.predicate(
            this.wholeRow([item.name], { items: [item], ctes: scope.ctes, parent: undefined }),
            'a NATURAL join',
          );
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
      // A function, VALUES, XMLTABLE, …: its arguments flow into its columns, which are unknown;
      // a function other than a transparent built-in is denied by expr().
      this.keep(body, scope, depth, 'a FROM item');
      items.push({ name: alias ?? '', opaque: true });
    }
  }

  /**
   * Every clause of a query body but `skip` is a predicate read (see {@link readOnly}). ORDER BY,
   * GROUP BY and DISTINCT may name an output by position or alias (`ORDER BY 2`, `ORDER BY s`);
   * plain DISTINCT compares every output.
   */
  clauses(
    body: SqlObj,
    scope: Scope,
    depth: number,
    outputs: readonly OutputLineage[] | undefined,
    names: readonly (string | undefined)[],
    skip: readonly string[],
  ): void {
    const byOutput = (node: unknown): OutputLineage => {
      const n = unwrap(node);
      if (n?.[0] === 'A_Const' && isObj(n[1]['ival'])) {
        const at = n[1]['ival']['ival'];
        if (typeof at !== 'number') return CLEAN;
        // Outputs whose positions are unknown (`*` over a table): any column of the FROM items.
        return outputs === undefined ? this.wholeRow([], scope) : (outputs[at - 1] ?? CLEAN);
      }
      const own = this.expr(node, scope, depth + 1);
      const fields = n?.[0] === 'ColumnRef' ? list(n[1]['fields']) : [];
      const name = fields.length === 1 ? str(unwrap(fields[0])?.[1]['sval']) : undefined;
      if (name === undefined || outputs === undefined) return own;
      let acc = own;
      names.forEach((n2, i) => {
        if (n2 === name) acc = merge(acc, outputs[i] ?? CLEAN, true);
      });
      return acc;
    };
    for (const [key, value] of Object.entries(body)) {
      if (skip.includes(key)) continue;
      const where = clauseName(key);
      if (key === 'sortClause') {
        for (const item of list(value)) {
          const sortBy = unwrap(item);
          if (sortBy?.[0] !== 'SortBy') {
            this.readOnly(item, scope, depth, where);
            continue;
          }
          this.operator(sortBy[1]['useOp']);
          this.predicate(byOutput(sortBy[1]['node']), where);
        }
      } else if (key === 'groupClause' || key === 'distinctClause') {
        for (const item of list(value)) {
          // Plain DISTINCT is a list of one empty object: every output is compared.
          if (isObj(item) && Object.keys(item).length === 0)
            this.predicate(anyOf(outputs ?? [this.wholeRow([], scope)]), where);
          else this.predicate(byOutput(item), where);
        }
      } else {
        this.readOnly(value, scope, depth, where);
      }
    }
  }

  /** A lineage read as a predicate: denied for a protected column whose rule does not allow it. */
  predicate(lineage: OutputLineage, where: string): void {
    if (lineage.kind === 'clean') return;
    this.reads ??= lineage.label;
    if (lineage.strict !== undefined)
      this.deny(
        `the protected column ${lineage.strict} is read in ${where}; its column rule allows it only as a result column (predicates: allow on the rule permits this)`,
      );
  }

  /**
   * A read that chooses or orders rows without showing the value (a predicate): denied for a
   * protected column unless its rule allows predicates.
   */
  readOnly(value: unknown, scope: Scope, depth: number, where: string): void {
    this.predicate(this.expr(value, scope, depth + 1), where);
  }

  /** A value that would be copied or kept outside the result: denied for any protected column. */
  keep(value: unknown, scope: Scope, depth: number, where: string): void {
    const lineage = this.expr(value, scope, depth + 1);
    if (lineage.kind !== 'clean')
      this.deny(
        `the protected column ${lineage.label} would be copied or kept by ${where}; its column rule allows it only as a result column`,
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
        this.operator(body['operName']);
        this.readOnly(body['testexpr'], scope, depth, 'a subquery comparison');
        const inner = unwrap(body['subselect']);
        if (inner?.[0] !== 'SelectStmt') return CLEAN;
        const r = this.select(inner[1], scope, depth + 1);
        const found = r.derived ?? anyOf(r.outputs ?? []);
        // EXISTS/IN/ANY… turn the subquery's rows into a truth value: a read, not an output.
        if (
          found.kind !== 'clean' &&
          str(body['subLinkType']) !== 'EXPR_SUBLINK' &&
          str(body['subLinkType']) !== 'ARRAY_SUBLINK'
        ) {
          this.reads ??= found.label;
          if (found.strict !== undefined)
            this.deny(
              `the protected column ${found.strict} is read in a subquery condition; its column rule allows it only as a result column (predicates: allow on the rule permits this)`,
            );
          return CLEAN;
        }
        return derive(found);
      }
      if (type === 'SelectStmt') return derive(asLineage(this.selectDerived(body, scope, depth)));
      if (type === 'ExecuteStmt') return derive(this.executed(body, depth));
      if (type === 'FuncCall') {
        const parts = nameParts(body['funcname']);
        if (parts === undefined || !isTransparentFunction(parts)) {
          this.deny(
            `the function ${parts === undefined ? '(unnamed)' : renderName(parts)} may read columns the gate cannot follow (a user function, or a built-in that reads tables by name); under column rules only built-in functions over the values they are given are allowed`,
          );
          return CLEAN;
        }
        // Arguments (and FILTER / OVER) feed the result; ORDER BY inside an aggregate and
        // FILTER only choose rows, which is inference.
        this.readOnly(body['agg_filter'], scope, depth, 'an aggregate FILTER');
        this.readOnly(body['agg_order'], scope, depth, 'an aggregate ORDER BY');
        this.readOnly(body['over'], scope, depth, 'a window definition');
        const args = this.expr(body['args'], scope, depth + 1);
        // A built-in with side effects keeps what it is given outside the result (set_config,
        // pg_notify, lo_from_bytea, …), where a later read would not see it as protected.
        if (args.kind !== 'clean' && !isSafeFunction(parts)) {
          this.deny(
            `the protected column ${args.label} would be kept by ${renderName(parts)}, which has side effects; its column rule allows it only as a result column`,
          );
          return CLEAN;
        }
        return derive(args);
      }
      if (type === 'A_Expr') this.operator(body['name'], str(body['kind']));
      if (type === 'SortBy') this.operator(body['useOp']);
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

  /** A user-defined operator runs a function the gate cannot see into. */
  operator(name: unknown, kind?: string): void {
    if (list(name).length === 0 || (kind !== undefined && KEYWORD_EXPR_KINDS.has(kind))) return;
    const parts = nameParts(name);
    if (parts === undefined || !isSafeOperator(parts)) {
      this.deny(
        `the operator ${parts === undefined ? '(unnamed)' : renderName(parts)} is not a built-in one: its function may read columns the gate cannot follow`,
      );
    }
  }

  /** A subquery's outputs as one lineage (any protected output makes it protected). */
  selectDerived(body: SqlObj, scope: Scope, depth: number): Protected | undefined {
    const r = this.select(body, scope, depth + 1);
    return r.derived ?? asDerived(anyOf(r.outputs ?? []));
  }

  /** The outputs of `EXECUTE name`, from the PREPARE statement it was made from. */
  executed(body: SqlObj, depth: number): OutputLineage {
    const r = this.prepared(body, depth);
    return r === undefined ? CLEAN : (r.derived ?? anyOf(r.outputs ?? []));
  }

  prepared(body: SqlObj, depth: number): Selected | undefined {
    const name = str(body['name']);
    const text = name === undefined ? undefined : this.options.prepared?.(name);
    if (name === undefined || text === undefined || this.#preparing.has(name)) {
      this.deny(
        `the gate does not know the query of prepared statement ${name ?? '(unnamed)'}, so it cannot know which columns it reads`,
      );
      return undefined;
    }
    let tree: unknown;
    try {
      tree = parseSql(text);
    } catch {
      tree = undefined;
    }
    for (const raw of list(isObj(tree) ? tree['stmts'] : undefined)) {
      const stmt = unwrap(isObj(raw) ? raw['stmt'] : undefined);
      const query = stmt?.[0] === 'PrepareStmt' ? unwrap(stmt[1]['query']) : undefined;
      if (stmt === undefined || str(stmt[1]['name']) !== name || query === undefined) continue;
      this.#preparing.add(name);
      try {
        if (query[0] === 'SelectStmt') return this.select(query[1], undefined, depth + 1);
        this.generic(query[1], undefined, depth + 1);
        return { outputs: undefined, names: [], derived: undefined };
      } finally {
        this.#preparing.delete(name);
      }
    }
    this.deny(`the gate cannot read the query of prepared statement ${name}`);
    return undefined;
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
      return derive(
        expanded === undefined
          ? this.wholeRow(parts.slice(0, -1), scope)
          : anyOf(expanded.map((o) => o.lineage)),
      );
    }
    if (parts.length === 1) {
      // A column of any item in scope, or a whole row of an item named so.
      let found: OutputLineage = CLEAN;
      for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) {
        for (const item of s.items) found = merge(found, this.columnOf(item, last), true);
        if (s.items.some((i) => i.name === last))
          found = merge(found, derive(this.wholeRow([last], s)), true);
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
      return derive(this.tableLineage(item.table, undefined));
    }
    if (item.table !== undefined) return this.tableLineage(item.table, column);
    if (item.outputs !== undefined) {
      let acc: OutputLineage = CLEAN;
      for (const o of item.outputs)
        if (o.name === column || o.name === undefined) acc = merge(acc, o.lineage, true);
      return acc;
    }
    return CLEAN;
  }

  /** A table's column (or, `column` undefined, its whole row) as a lineage. */
  tableLineage(
    table: { readonly schema: string | undefined; readonly name: string },
    column: string | undefined,
  ): OutputLineage {
    const p = this.protection(table.schema, table.name, column);
    if (p === undefined) return CLEAN;
    const strict = p.predicates ? undefined : p.label;
    if (column === undefined || p.computed) return { kind: 'derived', label: p.label, strict };
    return { kind: 'bare', label: p.label, schema: table.schema, table: table.name, column, strict };
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

  /** A whole row of the items so named (every item for none) as a lineage. */
  wholeRow(qualifier: readonly string[], scope: Scope): OutputLineage {
    const q = qualifier.at(-1);
    let acc: OutputLineage = CLEAN;
    for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) {
      for (const item of s.items) {
        if (q !== undefined && item.name !== q) continue;
        if (item.table !== undefined) acc = merge(acc, this.tableLineage(item.table, undefined), true);
        else if (item.outputs !== undefined)
          acc = merge(acc, anyOf(item.outputs.map((o) => o.lineage)), true);
      }
      if (q === undefined || acc.kind !== 'clean') break;
    }
    return acc;
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
    // MERGE … USING source: a FROM item of its own.
    if (isObj(body['sourceRelation'])) this.fromItem(body['sourceRelation'], scope, items, depth);
    for (const [key, value] of Object.entries(body)) {
      if (FROM_KEYS.has(key)) continue;
      const inner = unwrap(value);
      if (inner?.[0] === 'SelectStmt') {
        const found = this.selectDerived(inner[1], scope, depth);
        if (found !== undefined)
          this.deny(
            `the protected column ${found.label} would be copied or kept by this statement; its column rule allows it only as a result column`,
          );
        continue;
      }
      if (inner?.[0] === 'ExecuteStmt') {
        const found = this.executed(inner[1], depth);
        if (found.kind !== 'clean')
          this.deny(
            `the protected column ${found.label} would be copied or kept by this statement; its column rule allows it only as a result column`,
          );
        continue;
      }
      // The rows an UPDATE, DELETE or MERGE changes are chosen by its WHERE or join condition:
      // predicates.
      if (key === 'whereClause') this.readOnly(value, scope, depth, 'a WHERE condition');
      else if (key === 'joinCondition') this.readOnly(value, scope, depth, 'a join condition');
      else this.keep(value, scope, depth, 'this statement');
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
export function sqlLineage(
  sql: string,
  isProtected: ProtectedColumn,
  options: SqlLineageOptions = {},
): SqlLineage {
  let tree: unknown;
  try {
    tree = parseSql(sql);
  } catch (err) {
    if (err instanceof TypeError) throw err;
    return { denied: undefined, statements: [], relations: [], reads: undefined };
  }
  const analysis = new Analysis(isProtected, options);
  const statements: StatementLineage[] = [];
  for (const raw of list(isObj(tree) ? tree['stmts'] : undefined)) {
    const stmt = unwrap(isObj(raw) ? raw['stmt'] : undefined);
    if (stmt === undefined) continue;
    const [type, body] = stmt;
    if (type === 'SelectStmt') {
      if (body['intoClause'] !== undefined) analysis.generic(body, undefined, 0);
      const r = analysis.select(body, undefined, 0);
      const found = r.derived ?? asDerived(anyOf(r.outputs ?? []));
      if (body['intoClause'] !== undefined && found !== undefined) {
        analysis.deny(`the protected column ${found.label} would be copied by SELECT INTO`);
      }
      statements.push({ outputs: r.outputs, derived: r.derived?.label });
    } else if (type === 'ExecuteStmt') {
      const r = analysis.prepared(body, 0);
      statements.push({ outputs: r?.outputs, derived: r?.derived?.label });
    } else if (type === 'RenameStmt' || type === 'AlterObjectSchemaStmt') {
      // Rules name columns by their source: renaming a protected table or column, or moving it
      // to another schema, would take it out of its rule.
      const rel = isObj(body['relation']) ? body['relation'] : undefined;
      const relname = str(rel?.['relname']);
      if (rel !== undefined && relname !== undefined) {
        const column = str(body['subname']);
        const p = analysis.protection(str(rel['schemaname']), relname, column);
        if (p !== undefined)
          analysis.deny(
            `renaming or moving it would take the protected column ${p.label} out of its column rule`,
          );
      }
      analysis.generic(body, undefined, 0);
      statements.push({ outputs: undefined, derived: undefined });
    } else if (type === 'DoStmt' || type === 'CallStmt') {
      analysis.deny(
        `${type === 'DoStmt' ? 'a DO block' : 'CALL'} runs code whose reads the gate cannot follow; under column rules it is denied`,
      );
      statements.push({ outputs: undefined, derived: undefined });
    } else {
      // COPY of a whole table with protected columns copies them out unmasked.
      const rel = type === 'CopyStmt' && isObj(body['relation']) ? body['relation'] : undefined;
      const relname = str(rel?.['relname']);
      if (rel !== undefined && relname !== undefined) {
        const p = analysis.protection(str(rel['schemaname']), relname, undefined);
        if (p !== undefined) analysis.deny(`COPY would copy the protected column ${p.label} unmasked`);
      }
      analysis.generic(body, undefined, 0);
      statements.push({ outputs: undefined, derived: undefined });
    }
  }
  let reads = analysis.reads;
  for (const st of statements) {
    reads ??= st.derived;
    for (const o of st.outputs ?? []) if (o.kind !== 'clean') reads ??= o.label;
  }
  return { denied: analysis.denied, statements, relations: analysis.relations, reads };
}

// The fields of a statement that name the relations it reads or changes.
const FROM_KEYS: ReadonlySet<string> = new Set(['relation', 'fromClause', 'usingClause', 'sourceRelation']);

// A_Expr kinds whose name is a keyword, not an operator.
const KEYWORD_EXPR_KINDS: ReadonlySet<string> = new Set([
  'AEXPR_BETWEEN',
  'AEXPR_NOT_BETWEEN',
  'AEXPR_BETWEEN_SYM',
  'AEXPR_NOT_BETWEEN_SYM',
]);

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
  return l.kind === 'bare' ? { kind: 'derived', label: l.label, strict: l.strict } : l;
}

/** Two sources of one value; `combine` (an expression of both) makes any bare reference derived. */
function merge(a: OutputLineage, b: OutputLineage, combine = false): OutputLineage {
  if (a.kind === 'clean') return b;
  if (b.kind === 'clean') return a;
  if (a.kind === 'bare' && b.kind === 'bare' && a.label === b.label && !combine) return a;
  return { kind: 'derived', label: a.label, strict: a.strict ?? b.strict };
}

/** One output of a set operation: bare only when both branches are the same bare column. */
function branches(a: OutputLineage, b: OutputLineage): OutputLineage {
  if (a.kind === 'clean' && b.kind === 'clean') return CLEAN;
  if (a.kind === 'bare' && b.kind === 'bare' && a.label === b.label) return a;
  return derive(merge(a, b, true));
}

/** Every output merged: protected when any is. */
function anyOf(outputs: readonly OutputLineage[]): OutputLineage {
  let acc: OutputLineage = CLEAN;
  for (const o of outputs) acc = merge(acc, o, true);
  return acc;
}

function asDerived(l: OutputLineage): Protected | undefined {
  return l.kind === 'clean' ? undefined : { kind: 'derived', label: l.label, strict: l.strict };
}

function asLineage(p: Protected | undefined): OutputLineage {
  return p ?? CLEAN;
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
