// Reviewed exceptions to the volatility table in pg-functions.json (generated from pg_proc).
// Each entry is a bare pg_catalog function name with the reason it was reviewed. Editing this
// file needs no regeneration; the SQL classifier combines both at load.

/**
 * Built-in functions declared VOLATILE (or newer than the catalog the table was generated from)
 * that nevertheless have no side effect a policy needs to see: they only read the clock, a
 * random source or a size. Calls to them add no `function` action.
 */
export const harmlessVolatileFunctions: Readonly<Record<string, string>> = {
  random: 'returns a pseudo-random number; reads only the session generator',
  random_normal: 'PostgreSQL 16+: a normally distributed random number; same as random()',
  clock_timestamp: 'reads the wall clock',
  timeofday: 'reads the wall clock, as text',
  gen_random_uuid: 'returns a random UUID; reads only the random source',
  uuidv4: 'PostgreSQL 18: alias of gen_random_uuid()',
  system_user: 'PostgreSQL 16+ SYSTEM_USER keyword: the authenticated identity, read only',
  currval: 'reads the session’s last value of a sequence; changes nothing',
  lastval: 'reads the session’s last sequence value; changes nothing',
  pg_relation_size: 'reads a relation’s on-disk size',
  pg_table_size: 'reads a table’s on-disk size',
  pg_indexes_size: 'reads the on-disk size of a table’s indexes',
  pg_total_relation_size: 'reads a table’s total on-disk size',
  pg_database_size: 'reads a database’s on-disk size (needs CONNECT on it)',
  pg_tablespace_size: 'reads a tablespace’s on-disk size',
  pg_is_in_recovery: 'reads whether the server is a standby',
  pg_jit_available: 'reads whether JIT compilation is available',
};

/**
 * Built-in functions that must always be a `function` action, whatever their declared
 * volatility: they run SQL given as text, read whole tables or schemas outside the statement's
 * visible relations, touch server files or other sessions, or change settings and sequences.
 * Most are VOLATILE already; listing them guards against a catalog that labels them otherwise.
 */
export const dangerousFunctions: Readonly<Record<string, string>> = {
  table_to_xml: 'STABLE but reads a whole table named by a string argument',
  table_to_xml_and_xmlschema: 'STABLE but reads a whole table named by a string argument',
  table_to_xmlschema: 'STABLE; describes a table named by a string argument',
  schema_to_xml: 'STABLE but reads every table of a schema',
  schema_to_xml_and_xmlschema: 'STABLE but reads every table of a schema',
  schema_to_xmlschema: 'STABLE; describes every table of a schema',
  database_to_xml: 'STABLE but reads every table of the database',
  database_to_xml_and_xmlschema: 'STABLE but reads every table of the database',
  database_to_xmlschema: 'STABLE; describes every table of the database',
  query_to_xml: 'runs the SQL text it is given',
  query_to_xml_and_xmlschema: 'runs the SQL text it is given',
  query_to_xmlschema: 'runs (plans) the SQL text it is given',
  cursor_to_xml: 'fetches from an open cursor',
  cursor_to_xmlschema: 'reads an open cursor',
  ts_stat: 'runs the SQL text it is given',
  ts_rewrite: 'one overload runs the SQL text it is given',
  set_config: 'changes a setting (including role-related ones) from inside a query',
  nextval: 'advances a sequence',
  setval: 'sets a sequence',
  pg_read_file: 'reads a server file',
  pg_read_binary_file: 'reads a server file',
  pg_ls_dir: 'lists a server directory',
  pg_stat_file: 'reads a server file’s metadata',
  lo_import: 'reads a server file into a large object',
  lo_export: 'writes a large object to a server file',
  pg_terminate_backend: 'terminates another session',
  pg_cancel_backend: 'cancels another session’s query',
  pg_reload_conf: 'reloads the server configuration',
  pg_notify: 'sends a notification (the NOTIFY statement as a function)',
  pg_sleep: 'holds the session (and its locks) for as long as asked',
  dblink: 'extension: runs SQL on another connection',
  dblink_exec: 'extension: runs SQL on another connection',
};
