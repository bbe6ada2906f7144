// Handlers for PostgreSQL's utility statements (everything but SELECT/INSERT/UPDATE/DELETE/
// MERGE): DDL, privileges, roles, settings, transactions, COPY, EXPLAIN, PREPARE/EXECUTE, …
// Each emits its operation and resource, then walks the statement's remaining fields
// generically, so an expression anywhere in it (a DEFAULT, a CHECK, an index expression, a
// rule's actions) is classified too.
import type { Handler, Scope, WalkerApi as Walker } from './walk-types.js';
import { explainItems } from './explain.js';
import { isSafeFunction } from './functions.js';
import {
  isObj,
  list,
  nameParts,
  objectName,
  rangeVarName,
  renderIdent,
  renderName,
  roleSpecName,
  str,
  unwrap,
  type SqlObj,
} from './names.js';

type Name = (body: SqlObj) => string | undefined;

/** A name field: a plain identifier string. */
const ident =
  (key: string): Name =>
  (body) => {
    const s = str(body[key]);
    return s === undefined ? undefined : renderIdent(s);
  };
/** A name field: a RangeVar struct. */
const relation =
  (key: string): Name =>
  (body) =>
    rangeVarName(body[key]);
/** A name field: a list of String parts. */
const dotted =
  (key: string): Name =>
  (body) => {
    const parts = nameParts(body[key]);
    return parts === undefined ? undefined : renderName(parts);
  };
/** A name field: any object reference (`objectName`). */
const object =
  (key: string): Name =>
  (body) =>
    objectName(body[key]);
/** A name field: an ObjectWithArgs struct. */
const routine =
  (key: string): Name =>
  (body) => {
    const o = body[key];
    return isObj(o) ? dotted('objname')(o) : undefined;
  };
/** The first name that resolves. */
const either =
  (...names: Name[]): Name =>
  (body) => {
    for (const name of names) {
      const n = name(body);
      if (n !== undefined) return n;
    }
    return undefined;
  };
/** An object that belongs to a table (trigger, rule, policy): `table.name`, as DROP writes it. */
const onTable =
  (tableKey: string, nameKey: string): Name =>
  (body) => {
    const table = rangeVarName(body[tableKey]);
    const name = str(body[nameKey]);
    return table === undefined || name === undefined ? undefined : `${table}.${renderIdent(name)}`;
  };

/**
 * One operation on one (optional) named object. `skip` lists fields that are references, not
 * reads: walking them generically would make a RangeVar list look like a FROM clause.
 */
function simple(operation: string, name?: Name, skip: readonly string[] = []): Handler {
  return (w, body, scope) => {
    const resource = name?.(body);
    w.emit(operation, resource);
    w.fields(body, scope, skip);
  };
}

/**
 * A function a DDL statement attaches to be run implicitly later (a trigger's or a cast's
 * function): a `function` action now, since the statements that fire it will not name it.
 */
function attachedFunction(w: Walker, funcname: unknown): void {
  const parts = nameParts(funcname);
  if (parts === undefined) w.unknown();
  else if (!isSafeFunction(parts)) w.emit('function', renderName(parts));
}

/** One operation per element of a list of objects. */
function each(operation: string, key: string, nameOf: (item: unknown) => string | undefined): Handler {
  return (w, body, scope) => {
    const items = list(body[key]);
    if (items.length === 0) w.emit(operation);
    for (const item of items) {
      const name = nameOf(item);
      if (name === undefined) w.unknown();
      else w.emit(operation, name);
    }
    w.fields(body, scope, [key]);
  };
}

const rangeVarNode = (item: unknown): string | undefined => {
  const node = unwrap(item);
  return node?.[0] === 'RangeVar' ? rangeVarName(node[1]) : undefined;
};
const roleSpecNode = (item: unknown): string | undefined => {
  const node = unwrap(item);
  return node?.[0] === 'RoleSpec' ? roleSpecName(node[1]) : undefined;
};

