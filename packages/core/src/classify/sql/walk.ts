// Walks a libpg-query parse tree into actions. Every node kind is either handled (statements,
// relations, calls, operators), known to be inert (constants, column references, clauses whose
// children are walked generically), or not recognised — and then it is `unknown`, never
// silently nothing. Walking is generic: every field of every node is visited, so a subquery, a
// call or a data-modifying statement is found wherever the grammar lets it appear. Only the
// bodies of leaf kinds (constants, parameters, column references: `leafNodes`), which hold no
// node that could act, are not entered.
import { isSafeFunction, isSafeOperator, isSafeSampleMethod } from './functions.js';
import {
  catalogBareName,
  isObj,
  list,
  nameParts,
  nodeType,
  rangeVarName,
  renderName,
  str,
  unwrap,
  type SqlObj,
} from './names.js';
import { utilityHandlers } from './utility.js';
import type { Handler, Scope, SqlItem, StatementMeta, WalkedStatement, WalkerApi } from './walk-types.js';

export type { SqlItem, StatementMeta, WalkedStatement } from './walk-types.js';

/** Collects the items of one top-level statement. */
export class Walker implements WalkerApi {
  items: SqlItem[] = [];
  meta: StatementMeta = { kind: 'statement' };
  readonly #prune: boolean;

  /**
   * @param prune Skip the bodies of {@link leafNodes} (the default). Walking them changes
   *   nothing; the corpus test walks without pruning to show it.
   */
  constructor(prune = true) {
    this.#prune = prune;
  }

  /**
   * Adds an action. A relation or routine qualified with `pg_catalog` also adds its bare name,
   * so a rule naming `set_config` or `pg_authid` sees `pg_catalog.set_config(…)` too.
   */
  emit(operation: string, resource?: string): void {
    if (resource === undefined) {
      this.items.push({ operation });
      return;
    }
    this.items.push({ operation, resource });
    if (!objectOperations.has(operation)) return;
    const bare = catalogBareName(resource);
    if (bare !== undefined) this.items.push({ operation, resource: bare });
  }

  /** Adds `unknown`: something here could not be resolved. */
  unknown(): void {
    this.items.push({ operation: 'unknown' });
  }

  /** Visits any value of the tree: a wrapped node, a list, or a plain struct. */
  visit(value: unknown, scope: Scope | undefined): void {
    if (typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'object' && item !== null) this.visit(item, scope);
      return;
    }
    const obj = value as SqlObj;
    const type = nodeType(obj);
    if (type !== undefined) this.node(type, obj[type] as SqlObj, scope);
    else this.fields(obj, scope);
  }

  /** Visits every field of `body` except those named in `skip`. */
  fields(body: SqlObj, scope: Scope | undefined, skip?: readonly string[]): void {
    // Own enumerable keys in Object.keys order, without allocating its array; scalars (most
    // fields: locations, flags, names) are passed over without a call.
    for (const key in body) {
      const value = body[key];
      if (typeof value !== 'object' || value === null || !Object.prototype.hasOwnProperty.call(body, key))
        continue;
      if (skip !== undefined && skip.includes(key)) continue;
      this.visit(value, scope);
    }
  }

  /** Dispatches one wrapped node. */
  node(type: string, body: SqlObj, scope: Scope | undefined): void {
    const kind = kinds.get(type);
    if (typeof kind === 'function') {
      kind(this, body, scope);
      return;
    }
    if (kind === undefined) this.unknown();
    else if (kind === 'leaf' && this.#prune) return;
    this.fields(body, scope);
  }

  /**
   * Visits a query in statement position (top level, PREPARE, DECLARE, EXPLAIN, COPY): a SELECT
   * there that reads no relation is still a `select`.
   */
  root(value: unknown, scope: Scope | undefined): void {
    const node = unwrap(value);
    if (node?.[0] === 'SelectStmt') selectStmt(this, node[1], scope, true);
    else this.visit(value, scope);
  }

  /** Runs `fn` and returns the items it added, removing them from this walker. */
  capture(fn: () => void): SqlItem[] {
    const mark = this.items.length;
    fn();
    return this.items.splice(mark);
  }

  /** Adds the CTE names of a WITH clause to the scope, visiting each CTE's query in its own scope. */
  withClause(withClause: unknown, scope: Scope | undefined): Scope | undefined {
    if (!isObj(withClause)) return scope;
    const ctes = list(withClause['ctes'])
      .map(unwrap)
      .filter((n): n is readonly [string, SqlObj] => n?.[0] === 'CommonTableExpr')
      .map(([, body]) => body);
    if (ctes.length !== list(withClause['ctes']).length) this.unknown();
    const names = ctes.map((cte) => str(cte['ctename']) ?? '');
    const all: Scope = { names: new Set(names), parent: scope };
    if (withClause['recursive'] === true) {
      // WITH RECURSIVE: every CTE of the list sees every other, and itself.
      for (const cte of ctes) this.fields(cte, all, ['ctename']);
    } else {
      // Plain WITH: a CTE sees only those before it; its own name inside it is a table.
      ctes.forEach((cte, i) => {
        const before = { names: new Set(names.slice(0, i)), parent: scope };
        this.fields(cte, before, ['ctename']);
      });
    }
    return all;
  }
}

