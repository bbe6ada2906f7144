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
 * Built-in functions added after the PostgreSQL release pg-functions.json was generated from
 * (the parser is PostgreSQL 18's), reviewed one by one: each only computes its result from its
 * arguments (or the catalog, or a random source), like its neighbours in the table. Without
 * this list an analyst's `any_value(x)` or `casefold(name)` would be a `function` action.
 * Newer functions that write, reach files or other sessions (`pg_restore_relation_stats`,
 * `pg_sync_replication_slots`, `pg_ls_summariesdir`, …) are deliberately absent.
 */
export const newerBuiltinFunctions: Readonly<Record<string, string>> = {
  any_value: 'PostgreSQL 16: aggregate returning any input value',
  array_sample: 'PostgreSQL 16: random sample of an array; reads only the random source',
  array_shuffle: 'PostgreSQL 16: shuffled array; reads only the random source',
  date_add: 'PostgreSQL 16: timestamptz plus interval',
  date_subtract: 'PostgreSQL 16: timestamptz minus interval',
  erf: 'PostgreSQL 16: error function',
  erfc: 'PostgreSQL 16: complementary error function',
  to_bin: 'PostgreSQL 16: integer as binary text',
  to_oct: 'PostgreSQL 16: integer as octal text',
  pg_input_is_valid: 'PostgreSQL 16: whether text is valid input for a type',
  pg_input_error_info: 'PostgreSQL 16: why text is not valid input for a type',
  json_object_agg_strict: 'PostgreSQL 16: JSON object aggregate skipping nulls',
  json_object_agg_unique: 'PostgreSQL 16: JSON object aggregate rejecting duplicate keys',
  json_object_agg_unique_strict: 'PostgreSQL 16: both of the above',
  jsonb_object_agg_strict: 'PostgreSQL 16: jsonb object aggregate skipping nulls',
  jsonb_object_agg_unique: 'PostgreSQL 16: jsonb object aggregate rejecting duplicate keys',
  jsonb_object_agg_unique_strict: 'PostgreSQL 16: both of the above',
  to_regtypemod: 'PostgreSQL 17: type modifier of a type name',
  pg_basetype: 'PostgreSQL 17: base type of a domain',
  uuid_extract_timestamp: 'PostgreSQL 17: timestamp field of a UUID',
  uuid_extract_version: 'PostgreSQL 17: version field of a UUID',
  unicode_assigned: 'PostgreSQL 17: whether every character is assigned in Unicode',
  xmltext: 'PostgreSQL 17: text as an XML text node',
  casefold: 'PostgreSQL 18: case folding of text',
  array_reverse: 'PostgreSQL 18: array in reverse order',
  array_sort: 'PostgreSQL 18: sorted array',
  crc32: 'PostgreSQL 18: CRC-32 of bytea',
  crc32c: 'PostgreSQL 18: CRC-32C of bytea',
  gamma: 'PostgreSQL 18: gamma function',
  lgamma: 'PostgreSQL 18: log of the gamma function',
  uuidv7: 'PostgreSQL 18: time-ordered random UUID; reads only the clock and random source',
  pg_get_acl: 'PostgreSQL 18: an object’s access privileges, from the catalog',
  has_largeobject_privilege: 'PostgreSQL 18: privilege check, from the catalog',
};

/**
 * Built-in functions declared IMMUTABLE or STABLE that the generator's side-effect probe could not
 * run to completion with its sample arguments (it needs a column definition list, an existing
 * object of a kind a fresh cluster lacks, or a value it does not guess), reviewed one by one: each
 * only computes from its arguments or reads the catalog, like its neighbours in the table.
 * Without this list `SELECT * FROM json_to_record(…) AS x(a int)` would be a `function` action.
 */
export const reviewedUnprovenFunctions: Readonly<Record<string, string>> = {
  json_to_record: 'builds a row from JSON; needs a column definition list the probe cannot write',
  json_to_recordset: 'builds rows from JSON; needs a column definition list',
  jsonb_to_record: 'builds a row from jsonb; needs a column definition list',
  jsonb_to_recordset: 'builds rows from jsonb; needs a column definition list',
  json_to_tsvector: 'text search vector of JSON values; needs a valid filter argument',
  jsonb_to_tsvector: 'text search vector of jsonb values; needs a valid filter argument',
  has_database_privilege: 'privilege check, from the catalog (needs an existing database and privilege name)',
  has_function_privilege: 'privilege check, from the catalog (needs an existing function signature)',
  has_parameter_privilege: 'privilege check, from the catalog (needs a parameter and privilege name)',
  has_tablespace_privilege: 'privilege check, from the catalog (needs an existing tablespace)',
  pg_get_expr: 'deparses a stored expression, from the catalog',
  pg_get_serial_sequence: 'names the sequence behind a column, from the catalog',
  pg_get_object_address: 'resolves an object address, from the catalog',
  pg_sequence_parameters: 'reads a sequence’s definition, from the catalog',
  to_ascii: 'converts text to ASCII from a named encoding',
  line: 'constructs a geometric line from two points',
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
  txid_current: 'STABLE, yet assigns the transaction an id (a write); the side-effect probe sees it',
  pg_current_xact_id: 'STABLE, yet assigns the transaction an id (a write); the side-effect probe sees it',
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