function copyStmt(w: Walker, body: SqlObj, scope: Scope | undefined): void {
  const isFrom = body['is_from'] === true;
  const file = str(body['filename']);
  const rel = body['relation'] === undefined ? undefined : rangeVarName(body['relation']);
  if (body['relation'] !== undefined && rel === undefined) w.unknown();
  if (body['is_program'] === true) w.emit('copy_program', file);
  else if (file !== undefined) w.emit('copy_file', file);
  else w.emit(isFrom ? 'copy_from' : 'copy_to', rel);
  // COPY reads or writes the table's rows, and PostgreSQL checks SELECT or INSERT for it.
  if (rel !== undefined) w.emit(isFrom ? 'insert' : 'select', rel);
  if (body['query'] !== undefined) w.root(body['query'], scope);
  w.fields(body, scope, ['relation', 'query']);
}

const falseWords: ReadonlySet<string> = new Set(['false', 'off']);

/** Whether an EXPLAIN option list turns ANALYZE on (any value PostgreSQL would not read as false). */
function analyzes(options: unknown): boolean {
  for (const option of list(options)) {
    const node = unwrap(option);
    if (node?.[0] !== 'DefElem') continue;
    const name = str(node[1]['defname'])?.toLowerCase();
    if (name !== 'analyze' && name !== 'analyse') continue;
    const arg = unwrap(node[1]['arg']);
    if (arg === undefined) return true;
    const [type, value] = arg;
    const isFalse =
      (type === 'String' && falseWords.has((str(value['sval']) ?? '').toLowerCase())) ||
      (type === 'Integer' && (value['ival'] ?? 0) === 0) ||
      (type === 'Boolean' && value['boolval'] !== true);
    if (!isFalse) return true;
  }
  return false;
}

function explainStmt(w: Walker, body: SqlObj, scope: Scope | undefined): void {
  if (analyzes(body['options'])) {
    // EXPLAIN ANALYZE runs the statement.
    w.root(body['query'], scope);
  } else {
    const inner = w.capture(() => {
      w.root(body['query'], scope);
    });
    w.items.push(...explainItems(inner));
  }
  w.fields(body, scope, ['query']);
}

function variableSet(w: Walker, body: SqlObj, scope: Scope | undefined): void {
  const name = str(body['name']);
  const kind = str(body['kind']);
  if (name === 'role' || name === 'session_authorization') {
    // SET ROLE / SET SESSION AUTHORIZATION change who the session is.
    const first = unwrap(list(body['args'])[0]);
    const value = first?.[0] === 'A_Const' ? first[1]['sval'] : undefined;
    const role = isObj(value) ? str(value['sval']) : undefined;
    w.emit('role', kind === 'VAR_SET_VALUE' && role !== undefined ? renderIdent(role) : undefined);
  } else if (kind === 'VAR_SET_MULTI') {
    if (name === 'TRANSACTION' || name === 'TRANSACTION SNAPSHOT') w.emit('transaction');
    else if (name === 'SESSION CHARACTERISTICS') w.emit('set', 'session_characteristics');
    else w.unknown();
  } else if (kind === 'VAR_RESET_ALL') {
    w.emit('set', 'all');
  } else if (name !== undefined) {
    w.emit('set', name);
    if (kind === 'VAR_SET_VALUE' && changesLaterReading(name, list(body['args']))) w.unknown();
  } else {
    w.unknown();
  }
  w.fields(body, scope);
}

/** The string (or number) value of a SET argument, or undefined for anything else. */
function settingValue(arg: unknown): string | undefined {
  const node = unwrap(arg);
  if (node?.[0] !== 'A_Const') return undefined;
  for (const key of ['sval', 'ival', 'fval']) {
    const value = node[1][key];
    if (!isObj(value)) continue;
    const v = value[key];
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
  }
  return undefined;
}

// Client encodings under which the server reads the bytes the driver sends (UTF-8) as written.
const faithfulEncodings: ReadonlySet<string> = new Set(['utf8', 'unicode']);