/** Operations whose resource is a relation or routine name (not a path, setting or channel). */
const objectOperations: ReadonlySet<string> = new Set([
  'select', 'insert', 'update', 'delete', 'merge', 'copy_to', 'copy_from', 'create', 'alter', 'drop',
  'truncate', 'grant', 'revoke', 'lock', 'call', 'function', 'explain', 'maintenance',
]); // prettier-ignore

/** Whether an unqualified relation name refers to a CTE in scope. */
function isCte(name: string, scope: Scope | undefined): boolean {
  for (let s = scope; s !== undefined; s = s.parent) if (s.names.has(name)) return true;
  return false;
}

/** A RangeVar in a position where it is read (FROM, USING, MERGE source, …). */
function readRelation(w: WalkerApi, rv: SqlObj, scope: Scope | undefined): void {
  const relname = str(rv['relname']);
  const qualified = str(rv['schemaname']) !== undefined || str(rv['catalogname']) !== undefined;
  if (relname !== undefined && !qualified && isCte(relname, scope)) return;
  const name = rangeVarName(rv);
  if (name === undefined) w.unknown();
  else w.emit('select', name);
}

/** The name of a DML target (never a CTE), or unknown. */
function target(w: WalkerApi, rv: unknown): string | undefined {
  const name = rangeVarName(rv);
  if (name === undefined) w.unknown();
  return name;
}

function returning(w: WalkerApi, body: SqlObj, scope: Scope | undefined, name: string | undefined): void {
  const clause = body['returningClause'];
  if (!isObj(clause)) return;
  // RETURNING hands the caller the rows' values: PostgreSQL itself requires SELECT on them.
  if (list(clause['exprs']).length > 0 && name !== undefined) w.emit('select', name);
  w.fields(clause, scope);
}

function selectStmt(w: WalkerApi, body: SqlObj, scope: Scope | undefined, root: boolean): void {
  const mark = w.items.length;
  const s = w.withClause(body['withClause'], scope);
  const into = body['intoClause'];
  if (isObj(into)) {
    // SELECT … INTO creates a table.
    const name = target(w, into['rel']);
    if (name !== undefined) w.emit('create', name);
    w.fields(into, s, ['rel']);
  }
  const larg = body['larg'];
  if (isObj(larg)) selectStmt(w, larg, s, false);
  const rarg = body['rarg'];
  if (isObj(rarg)) selectStmt(w, rarg, s, false);
  w.fields(body, s, selectSkip);
  lockingClauses(w, body, s);
  if (root && !isObj(into) && !selectsSince(w.items, mark)) w.items.splice(mark, 0, { operation: 'select' });
}

const selectSkip = ['withClause', 'intoClause', 'larg', 'rarg', 'lockingClause'];

/** Whether an item from `mark` on is a `select`. */
function selectsSince(items: readonly SqlItem[], mark: number): boolean {
  for (let i = mark; i < items.length; i++) {
    const item = items[i];
    if (item !== undefined && 'operation' in item && item.operation === 'select') return true;
  }
  return false;
}

