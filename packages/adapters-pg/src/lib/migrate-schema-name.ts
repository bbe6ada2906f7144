/** The schema Portcullis keeps its approval and recording tables in, unless told otherwise. */
export const DEFAULT_SCHEMA = 'portcullis';

// A plain lower-case identifier needs no quoting anywhere (DDL, LISTEN, pg_notify), and short
// enough that `<schema>_approvals` stays under PostgreSQL's 63-byte identifier limit, which
// LISTEN would otherwise truncate silently while pg_notify refuses it.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

/**
 * The schema name to use, checked.
 *
 * @throws TypeError when it is not a lower-case identifier of at most 48 characters.
 */
export function checkSchemaName(schema: string | undefined): string {
  const name = schema ?? DEFAULT_SCHEMA;
  if (typeof (name as unknown) !== 'string' || !SCHEMA_NAME.test(name)) {
    throw new TypeError(
      `schema must be a lower-case identifier (letters, digits, _; at most 48 characters), got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

/** The LISTEN/NOTIFY channel of a schema's approval changes. */
export function approvalChannel(schema: string): string {
  return `${schema}_approvals`;
}