/**
 * Whether a `SET name = args` makes the server read later texts differently from how the
 * classifier reads them, so that no later classification can be trusted:
 * - `search_path` naming any schema before `pg_catalog`: an unqualified built-in name
 *   (`lower`, `+`) may then run a function from that schema, which the classifier takes for the
 *   built-in (`pg_catalog` is otherwise searched first; `pg_temp` is never searched for
 *   functions or operators);
 * - `client_encoding` (also `SET NAMES`) other than UTF8: the server decodes the UTF-8 bytes
 *   the driver sends as another encoding, where a multi-byte character can swallow a following
 *   backslash or quote and so move where a literal ends.
 */
function changesLaterReading(name: string, args: readonly unknown[]): boolean {
  if (name !== 'search_path' && name !== 'client_encoding') return false;
  const values = args.map(settingValue);
  if (values.some((v) => v === undefined)) return true;
  if (name === 'search_path') {
    // Each argument is one schema name (a string argument is quoted as one identifier).
    const at = values.indexOf('pg_catalog');
    return at > 0 && values.slice(0, at).some((v) => v !== 'pg_temp');
  }
  // client_encoding: PostgreSQL ignores case and punctuation in encoding names (UTF-8, Unicode).
  const value = (values[0] ?? '').toLowerCase().replace(/[^a-z0-9]/g, '');
  return values.length !== 1 || !faithfulEncodings.has(value);
}

function grantStmt(w: Walker, body: SqlObj, scope: Scope | undefined): void {
  const op = body['is_grant'] === true ? 'grant' : 'revoke';
  const objects = list(body['objects']);
  const inSchema = body['targtype'] === 'ACL_TARGET_ALL_IN_SCHEMA';
  if (objects.length === 0) w.emit(op);
  for (const object of objects) {
    const name = objectName(object);
    if (name === undefined) w.unknown();
    else w.emit(op, inSchema ? `${name}.*` : name);
  }
  w.fields(body, scope, ['objects']);
}

function grantRoleStmt(w: Walker, body: SqlObj, scope: Scope | undefined): void {
  const op = body['is_grant'] === true ? 'grant' : 'revoke';
  for (const granted of list(body['granted_roles'])) {
    const node = unwrap(granted);
    const role = node?.[0] === 'AccessPriv' ? str(node[1]['priv_name']) : undefined;
    if (role === undefined) {
      w.unknown();
      continue;
    }
    // Granting a role is both a privilege change and role administration.
    w.emit(op, renderIdent(role));
    w.emit('role', renderIdent(role));
  }
  w.fields(body, scope, ['granted_roles']);
}

function alterDefaultPrivileges(w: Walker, body: SqlObj, scope: Scope | undefined): void {
  const action = body['action'];
  const op = isObj(action) && action['is_grant'] === true ? 'grant' : 'revoke';
  const schemas: string[] = [];
  for (const option of list(body['options'])) {
    const node = unwrap(option);
    if (node?.[0] === 'DefElem' && node[1]['defname'] === 'schemas') {
      const arg = unwrap(node[1]['arg']);
      for (const s of arg?.[0] === 'List' ? list(arg[1]['items']) : []) {
        const name = objectName(s);
        if (name !== undefined) schemas.push(`${name}.*`);
      }
    }
  }
  if (schemas.length === 0) w.emit(op);
  for (const schema of schemas) w.emit(op, schema);
  w.fields(body, scope);
}

function callStmt(w: Walker, body: SqlObj, scope: Scope | undefined): void {
  // The call is a FuncCall struct (unwrapped in the JSON tree, as a typed field).
  const raw = body['funccall'];
  const wrapped = unwrap(raw);
  const call =
    wrapped?.[0] === 'FuncCall' ? wrapped[1] : isObj(raw) && wrapped === undefined ? raw : undefined;
  const parts = call === undefined ? undefined : nameParts(call['funcname']);
  if (call === undefined || parts === undefined) {
    w.unknown();
    w.fields(body, scope);
    return;
  }
  w.emit('call', renderName(parts));
  w.fields(call, scope, ['funcname']);
  w.fields(body, scope, ['funccall']);
}