/** FOR UPDATE/SHARE: `lock` on each relation of this query level (or of those named by OF). */
function lockingClauses(w: WalkerApi, body: SqlObj, scope: Scope | undefined): void {
  const clauses = list(body['lockingClause']);
  if (clauses.length === 0) return;
  const sources = fromSources(body['fromClause'], scope);
  for (const clause of clauses) {
    const node = unwrap(clause);
    if (node?.[0] !== 'LockingClause') {
      w.unknown();
      continue;
    }
    const named = list(node[1]['lockedRels']);
    if (named.length === 0) {
      for (const source of sources) for (const name of source.relations) w.emit('lock', name);
      continue;
    }
    for (const rel of named) {
      const rv = unwrap(rel);
      const alias = rv?.[0] === 'RangeVar' ? str(rv[1]['relname']) : undefined;
      if (alias === undefined) {
        w.unknown();
        continue;
      }
      const matches = sources.filter((s) => s.alias === alias);
      if (matches.length === 0) w.emit('lock', rangeVarName(rv?.[1]) ?? alias);
      for (const source of matches) for (const name of source.relations) w.emit('lock', name);
    }
  }
}

interface FromSource {
  readonly alias: string | undefined;
  readonly relations: readonly string[];
}

/** The FROM items of one query level, with the relations each covers (through joins and subqueries). */
function fromSources(fromClause: unknown, scope: Scope | undefined): FromSource[] {
  const out: FromSource[] = [];
  for (const item of list(fromClause)) addFromSource(item, scope, out);
  return out;
}

function aliasOf(body: SqlObj): string | undefined {
  const alias = body['alias'];
  return isObj(alias) ? str(alias['aliasname']) : undefined;
}

function relationsOf(value: unknown, scope: Scope | undefined): string[] {
  const node = unwrap(value);
  if (node === undefined) return [];
  const [type, body] = node;
  if (type === 'RangeVar') {
    const relname = str(body['relname']);
    if (relname !== undefined && str(body['schemaname']) === undefined && isCte(relname, scope)) return [];
    const name = rangeVarName(body);
    return name === undefined ? [] : [name];
  }
  if (type === 'JoinExpr') return [...relationsOf(body['larg'], scope), ...relationsOf(body['rarg'], scope)];
  if (type === 'RangeSubselect') return relationsOf(body['subquery'], scope);
  if (type === 'SelectStmt') {
    const arms = ['larg', 'rarg'].map((k) => body[k]).filter(isObj);
    return [
      ...list(body['fromClause']).flatMap((item) => relationsOf(item, scope)),
      ...arms.flatMap((arm) => relationsOf({ SelectStmt: arm }, scope)),
    ];
  }
  return [];
}

function addFromSource(value: unknown, scope: Scope | undefined, out: FromSource[]): void {
  const node = unwrap(value);
  if (node === undefined) return;
  const [type, body] = node;
  if (type === 'RangeVar') {
    out.push({ alias: aliasOf(body) ?? str(body['relname']), relations: relationsOf(value, scope) });
  } else if (type === 'JoinExpr') {
    const alias = aliasOf(body);
    if (alias !== undefined) out.push({ alias, relations: relationsOf(value, scope) });
    addFromSource(body['larg'], scope, out);
    addFromSource(body['rarg'], scope, out);
  } else if (type === 'RangeSubselect') {
    out.push({ alias: aliasOf(body), relations: relationsOf(value, scope) });
  }
}

const insertSkip = ['withClause', 'relation', 'selectStmt', 'onConflictClause', 'returningClause'];
// UPDATE, DELETE and MERGE: the target and RETURNING are handled apart.
const writeSkip = ['withClause', 'relation', 'returningClause'];

function insertStmt(w: WalkerApi, body: SqlObj, scope: Scope | undefined): void {
  const s = w.withClause(body['withClause'], scope);
  const name = target(w, body['relation']);
  if (name !== undefined) w.emit('insert', name);
  w.visit(body['selectStmt'], s);
  const conflict = body['onConflictClause'];
  if (isObj(conflict)) {
    if (conflict['action'] === 'ONCONFLICT_UPDATE' && name !== undefined) w.emit('update', name);
    w.fields(conflict, s);
  }
  returning(w, body, s, name);
  w.fields(body, s, insertSkip);
}

function updateStmt(w: WalkerApi, body: SqlObj, scope: Scope | undefined): void {
  const s = w.withClause(body['withClause'], scope);
  const name = target(w, body['relation']);
  if (name !== undefined) w.emit('update', name);
  w.fields(body, s, writeSkip);
  returning(w, body, s, name);
}

