// Names as docs/ §3 wants them: as written, unquoted identifiers already folded to lower case
// by the parser, schema-qualified only where the SQL qualifies them.

/** A parse-tree object (the body of a node, or a plain struct field). */
export type SqlObj = Readonly<Record<string, unknown>>;

/** Whether `value` is a non-array object. */
export function isObj(value: unknown): value is SqlObj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` as an array (absent fields are empty lists in the JSON parse tree). */
export function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** `value` as a string, or undefined. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Splits a wrapped node `{ Type: body }` into its type and body; undefined for anything else. */
export function unwrap(value: unknown): readonly [string, SqlObj] | undefined {
  if (!isObj(value)) return undefined;
  const type = nodeType(value);
  return type === undefined ? undefined : [type, value[type] as SqlObj];
}

/**
 * The type of a wrapped node `{ Type: body }` (exactly one own key, capitalised, whose value is
 * an object), or undefined: {@link unwrap} without building the pair, for the walker's hot path.
 *
 * @example
 * ```ts
 * nodeType({ RangeVar: { relname: 't' } }); // 'RangeVar'
 * nodeType({ relname: 't' });               // undefined: a plain struct
 * ```
 */
export function nodeType(value: SqlObj): string | undefined {
  // The own enumerable keys, as Object.keys lists them, without allocating its array
  // (hasOwnProperty.call rather than Object.hasOwn: V8 optimises it inside a for-in).
  let type: string | undefined;
  let body: unknown;
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    if (type !== undefined) return undefined;
    type = key;
    body = value[key];
  }
  if (type === undefined) return undefined;
  // Node types are capitalised; plain struct fields never are.
  const first = type.charCodeAt(0);
  if (first < 0x41 || first > 0x5a) return undefined;
  return isObj(body) ? type : undefined;
}

/**
 * One identifier as written. An identifier that itself contains a dot or a double quote is
 * shown quoted (`"a.b"`), so that `"public.users"` (one name) never reads as `public.users`
 * (a table in a schema).
 */
export function renderIdent(ident: string): string {
  return ident.includes('.') || ident.includes('"') ? `"${ident.replaceAll('"', '""')}"` : ident;
}

/** A dotted name from its parts. */
export function renderName(parts: readonly string[]): string {
  return parts.length === 1 ? renderIdent(parts[0] ?? '') : parts.map(renderIdent).join('.');
}

/** The parts of a name list (`[{String: {sval}}…]`); undefined if any part is not a string. */
export function nameParts(value: unknown): string[] | undefined {
  const parts: string[] = [];
  for (const item of list(value)) {
    if (!isObj(item) || nodeType(item) !== 'String') return undefined;
    const s = str((item['String'] as SqlObj)['sval']);
    if (s === undefined) return undefined;
    parts.push(s);
  }
  return parts.length > 0 ? parts : undefined;
}

/** A RangeVar body's name: `[catalog.][schema.]relation`. */
export function rangeVarName(rv: unknown): string | undefined {
  if (!isObj(rv)) return undefined;
  const relname = str(rv['relname']);
  if (relname === undefined) return undefined;
  const catalog = str(rv['catalogname']);
  const schema = str(rv['schemaname']);
  // Unqualified (most names): the relation alone, or '' as an empty list of parts renders.
  if ((catalog === undefined || catalog === '') && (schema === undefined || schema === '')) {
    return relname === '' ? '' : renderIdent(relname);
  }
  const parts = [catalog, schema, relname].filter((p): p is string => p !== undefined && p !== '');
  return renderName(parts);
}

/** A RoleSpec body's name (`current_user`, `public`… for the special forms). */
export function roleSpecName(spec: unknown): string | undefined {
  if (!isObj(spec)) return undefined;
  switch (spec['roletype']) {
    case 'ROLESPEC_CSTRING': {
      const name = str(spec['rolename']);
      return name === undefined ? undefined : renderIdent(name);
    }
    case 'ROLESPEC_CURRENT_ROLE':
      return 'current_role';
    case 'ROLESPEC_CURRENT_USER':
      return 'current_user';
    case 'ROLESPEC_SESSION_USER':
      return 'session_user';
    case 'ROLESPEC_PUBLIC':
      return 'public';
    default:
      return undefined;
  }
}

/**
 * The name of an object as DROP, GRANT, COMMENT and ALTER … OWNER/SCHEMA write it: a RangeVar,
 * a String, a dotted List, a TypeName, an ObjectWithArgs or a RoleSpec.
 */
export function objectName(value: unknown): string | undefined {
  const node = unwrap(value);
  if (node === undefined) return undefined;
  const [type, body] = node;
  switch (type) {
    case 'RangeVar':
      return rangeVarName(body);
    case 'String': {
      const s = str(body['sval']);
      return s === undefined ? undefined : renderIdent(s);
    }
    case 'List': {
      const parts = list(body['items']).map(objectName);
      return parts.length > 0 && parts.every((p) => p !== undefined) ? parts.join('.') : undefined;
    }
    case 'TypeName': {
      const parts = nameParts(body['names']);
      return parts === undefined ? undefined : renderName(parts);
    }
    case 'ObjectWithArgs': {
      const parts = nameParts(body['objname']);
      return parts === undefined ? undefined : renderName(parts);
    }
    case 'RoleSpec':
      return roleSpecName(body);
    // A large object is named by its OID (`GRANT … ON LARGE OBJECT 16402`, `ALTER LARGE OBJECT
    // 16402 OWNER TO …`): an Integer (0 is an empty node), or a Float above 2^31 - 1.
    case 'Integer': {
      const ival = body['ival'];
      if (ival === undefined) return '0';
      return typeof ival === 'number' && Number.isSafeInteger(ival) && ival >= 0 ? String(ival) : undefined;
    }
    case 'Float': {
      const fval = str(body['fval']);
      return fval !== undefined && /^\d+$/.test(fval) ? fval : undefined;
    }
    default:
      return undefined;
  }
}

// A rendered name's parts: a quoted part (with "" inside) or a run without dots and quotes.
const namePart = /"(?:[^"]|"")*"|[^."]+/g;

/**
 * The bare name of a `pg_catalog`-qualified name (`pg_catalog.set_config` → `set_config`,
 * `db.pg_catalog.pg_authid` → `pg_authid`), or undefined. `pg_catalog` is on every search path,
 * ahead of the schemas a path lists unless it names `pg_catalog` later (which the classifier
 * reports as `unknown`), so the bare name is the object a rule naming it means.
 */
export function catalogBareName(rendered: string): string | undefined {
  if (!rendered.includes('pg_catalog.')) return undefined;
  const parts = rendered.match(namePart);
  if (parts === null || parts.join('.') !== rendered) return undefined;
  if (parts.length !== 2 && parts.length !== 3) return undefined;
  const bare = parts[parts.length - 1];
  return parts[parts.length - 2] === 'pg_catalog' && bare !== undefined && bare !== '*' ? bare : undefined;
}