const transactionKinds: Readonly<Record<string, string>> = {
  TRANS_STMT_BEGIN: 'begin',
  TRANS_STMT_START: 'start',
  TRANS_STMT_COMMIT: 'commit',
  TRANS_STMT_ROLLBACK: 'rollback',
  TRANS_STMT_SAVEPOINT: 'savepoint',
  TRANS_STMT_RELEASE: 'release',
  TRANS_STMT_ROLLBACK_TO: 'rollback_to',
  TRANS_STMT_PREPARE: 'prepare',
  TRANS_STMT_COMMIT_PREPARED: 'commit_prepared',
  TRANS_STMT_ROLLBACK_PREPARED: 'rollback_prepared',
};

function transactionStmt(w: Walker, body: SqlObj, scope: Scope | undefined): void {
  const kind = transactionKinds[str(body['kind']) ?? ''];
  if (kind === undefined) w.unknown();
  else {
    w.emit('transaction');
    w.meta = { kind: 'transaction', transaction: kind };
  }
  w.fields(body, scope);
}

function prepareStmt(w: Walker, body: SqlObj, scope: Scope | undefined): void {
  // PREPARE p AS x is classified as x (it is what EXECUTE p will run).
  w.root(body['query'], scope);
  w.fields(body, scope, ['query']);
  const name = str(body['name']);
  if (name === undefined) w.unknown();
  else w.meta = { kind: 'prepare', name };
}

function executeStmt(w: Walker, body: SqlObj, scope: Scope | undefined): void {
  const name = str(body['name']);
  if (name === undefined) w.unknown();
  else {
    w.items.push({ ref: name, explain: false });
    w.meta = { kind: 'execute', name };
  }
  w.fields(body, scope, ['name']);
}

function deallocateStmt(w: Walker, body: SqlObj, scope: Scope | undefined): void {
  const name = str(body['name']);
  const all = body['isall'] === true;
  w.emit('other', all ? 'all' : name === undefined ? undefined : renderIdent(name));
  w.meta =
    name === undefined || all ? { kind: 'deallocate', all: true } : { kind: 'deallocate', name, all: false };
  w.fields(body, scope);
}

function discardStmt(w: Walker, body: SqlObj, scope: Scope | undefined): void {
  const target = str(body['target'])
    ?.replace(/^DISCARD_/, '')
    .toLowerCase();
  w.emit('other', target === undefined ? undefined : `discard ${target}`);
  if (target === 'all') {
    // DISCARD ALL runs SET SESSION AUTHORIZATION DEFAULT, which ends any SET ROLE or SET
    // SESSION AUTHORIZATION: a role change, as RESET ROLE is.
    w.emit('role');
    // It also deallocates every prepared statement.
    w.meta = { kind: 'deallocate', all: true };
  }
  w.fields(body, scope);
}

// Objects that belong to a table, named `table.name` as DROP names them.
const tableMembers: ReadonlySet<string> = new Set(['OBJECT_TRIGGER', 'OBJECT_RULE', 'OBJECT_POLICY']);

function renameStmt(w: Walker, body: SqlObj, scope: Scope | undefined): void {
  const type = str(body['renameType']);
  if (type === 'OBJECT_ROLE') {
    // ALTER ROLE/USER/GROUP … RENAME is role administration, like the other ALTER ROLE forms.
    w.emit('role', ident('subname')(body));
  } else if (type !== undefined && tableMembers.has(type)) {
    w.emit('alter', onTable('relation', 'subname')(body));
  } else {
    w.emit('alter', either(relation('relation'), object('object'), ident('subname'))(body));
  }
  w.fields(body, scope, ['relation', 'object']);
}

/** The role names of a DefElem's list argument (`IN ROLE a, b`, `ADD USER u`). */
function optionRoles(option: unknown, defname: string): string[] | undefined {
  const node = unwrap(option);
  if (node?.[0] !== 'DefElem' || node[1]['defname'] !== defname) return undefined;
  const arg = unwrap(node[1]['arg']);
  const items = arg?.[0] === 'List' ? list(arg[1]['items']) : [];
  return items.map((item) => roleSpecNode(item) ?? '');
}

/**
 * Role membership granted inside CREATE ROLE or ALTER GROUP: the same `grant`/`revoke` and
 * `role` actions as the GRANT/REVOKE statement that does the same (`GRANT admin TO r`).
 */