function deleteStmt(w: WalkerApi, body: SqlObj, scope: Scope | undefined): void {
  const s = w.withClause(body['withClause'], scope);
  const name = target(w, body['relation']);
  if (name !== undefined) w.emit('delete', name);
  w.fields(body, s, writeSkip);
  returning(w, body, s, name);
}

const mergeCommands: Readonly<Record<string, string | null>> = {
  CMD_INSERT: 'insert',
  CMD_UPDATE: 'update',
  CMD_DELETE: 'delete',
  CMD_NOTHING: null,
};

function mergeStmt(w: WalkerApi, body: SqlObj, scope: Scope | undefined): void {
  const s = w.withClause(body['withClause'], scope);
  const name = target(w, body['relation']);
  if (name !== undefined) w.emit('merge', name);
  // Each WHEN clause is also the write it performs, so a policy on delete sees MERGE … DELETE.
  for (const clause of list(body['mergeWhenClauses'])) {
    const node = unwrap(clause);
    const op = node?.[0] === 'MergeWhenClause' ? mergeCommands[str(node[1]['commandType']) ?? ''] : undefined;
    if (op === undefined) w.unknown();
    else if (op !== null && name !== undefined) w.emit(op, name);
  }
  w.fields(body, s, writeSkip);
  returning(w, body, s, name);
}

const funcnameSkip = ['funcname'];

function funcCall(w: WalkerApi, body: SqlObj, scope: Scope | undefined): void {
  const parts = nameParts(body['funcname']);
  if (parts === undefined) w.unknown();
  else if (!isSafeFunction(parts)) w.emit('function', renderName(parts));
  w.fields(body, scope, funcnameSkip);
}

/** An operator name list: a user-defined operator is a call to its (unknown) function. */
function checkOperator(w: WalkerApi, name: unknown): void {
  if (list(name).length === 0) return;
  const parts = nameParts(name);
  if (parts === undefined) w.unknown();
  else if (!isSafeOperator(parts)) w.emit('function', `OPERATOR(${parts.join('.')})`);
}

// A_Expr kinds whose name is a keyword, not an operator.
const keywordExprKinds: ReadonlySet<string> = new Set([
  'AEXPR_BETWEEN',
  'AEXPR_NOT_BETWEEN',
  'AEXPR_BETWEEN_SYM',
  'AEXPR_NOT_BETWEEN_SYM',
]);

const nameSkip = ['name'];

const handlers: Readonly<Record<string, Handler>> = {
  SelectStmt: (w, body, scope) => {
    selectStmt(w, body, scope, false);
  },
  InsertStmt: insertStmt,
  UpdateStmt: updateStmt,
  DeleteStmt: deleteStmt,
  MergeStmt: mergeStmt,
  RangeVar: readRelation,
  FuncCall: funcCall,
  A_Expr: (w, body, scope) => {
    if (!keywordExprKinds.has(str(body['kind']) ?? '')) checkOperator(w, body['name']);
    w.fields(body, scope, nameSkip);
  },
  SubLink: (w, body, scope) => {
    checkOperator(w, body['operName']);
    w.fields(body, scope, ['operName']);
  },
  SortBy: (w, body, scope) => {
    checkOperator(w, body['useOp']);
    w.fields(body, scope, ['useOp']);
  },
  RangeTableSample: (w, body, scope) => {
    const parts = nameParts(body['method']);
    if (parts === undefined) w.unknown();
    else if (!isSafeSampleMethod(parts)) w.emit('function', renderName(parts));
    w.fields(body, scope, ['method']);
  },
  // A WITH clause is consumed by its statement; one anywhere else is not understood.
  WithClause: (w, body, scope) => {
    w.unknown();
    w.withClause(body, scope);
  },
  ...utilityHandlers,
};

/**
 * Node kinds with no effect of their own: their children are walked generically. Anything
 * neither here nor in the handlers is `unknown`.
 */
