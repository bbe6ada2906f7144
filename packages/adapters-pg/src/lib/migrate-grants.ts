// Who may reach the state schema after migrate(): its owner (the role that ran migrate()) and,
// when named, the store's role; nobody else, whatever was granted before. Run on every migrate()
// (grants are idempotent), so a database set up by an older version is tightened too.

/**
 * The SQL that leaves the schema `s` to its owner and `storeRole`. `s` and `storeRole` are
 * checked lower-case identifiers (see checkSchemaName), so they are written inline.
 */
export function grantsSql(s: string, storeRole: string | undefined): string {
  const revoke = `
    REVOKE ALL ON SCHEMA ${s} FROM PUBLIC;
    REVOKE ALL ON ALL TABLES IN SCHEMA ${s} FROM PUBLIC;
    REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${s} FROM PUBLIC;
    REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ${s} FROM PUBLIC;
  `;
  if (storeRole === undefined) return revoke;
  // The approval store reads, creates and settles approvals (SELECT … FOR UPDATE needs UPDATE);
  // the recording sink appends and exports. Neither ever deletes.
  return `${revoke}
    REVOKE ALL ON ALL TABLES IN SCHEMA ${s} FROM ${storeRole};
    GRANT USAGE ON SCHEMA ${s} TO ${storeRole};
    GRANT SELECT ON ${s}.schema_version TO ${storeRole};
    GRANT SELECT, INSERT, UPDATE ON ${s}.approvals TO ${storeRole};
    GRANT SELECT, INSERT ON ${s}.recording TO ${storeRole};
    GRANT USAGE ON ALL SEQUENCES IN SCHEMA ${s} TO ${storeRole};
  `;
}