function memberships(w: Walker, body: SqlObj, role: string | undefined, revoke: boolean): void {
  const op = revoke ? 'revoke' : 'grant';
  const membership = (granted: string | undefined): void => {
    if (granted === undefined || granted === '') {
      w.unknown();
      return;
    }
    w.emit(op, granted);
    w.emit('role', granted);
  };
  for (const option of list(body['options'])) {
    // IN ROLE a: the new role joins a. ROLE m / ADMIN m (USER m): m joins the new role.
    for (const granted of optionRoles(option, 'addroleto') ?? []) membership(granted);
    for (const key of ['rolemembers', 'adminmembers']) {
      if (optionRoles(option, key) !== undefined) membership(role);
    }
  }
}

function createRoleStmt(w: Walker, body: SqlObj, scope: Scope | undefined): void {
  const role = ident('role')(body);
  w.emit('role', role);
  memberships(w, body, role, false);
  w.fields(body, scope);
}

function alterRoleStmt(w: Walker, body: SqlObj, scope: Scope | undefined): void {
  const role = roleSpecName(body['role']);
  w.emit('role', role);
  // ALTER GROUP g ADD USER u (action 1) / DROP USER u (action -1).
  if (body['action'] === 1 || body['action'] === -1) memberships(w, body, role, body['action'] === -1);
  w.fields(body, scope);
}

function createTableAs(w: Walker, body: SqlObj, scope: Scope | undefined): void {
  const into = body['into'];
  const name = isObj(into) ? rangeVarName(into['rel']) : undefined;
  if (name === undefined) w.unknown();
  else w.emit('create', name);
  // The query runs (CREATE TABLE AS, CREATE MATERIALIZED VIEW, … AS EXECUTE p).
  w.visit(body['query'], scope);
  if (isObj(into)) w.fields(into, scope, ['rel']);
  w.fields(body, scope, ['into', 'query']);
}

function createStmt(w: Walker, body: SqlObj, scope: Scope | undefined): void {
  const name = rangeVarName(body['relation']);
  if (name === undefined) w.unknown();
  else w.emit('create', name);
  // INHERITS / PARTITION OF name parents, which are not read.
  w.fields(body, scope, ['relation', 'inhRelations']);
}

function createForeignTable(w: Walker, body: SqlObj, scope: Scope | undefined): void {
  const base = body['base'];
  if (isObj(base)) createStmt(w, base, scope);
  else w.unknown();
  w.fields(body, scope, ['base']);
}

function vacuumStmt(w: Walker, body: SqlObj, scope: Scope | undefined): void {
  const rels = list(body['rels']);
  if (rels.length === 0) w.emit('maintenance');
  for (const rel of rels) {
    const node = unwrap(rel);
    const name = node?.[0] === 'VacuumRelation' ? rangeVarName(node[1]['relation']) : undefined;
    if (name === undefined) w.unknown();
    else w.emit('maintenance', name);
  }
  w.fields(body, scope, ['rels']);
}

function dropStmt(w: Walker, body: SqlObj, scope: Scope | undefined): void {
  const objects = list(body['objects']);
  if (objects.length === 0) w.unknown();
  for (const o of objects) {
    const name = objectName(o);
    if (name === undefined) w.emit('drop');
    else w.emit('drop', name);
  }
  w.fields(body, scope, ['objects']);
}