const inertNodes: ReadonlySet<string> = new Set([
  // values and names
  'Integer', 'Float', 'Boolean', 'String', 'BitString', 'List', 'A_Const', 'Alias', 'ColumnRef',
  'ParamRef', 'TypeName', 'TypeCast', 'CollateClause', 'RoleSpec', 'A_Star', 'A_Indices',
  'A_Indirection', 'A_ArrayExpr', 'ResTarget', 'MultiAssignRef', 'SetToDefault', 'CurrentOfExpr',
  'NamedArgExpr',
  // expressions
  'BoolExpr', 'NullTest', 'BooleanTest', 'CaseExpr', 'CaseWhen', 'CoalesceExpr', 'MinMaxExpr',
  'SQLValueFunction', 'XmlExpr', 'XmlSerialize', 'RowExpr', 'GroupingFunc', 'GroupingSet',
  'MergeSupportFunc',
  // FROM items and clauses
  'JoinExpr', 'RangeSubselect', 'RangeFunction', 'RangeTableFunc', 'RangeTableFuncCol', 'WindowDef',
  'CommonTableExpr', 'CTESearchClause', 'CTECycleClause', 'OnConflictClause', 'InferClause',
  'IndexElem', 'MergeWhenClause', 'ReturningClause', 'ReturningOption', 'IntoClause',
  // SQL/JSON
  'JsonFormat', 'JsonReturning', 'JsonValueExpr', 'JsonOutput', 'JsonArgument', 'JsonFuncExpr',
  'JsonTablePathSpec', 'JsonTable', 'JsonTableColumn', 'JsonKeyValue', 'JsonParseExpr',
  'JsonScalarExpr', 'JsonSerializeExpr', 'JsonObjectConstructor', 'JsonArrayConstructor',
  'JsonArrayQueryConstructor', 'JsonAggConstructor', 'JsonObjectAgg', 'JsonArrayAgg',
  'JsonIsPredicate', 'JsonBehavior',
  // parts of DDL statements (the statements themselves are handled)
  'ColumnDef', 'Constraint', 'TableLikeClause', 'DefElem', 'PartitionElem', 'PartitionSpec',
  'PartitionBoundSpec', 'PartitionRangeDatum', 'PartitionCmd', 'AlterTableCmd', 'ATAlterConstraint',
  'ReplicaIdentityStmt', 'ObjectWithArgs', 'AccessPriv', 'FunctionParameter', 'CreateOpClassItem',
  'StatsElem', 'VacuumRelation', 'PublicationTable', 'PublicationObjSpec', 'TriggerTransition',
  'ReturnStmt',
]); // prettier-ignore

/**
 * Inert node kinds whose bodies hold only scalars, plain structs of scalars and (ColumnRef) the
 * inert String and A_Star: walking them can add nothing, so the walker does not. They are most
 * of a typical tree. Their shapes are fixed by PostgreSQL's node structs (and, for ColumnRef, by
 * makeColumnRef in gram.y, which moves any subscript into an enclosing A_Indirection);
 * sql/walk.corpus.test.ts checks them over the regression corpus.
 */
export const leafNodes: ReadonlySet<string> = new Set([
  'String', 'Integer', 'Float', 'Boolean', 'BitString', 'A_Const', 'ParamRef', 'A_Star', 'ColumnRef',
  'SQLValueFunction',
]); // prettier-ignore

/** What the walker does with each node kind: its handler, or walk its fields ('inert'), or nothing ('leaf'). */
const kinds: ReadonlyMap<string, Handler | 'inert' | 'leaf'> = new Map<string, Handler | 'inert' | 'leaf'>([
  ...[...inertNodes].map((type): [string, 'inert' | 'leaf'] => [
    type,
    leafNodes.has(type) ? 'leaf' : 'inert',
  ]),
  // A handler wins over the inert list.
  ...Object.entries(handlers),
]);

/**
 * Walks a parse result (`{ stmts: [...] }`) into per-statement items. Throws on a malformed tree.
 * `prune: false` walks into {@link leafNodes} too (for tests: the result is the same).
 */
export function walkParseTree(tree: unknown, options?: { readonly prune?: boolean }): WalkedStatement[] {
  if (!isObj(tree)) throw new TypeError('not a parse tree');
  const prune = options?.prune ?? true;
  return list(tree['stmts']).map((raw) => {
    if (!isObj(raw)) throw new TypeError('not a raw statement');
    const start = typeof raw['stmt_location'] === 'number' ? raw['stmt_location'] : 0;
    const len = typeof raw['stmt_len'] === 'number' && raw['stmt_len'] > 0 ? raw['stmt_len'] : undefined;
    const w = new Walker(prune);
    w.root(raw['stmt'], undefined);
    if (unwrap(raw['stmt']) === undefined) w.unknown();
    return {
      startByte: start,
      endByte: len === undefined ? undefined : start + len,
      meta: w.meta,
      items: w.items,
    };
  });
}