/** Handlers for every utility statement kind. */
export const utilityHandlers: Readonly<Record<string, Handler>> = {
  // reads, writes and side channels
  CopyStmt: copyStmt,
  ExplainStmt: explainStmt,
  DeclareCursorStmt: (w, body, scope) => {
    w.root(body['query'], scope);
    w.fields(body, scope, ['query']);
  },
  FetchStmt: simple('other', ident('portalname')),
  ClosePortalStmt: simple('other', ident('portalname')),
  DoStmt: simple('do'),
  CallStmt: callStmt,
  NotifyStmt: simple('notify', ident('conditionname')),
  ListenStmt: simple('listen', ident('conditionname')),
  UnlistenStmt: simple('listen', ident('conditionname')),
  // Loading a shared library runs its initialisation code: a call to code the policy cannot see.
  LoadStmt: (w, body, scope) => {
    // The resource is a file path, not a name: pushed as written (no pg_catalog alias).
    const file = str(body['filename']);
    w.items.push(file === undefined ? { operation: 'function' } : { operation: 'function', resource: file });
    w.fields(body, scope);
  },

  // sessions, transactions, prepared statements
  VariableSetStmt: variableSet,
  VariableShowStmt: simple('show', ident('name')),
  TransactionStmt: transactionStmt,
  ConstraintsSetStmt: simple('transaction'),
  PrepareStmt: prepareStmt,
  ExecuteStmt: executeStmt,
  DeallocateStmt: deallocateStmt,
  DiscardStmt: discardStmt,
  LockStmt: each('lock', 'relations', rangeVarNode),
  // ALTER SYSTEM rewrites the server's configuration file: not a session `set`.
  AlterSystemStmt: simple('alter', () => 'SYSTEM'),

  // maintenance
  VacuumStmt: vacuumStmt,
  ClusterStmt: simple('maintenance', relation('relation')),
  ReindexStmt: simple('maintenance', either(relation('relation'), ident('name')), ['relation']),
  RefreshMatViewStmt: simple('maintenance', relation('relation')),
  CheckPointStmt: simple('maintenance'),

  // privileges and roles
  GrantStmt: grantStmt,
  GrantRoleStmt: grantRoleStmt,
  AlterDefaultPrivilegesStmt: alterDefaultPrivileges,
  CreateRoleStmt: createRoleStmt,
  AlterRoleStmt: alterRoleStmt,
  AlterRoleSetStmt: simple('role', (b) => (b['role'] === undefined ? 'all' : roleSpecName(b['role']))),
  DropRoleStmt: each('role', 'roles', roleSpecNode),
  DropOwnedStmt: simple('drop'),
  ReassignOwnedStmt: simple('alter'),

  // DROP and TRUNCATE
  DropStmt: dropStmt,
  TruncateStmt: each('truncate', 'relations', rangeVarNode),
  DropTableSpaceStmt: simple('drop', ident('tablespacename')),
  DropdbStmt: simple('drop', ident('dbname')),
  DropUserMappingStmt: simple('drop', ident('servername')),
  DropSubscriptionStmt: simple('drop', ident('subname')),

  // CREATE
  CreateStmt: createStmt,
  CreateForeignTableStmt: createForeignTable,
  CreateTableAsStmt: createTableAs,
  ViewStmt: (w, body, scope) => {
    const name = rangeVarName(body['view']);
    if (name === undefined) w.unknown();
    else w.emit('create', name);
    // The view's query is classified as if it ran: it is what reading the view will do.
    w.fields(body, scope, ['view']);
  },
  CreateSchemaStmt: simple(
    'create',
    either(ident('schemaname'), (b) => roleSpecName(b['authrole'])),
  ),
  CreateSeqStmt: simple('create', relation('sequence')),
  IndexStmt: simple('create', either(ident('idxname'), relation('relation')), ['relation']),
  CreateStatsStmt: simple('create', dotted('defnames'), ['relations']),
  CreateFunctionStmt: simple('create', dotted('funcname'), ['funcname', 'options', 'returnType']),
  CreateTrigStmt: (w, body, scope) => {
    w.emit('create', onTable('relation', 'trigname')(body));
    attachedFunction(w, body['funcname']);
    w.fields(body, scope, ['relation', 'funcname', 'args']);
  },
  RuleStmt: simple('create', onTable('relation', 'rulename'), ['relation']),
  CreatePolicyStmt: simple('create', onTable('table', 'policy_name'), ['table']),
  CreateEventTrigStmt: (w, body, scope) => {
    w.emit('create', ident('trigname')(body));
    attachedFunction(w, body['funcname']);
    w.fields(body, scope, ['funcname']);
  },
  CompositeTypeStmt: simple('create', relation('typevar')),
  CreateEnumStmt: simple('create', dotted('typeName')),
  CreateRangeStmt: simple('create', dotted('typeName')),
  DefineStmt: simple('create', dotted('defnames')),
  CreateDomainStmt: simple('create', dotted('domainname')),
  CreateOpClassStmt: simple('create', dotted('opclassname')),
  CreateOpFamilyStmt: simple('create', dotted('opfamilyname')),
  CreateConversionStmt: simple('create', dotted('conversion_name')),
  CreateCastStmt: (w, body, scope) => {
    w.emit('create');
    // CREATE CAST … WITH FUNCTION f: every later cast between the two types calls f unnamed.
    const func = body['func'];
    if (isObj(func)) attachedFunction(w, func['objname']);
    w.fields(body, scope, ['func']);
  },
  CreateTransformStmt: simple('create'),
  CreateExtensionStmt: simple('create', ident('extname')),
  CreateFdwStmt: simple('create', ident('fdwname')),
  CreateForeignServerStmt: simple('create', ident('servername')),
  CreateUserMappingStmt: simple('create', ident('servername')),
  ImportForeignSchemaStmt: simple('create', ident('local_schema')),
  CreateAmStmt: simple('create', ident('amname')),
  CreatePLangStmt: simple('create', ident('plname')),
  CreateTableSpaceStmt: simple('create', ident('tablespacename')),
  CreatedbStmt: simple('create', ident('dbname')),
  CreatePublicationStmt: simple('create', ident('pubname')),
  CreateSubscriptionStmt: simple('create', ident('subname')),

  // ALTER (including RENAME, OWNER, SET SCHEMA, COMMENT and SECURITY LABEL)
  AlterTableStmt: simple('alter', relation('relation'), ['relation']),
  AlterCollationStmt: simple('alter', dotted('collname')),
  AlterDomainStmt: simple('alter', dotted('typeName')),
  AlterSeqStmt: simple('alter', relation('sequence')),
  // Its SET clauses configure the routine, not the session.
  AlterFunctionStmt: simple('alter', routine('func'), ['func', 'actions']),
  AlterPolicyStmt: simple('alter', onTable('table', 'policy_name'), ['table']),
  AlterEventTrigStmt: simple('alter', ident('trigname')),
  AlterEnumStmt: simple('alter', dotted('typeName')),
  AlterTypeStmt: simple('alter', dotted('typeName')),
  AlterOperatorStmt: simple('alter', routine('opername')),
  AlterOpFamilyStmt: simple('alter', dotted('opfamilyname')),
  AlterStatsStmt: simple('alter', dotted('defnames')),
  AlterExtensionStmt: simple('alter', ident('extname')),
  AlterExtensionContentsStmt: simple('alter', ident('extname'), ['object']),
  AlterFdwStmt: simple('alter', ident('fdwname')),
  AlterForeignServerStmt: simple('alter', ident('servername')),
  AlterUserMappingStmt: simple('alter', ident('servername')),
  AlterTableSpaceOptionsStmt: simple('alter', ident('tablespacename')),
  AlterTableMoveAllStmt: simple('alter', ident('orig_tablespacename')),
  AlterDatabaseStmt: simple('alter', ident('dbname')),
  AlterDatabaseSetStmt: simple('alter', ident('dbname')),
  AlterDatabaseRefreshCollStmt: simple('alter', ident('dbname')),
  AlterTSDictionaryStmt: simple('alter', dotted('dictname')),
  AlterTSConfigurationStmt: simple('alter', dotted('cfgname')),
  AlterPublicationStmt: simple('alter', ident('pubname')),
  AlterSubscriptionStmt: simple('alter', ident('subname')),
  RenameStmt: renameStmt,
  AlterObjectSchemaStmt: simple('alter', either(relation('relation'), object('object')), [
    'relation',
    'object',
  ]),
  AlterOwnerStmt: simple('alter', either(relation('relation'), object('object')), ['relation', 'object']),
  AlterObjectDependsStmt: simple('alter', either(relation('relation'), object('object')), [
    'relation',
    'object',
  ]),
  CommentStmt: simple('alter', object('object'), ['object']),
  SecLabelStmt: simple('alter', object('object'), ['object']),
};
