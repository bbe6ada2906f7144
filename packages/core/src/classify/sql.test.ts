import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { Action, ClassifyContext } from '../types.js';
import { analyzeSql, classifySql, configureSqlClassifier, loadSqlClassifier } from './sql.js';

/** `'op'` or `'op:resource'` (split at the first colon) as an Action. */
function a(spec: string): Action {
  const i = spec.indexOf(':');
  return i < 0 ? { operation: spec } : { operation: spec.slice(0, i), resource: spec.slice(i + 1) };
}

beforeAll(async () => {
  await loadSqlClassifier();
});

// Each case: SQL text and the exact action list, in order.
const cases: readonly (readonly [string, readonly string[]])[] = [
  // select and reads anywhere in the tree
  ['SELECT 1', ['select']],
  ['select * from users', ['select:users']],
  ['SELECT * FROM public.users', ['select:public.users']],
  ['select * from "MyTable"', ['select:MyTable']],
  ['SELECT * FROM MyTable', ['select:mytable']],
  ['SELECT * FROM db.s.t', ['select:db.s.t']],
  ['SELECT * FROM "public.users"', ['select:"public.users"']],
  ['TABLE t', ['select:t']],
  ['VALUES (1), (2)', ['select']],
  ['SELECT * FROM a JOIN b ON a.id = b.id LEFT JOIN c USING (id)', ['select:a', 'select:b', 'select:c']],
  ['SELECT (SELECT max(x) FROM a), y FROM b', ['select:a', 'select:b']],
  [
    'SELECT * FROM t WHERE id IN (SELECT id FROM u) AND EXISTS (SELECT 1 FROM v)',
    ['select:t', 'select:u', 'select:v'],
  ],
  ['SELECT * FROM t, LATERAL (SELECT * FROM u WHERE u.a = t.a) x', ['select:t', 'select:u']],
  ['SELECT 1 UNION SELECT 2 FROM t EXCEPT SELECT 3 FROM u', ['select:t', 'select:u']],
  ['SELECT CASE WHEN x THEN (SELECT 1 FROM secret) END FROM t', ['select:secret', 'select:t']],
  ['SELECT * FROM t ORDER BY (SELECT max(a) FROM u)', ['select:t', 'select:u']],
  ['SELECT ARRAY(SELECT a FROM u)', ['select:u']],
  ['SELECT * FROM t TABLESAMPLE bernoulli (10)', ['select:t']],
  ['SELECT * FROM ROWS FROM (generate_series(1, 2), unnest(ARRAY[1]))', ['select']],
  // CTEs: names are not relations, but only within their scope
  ['WITH x AS (SELECT * FROM t) SELECT * FROM x', ['select:t']],
  ['WITH t AS (SELECT * FROM t) SELECT * FROM t', ['select:t']],
  ['WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT * FROM r', ['select']],
  ['SELECT * FROM (WITH t AS (SELECT 1) SELECT * FROM t) s, t', ['select:t']],
  ['WITH x AS (SELECT 1), y AS (SELECT * FROM x) SELECT * FROM y', ['select']],
  ['WITH y AS (SELECT * FROM x), x AS (SELECT 1) SELECT * FROM y', ['select:x']],
  ['WITH x AS (SELECT 1) SELECT * FROM public.x', ['select:public.x']],
  // data-modifying CTEs
  ['WITH d AS (DELETE FROM t WHERE old RETURNING *) SELECT * FROM d', ['delete:t', 'select:t']],
  ['WITH d AS (DELETE FROM t) SELECT 1', ['select', 'delete:t']],
  [
    'WITH u AS (UPDATE t SET a = 1 RETURNING id) INSERT INTO log SELECT id FROM u',
    ['update:t', 'select:t', 'insert:log'],
  ],
  // writes
  ['INSERT INTO a VALUES (1)', ['insert:a']],
  ['INSERT INTO a SELECT * FROM b', ['insert:a', 'select:b']],
  ['INSERT INTO a VALUES ((SELECT max(id) FROM b))', ['insert:a', 'select:b']],
  ['INSERT INTO a (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET n = a.n + 1', ['insert:a', 'update:a']],
  ['INSERT INTO a (id) VALUES (1) ON CONFLICT DO NOTHING', ['insert:a']],
  ['INSERT INTO a DEFAULT VALUES RETURNING *', ['insert:a', 'select:a']],
  ['UPDATE t SET a = 1 WHERE id = 2', ['update:t']],
  ['UPDATE t SET a = u.a FROM u WHERE t.id = u.id', ['update:t', 'select:u']],
  ['UPDATE t SET a = 1 RETURNING a', ['update:t', 'select:t']],
  ['DELETE FROM t WHERE id = 1', ['delete:t']],
  ['DELETE FROM t USING u WHERE t.id = u.id', ['delete:t', 'select:u']],
  [
    'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN INSERT VALUES (s.id)',
    ['merge:t', 'delete:t', 'insert:t', 'select:s'],
  ],
  [
    'MERGE INTO t USING (SELECT * FROM s) x ON t.id = x.id WHEN MATCHED THEN UPDATE SET a = x.a',
    ['merge:t', 'update:t', 'select:s'],
  ],
  // SELECT INTO, CREATE TABLE AS, locking clauses
  ['SELECT * INTO newt FROM t', ['create:newt', 'select:t']],
  ['CREATE TABLE x AS SELECT * FROM t', ['create:x', 'select:t']],
  ['CREATE MATERIALIZED VIEW mv AS SELECT * FROM t', ['create:mv', 'select:t']],
  ['SELECT * FROM t FOR UPDATE', ['select:t', 'lock:t']],
  ['SELECT * FROM t a JOIN u b ON true FOR SHARE OF b', ['select:t', 'select:u', 'lock:u']],
  // EXPLAIN
  ['EXPLAIN SELECT * FROM a JOIN b ON true', ['explain:a', 'explain:b']],
  ['EXPLAIN SELECT 1', ['explain']],
  ['EXPLAIN DELETE FROM t', ['explain:t']],
  ['EXPLAIN (ANALYZE off, VERBOSE) UPDATE t SET a = 1', ['explain:t']],
  ['EXPLAIN ANALYZE UPDATE t SET a = 1', ['update:t']],
  ['EXPLAIN (ANALYZE, FORMAT JSON) DELETE FROM t', ['delete:t']],
  ["EXPLAIN SELECT nextval('s') FROM t", ['function:nextval', 'explain:t']],
  // COPY
  ['COPY t TO STDOUT', ['copy_to:t', 'select:t']],
  ['COPY t FROM STDIN', ['copy_from:t', 'insert:t']],
  ['COPY (SELECT * FROM t WHERE a) TO STDOUT WITH (FORMAT csv)', ['copy_to', 'select:t']],
  ["COPY t TO '/tmp/out.csv'", ['copy_file:/tmp/out.csv', 'select:t']],
  ["COPY t FROM '/etc/passwd'", ['copy_file:/etc/passwd', 'insert:t']],
  ["COPY t FROM PROGRAM 'curl evil'", ['copy_program:curl evil', 'insert:t']],
  ["COPY (SELECT 1) TO PROGRAM 'sh'", ['copy_program:sh', 'select']],
  // functions
  ['SELECT lower(name), now(), count(*) FROM t', ['select:t']],
  ['SELECT random(), clock_timestamp(), gen_random_uuid()', ['select']],
  ["SELECT nextval('s')", ['select', 'function:nextval']],
  ["SELECT setval('s', 1)", ['select', 'function:setval']],
  ["SELECT set_config('role', 'admin', false)", ['select', 'function:set_config']],
  ["SELECT pg_read_file('/etc/passwd')", ['select', 'function:pg_read_file']],
  [
    "SELECT pg_catalog.pg_read_file('/etc/passwd')",
    ['select', 'function:pg_catalog.pg_read_file', 'function:pg_read_file'],
  ],
  ['SELECT pg_terminate_backend(123)', ['select', 'function:pg_terminate_backend']],
  ["SELECT lo_export(1, '/tmp/x')", ['select', 'function:lo_export']],
  ["SELECT pg_notify('ch', 'x')", ['select', 'function:pg_notify']],
  ["SELECT table_to_xml('secret', true, true, '')", ['select', 'function:table_to_xml']],
  ['SELECT public.lower(name) FROM t', ['function:public.lower', 'select:t']],
  ['SELECT pg_catalog.lower(name) FROM t', ['select:t']],
  ['SELECT my_func(1)', ['select', 'function:my_func']],
  ["SELECT * FROM dblink('conn', 'DELETE FROM t') AS x(a int)", ['select', 'function:dblink']],
  ["SELECT dblink_exec('DROP TABLE t')", ['select', 'function:dblink_exec']],
  ['SELECT * FROM generate_series(1, 10)', ['select']],
  ['SELECT * FROM t ORDER BY f(a)', ['select:t', 'function:f']],
  ['SELECT * FROM t WHERE a = ANY (SELECT g(b) FROM u)', ['select:t', 'function:g', 'select:u']],
  [
    "INSERT INTO t VALUES (nextval('s')) RETURNING f(id)",
    ['insert:t', 'function:nextval', 'select:t', 'function:f'],
  ],
  ['SELECT 1 OPERATOR(public.===) 2', ['select', 'function:OPERATOR(public.===)']],
  ["SELECT 1 + 2 * 3 FROM t WHERE a LIKE 'x%' AND b IS DISTINCT FROM c", ['select:t']],
  ['SELECT * FROM t TABLESAMPLE system_rows (10)', ['function:system_rows', 'select:t']],
  ["SELECT ts_rewrite('a'::tsquery, 'SELECT * FROM aliases')", ['select', 'function:ts_rewrite']],
  // DDL: create, alter, drop, truncate (resources as written)
  [
    "CREATE TABLE t (id int DEFAULT nextval('s') CHECK (id > f(0)))",
    ['create:t', 'function:nextval', 'function:f'],
  ],
  ['CREATE INDEX i ON t (lower(a)) WHERE g(b)', ['create:i', 'function:g']],
  ['CREATE VIEW v AS SELECT * FROM secret', ['create:v', 'select:secret']],
  ['CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$', ['create:f']],
  ['CREATE PROCEDURE s.p() LANGUAGE sql BEGIN ATOMIC DELETE FROM x; END', ['create:s.p', 'delete:x']],
  ['CREATE SCHEMA s', ['create:s']],
  ['CREATE EXTENSION dblink', ['create:dblink']],
  [
    'CREATE TRIGGER trg AFTER INSERT ON s.t FOR EACH ROW EXECUTE FUNCTION f()',
    ['create:s.t.trg', 'function:f'],
  ],
  ['CREATE RULE r AS ON INSERT TO t DO INSTEAD DELETE FROM x', ['create:t.r', 'delete:x']],
  ['ALTER TABLE t ADD COLUMN c int DEFAULT f()', ['alter:t', 'function:f']],
  ['ALTER TABLE public.t RENAME TO u', ['alter:public.t']],
  ['ALTER FUNCTION f(int) SET search_path = s', ['alter:f']],
  ["COMMENT ON TABLE t IS 'DROP TABLE t'", ['alter:t']],
  ["ALTER SYSTEM SET work_mem = '1MB'", ['alter:SYSTEM']],
  ['DROP TABLE t', ['drop:t']],
  ['DROP TABLE IF EXISTS a, s.b CASCADE', ['drop:a', 'drop:s.b']],
  ['DROP FUNCTION f(int), g', ['drop:f', 'drop:g']],
  ['DROP SCHEMA s CASCADE', ['drop:s']],
  ['DROP TRIGGER trg ON t', ['drop:t.trg']],
  ['DROP DATABASE d', ['drop:d']],
  ['TRUNCATE a, ONLY s.b', ['truncate:a', 'truncate:s.b']],
  // privileges and roles
  ['GRANT SELECT ON t TO bob', ['grant:t']],
  ['REVOKE ALL ON TABLE a, b FROM bob', ['revoke:a', 'revoke:b']],
  ['GRANT SELECT ON ALL TABLES IN SCHEMA public TO bob', ['grant:public.*']],
  ['GRANT EXECUTE ON FUNCTION f(int) TO bob', ['grant:f']],
  ['ALTER DEFAULT PRIVILEGES IN SCHEMA s GRANT SELECT ON TABLES TO bob', ['grant:s.*']],
  ['GRANT admin TO bob', ['grant:admin', 'role:admin']],
  ['CREATE ROLE r LOGIN', ['role:r']],
  ["CREATE USER u WITH PASSWORD 'x'", ['role:u']],
  ['ALTER ROLE r SUPERUSER', ['role:r']],
  ['DROP ROLE r, u', ['role:r', 'role:u']],
  ['SET ROLE admin', ['role:admin']],
  ['SET SESSION AUTHORIZATION bob', ['role:bob']],
  ['RESET ROLE', ['role']],
  // settings
  ['SET search_path TO s, public', ['set:search_path']],
  ["SET LOCAL work_mem = '1GB'", ['set:work_mem']],
  ["SET TIME ZONE 'UTC'", ['set:timezone']],
  ['RESET ALL', ['set:all']],
  ['SHOW search_path', ['show:search_path']],
  ['SHOW ALL', ['show:all']],
  // transactions
  ['BEGIN', ['transaction']],
  ['START TRANSACTION ISOLATION LEVEL SERIALIZABLE', ['transaction']],
  ['SET TRANSACTION READ ONLY', ['transaction']],
  ['SAVEPOINT s; ROLLBACK TO SAVEPOINT s; RELEASE s', ['transaction']],
  ['COMMIT', ['transaction']],
  ['SET CONSTRAINTS ALL DEFERRED', ['transaction']],
  // locks, routines, anonymous code, notifications, maintenance
  ['LOCK TABLE a, b IN ACCESS EXCLUSIVE MODE', ['lock:a', 'lock:b']],
  ["CALL s.p(1, nextval('q'))", ['call:s.p', 'function:nextval']],
  ['DO $$ BEGIN DROP TABLE t; END $$', ['do']],
  ['LISTEN ch', ['listen:ch']],
  ['UNLISTEN *', ['listen']],
  ["NOTIFY ch, 'DROP TABLE t'", ['notify:ch']],
  ['VACUUM', ['maintenance']],
  ['VACUUM (ANALYZE) a, b', ['maintenance:a', 'maintenance:b']],
  ['ANALYZE t', ['maintenance:t']],
  ['REINDEX TABLE t', ['maintenance:t']],
  ['CLUSTER t USING i', ['maintenance:t']],
  ['CHECKPOINT', ['maintenance']],
  ['REFRESH MATERIALIZED VIEW mv', ['maintenance:mv']],
  ["LOAD 'auto_explain'", ['function:auto_explain']],
  // cursors, prepared statements, session housekeeping
  ['DECLARE c CURSOR FOR SELECT * FROM t FOR UPDATE', ['select:t', 'lock:t']],
  ['FETCH 10 FROM c', ['other:c']],
  ['CLOSE c', ['other:c']],
  ['PREPARE p AS DELETE FROM t WHERE id = $1', ['delete:t']],
  ['PREPARE p (int) AS SELECT $1', ['select']],
  ['EXECUTE p', ['unknown']],
  ['DEALLOCATE p', ['other:p']],
  ['DEALLOCATE ALL', ['other:all']],
  ['DISCARD ALL', ['other:discard all', 'role']],
  // multi-statement texts
  ['SELECT 1; DROP TABLE t', ['select', 'drop:t']],
  ['SELECT * FROM t; SELECT * FROM t;', ['select:t']],
  ['BEGIN; DELETE FROM t; COMMIT', ['transaction', 'delete:t']],
  // literals, identifiers and comments never act
  ["SELECT E'\\';DROP TABLE t; --'", ['select']],
  ["SELECT 'DROP TABLE t'", ['select']],
  ['SELECT "drop table t" FROM "delete"', ['select:delete']],
  ['SELECT 1 -- ; DROP TABLE t', ['select']],
  ['/* /* */ DROP TABLE t */ SELECT 1', ['select']],
  ['/* /* */ DROP */ SELECT 1', ['select']],
  ['SELECT $$;DROP TABLE t;$$', ['select']],
  ['SELECT $tag$ $$ ; DELETE FROM t; $$ $tag$', ['select']],
  ["SELECT U&'\\0041'", ['select']],
  ["SELECT 'a' 'b'", ['unknown']],
  ["SELECT 'a'\n';DROP TABLE t;'", ['select']],
  // standard_conforming_strings: a backslash before a quote in '…' ends the string when it is off
  ["SELECT 'a\\'' ; DROP TABLE t; --'", ['select', 'drop:t']],
  ["SELECT * FROM t WHERE a ~ '\\d+'", ['select:t']],
  ["SELECT 'C:\\'", ['select']],
  // unresolvable
  ['', ['unknown']],
  ['   \n\t', ['unknown']],
  ['-- nothing', ['unknown']],
  [';;', ['unknown']],
  ['SELEC 1', ['unknown']],
  ['SELECT 1; DROP TABL t', ['unknown']],
  ["SELECT 'unterminated", ['unknown']],
  ['SELECT 1\u0000; DROP TABLE t', ['unknown']],
  ['CREATE TABLE x AS EXECUTE p', ['create:x', 'unknown']],
];

describe('classifySql', () => {
  it.each(cases)('%s', (sql, expected) => {
    expect(classifySql(sql)).toEqual(expected.map(a));
  });

  it('covers every operation of the SQL vocabulary', () => {
    const vocabulary = [
      'select', 'insert', 'update', 'delete', 'merge', 'copy_to', 'copy_from', 'copy_program', 'copy_file',
      'create', 'alter', 'drop', 'truncate', 'grant', 'revoke', 'role', 'set', 'show', 'transaction', 'lock',
      'call', 'do', 'function', 'explain', 'maintenance', 'listen', 'notify', 'other', 'unknown',
    ]; // prettier-ignore
    const seen = new Set(cases.flatMap(([, expected]) => expected.map((s) => a(s).operation)));
    expect([...seen].sort()).toEqual([...vocabulary].sort());
  });

  it('returns unknown for input that is not a string', () => {
    expect(classifySql(42 as unknown as string)).toEqual([a('unknown')]);
  });
});

// Evasions found by red-teaming the classifier, each with the exact actions it must produce. A
// read-only policy (select, explain, show, set, transaction) must not allow any of them, and a
// deny rule naming a built-in by its bare name must see it however it is qualified.
const evasions: readonly (readonly [string, readonly string[]])[] = [
  // pg_catalog qualification also yields the bare name a rule names
  [
    "SELECT pg_catalog.set_config('role', 'admin', false)",
    ['select', 'function:pg_catalog.set_config', 'function:set_config'],
  ],
  [
    "SELECT * FROM pg_catalog.pg_ls_dir('/')",
    ['select', 'function:pg_catalog.pg_ls_dir', 'function:pg_ls_dir'],
  ],
  ['SELECT * FROM pg_catalog.pg_authid', ['select:pg_catalog.pg_authid', 'select:pg_authid']],
  ['SELECT * FROM mydb.pg_catalog.pg_shadow', ['select:mydb.pg_catalog.pg_shadow', 'select:pg_shadow']],
  [
    'GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_file(text) TO bob',
    ['grant:pg_catalog.pg_read_file', 'grant:pg_read_file'],
  ],
  ["EXPLAIN SELECT pg_catalog.nextval('s')", ['explain', 'function:pg_catalog.nextval', 'function:nextval']],
  ['SELECT * FROM "pg_catalog.pg_authid"', ['select:"pg_catalog.pg_authid"']],
  ["LOAD 'pg_catalog.so'", ['function:pg_catalog.so']],
  ['GRANT SELECT ON ALL TABLES IN SCHEMA pg_catalog TO bob', ['grant:pg_catalog.*']],
  ["SELECT pg_catalog.lower('X')", ['select']],
  // a search_path with a schema before pg_catalog lets that schema's lower() or + run instead
  ['SET search_path = scratch, pg_catalog', ['set:search_path', 'unknown']],
  ['SET LOCAL search_path TO "$user", pg_catalog', ['set:search_path', 'unknown']],
  ['SET search_path = pg_temp, pg_catalog, scratch', ['set:search_path']],
  ['SET search_path = scratch, public', ['set:search_path']],
  ["SET search_path = 'scratch, pg_catalog'", ['set:search_path']],
  ['SET search_path TO DEFAULT', ['set:search_path']],
  // a client encoding other than UTF8 moves where literals end on the server
  ["SET client_encoding = 'SJIS'", ['set:client_encoding', 'unknown']],
  ["SET NAMES 'GBK'", ['set:client_encoding', 'unknown']],
  ["SET client_encoding TO 'UTF-8'", ['set:client_encoding']],
  ["SET NAMES 'unicode'", ['set:client_encoding']],
  ['RESET client_encoding', ['set:client_encoding']],
  ["SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE", ['set:timezone']],
  // functions attached by DDL run later without being named
  [
    "CREATE TRIGGER trg AFTER INSERT ON staging.t FOR EACH ROW EXECUTE FUNCTION public.evil('x')",
    ['create:staging.t.trg', 'function:public.evil'],
  ],
  ['CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION s.f()', ['create:e', 'function:s.f']],
  ['CREATE CAST (int AS staging.t) WITH FUNCTION public.evil(int)', ['create', 'function:public.evil']],
  ['CREATE CAST (int AS staging.t) WITH INOUT', ['create']],
  // role membership and session authorization outside GRANT and SET ROLE
  ['CREATE ROLE r IN ROLE admin', ['role:r', 'grant:admin', 'role:admin']],
  ['CREATE ROLE r ROLE bob', ['role:r', 'grant:r']],
  ['ALTER GROUP admins ADD USER bob', ['role:admins', 'grant:admins']],
  ['ALTER GROUP admins DROP USER bob', ['role:admins', 'revoke:admins']],
  ['ALTER USER bob RENAME TO alice', ['role:bob']],
  ['DISCARD ALL', ['other:discard all', 'role']],
  // objects that belong to a table are named as DROP names them
  ['ALTER TRIGGER trg ON s.t RENAME TO x', ['alter:s.t.trg']],
  ['ALTER POLICY p ON t RENAME TO q', ['alter:t.p']],
  ['ALTER RULE r ON t RENAME TO x', ['alter:t.r']],
  // texts the parser would misread or take seconds to read
  ['SELECT * FROM "users\uD800"', ['unknown']],
  ["SELECT '\uDC00'; DROP TABLE t", ['unknown']],
  ['SELECT 1 ' + '/*'.repeat(200) + '*/'.repeat(200), ['unknown']],
  ['SELECT 1 ' + '+'.repeat(300) + '1', ['unknown']],
  ['SELECT 1 ' + '+-'.repeat(150) + ' 1', ['unknown']],
  ['SELECT 1 /* a */ /*' + '*/*'.repeat(150) + ' */', ['unknown']],
  ['SELECT 1 -- ' + '-'.repeat(1000), ['select']],
  ['SELECT 1 /* ' + '*'.repeat(1000) + ' */', ['select']],
  ["SELECT '" + '='.repeat(1000) + "'", ['select']],
  ["SELECT decode('" + '/'.repeat(400) + "w==', 'base64')", ['select']],
  ['SELECT 1 /* ' + '/* x */ '.repeat(500) + '*/', ['select']],
  ["SELECT '\uD83D\uDE00' AS smile", ['select']],
  // benign: built-ins newer than the generated table are not functions with side effects
  ["SELECT any_value(name), casefold(name), date_add(now(), interval '1 day') FROM t", ['select:t']],
  ['SELECT uuidv7(), array_shuffle(ARRAY[1, 2]), erf(0.5), gamma(3), to_bin(5)', ['select']],
  ["SELECT pg_clear_relation_stats('public', 't')", ['select', 'function:pg_clear_relation_stats']],
  // STABLE, yet they give the transaction an id: a write the function table must not hide
  ['SELECT txid_current()', ['select', 'function:txid_current']],
  ['SELECT pg_current_xact_id()', ['select', 'function:pg_current_xact_id']],
  [
    'SELECT pg_catalog.txid_current()',
    ['select', 'function:pg_catalog.txid_current', 'function:txid_current'],
  ],
  // large objects are granted and revoked like any object
  ['GRANT SELECT ON LARGE OBJECT 16402 TO bob', ['grant:16402']],
  ['GRANT SELECT, UPDATE ON LARGE OBJECT 1, 2 TO bob WITH GRANT OPTION', ['grant:1', 'grant:2']],
  ['REVOKE ALL ON LARGE OBJECT 16402 FROM bob', ['revoke:16402']],
  ['GRANT UPDATE ON LARGE OBJECT 0, 3000000000 TO bob', ['grant:0', 'grant:3000000000']],
  ['ALTER LARGE OBJECT 16402 OWNER TO bob', ['alter:16402']],
  ["COMMENT ON LARGE OBJECT 16402 IS 'x'", ['alter:16402']],
];

describe('red-team evasions', () => {
  it.each(evasions)('%s', (sql, expected) => {
    expect(classifySql(sql)).toEqual(expected.map(a));
  });

  it('gives up on the other string reading when re-lexing would cost more than three lexes', () => {
    // Each literal whose end moves with standard_conforming_strings off makes the classifier
    // lex the rest of the text again; spread through a long text, they are `unknown`.
    const moving = "SELECT 'a\\'' ; DELETE FROM t; --';\n";
    const filler = 'SELECT 1;'.repeat(6000);
    expect(classifySql(moving + filler)).toEqual([a('select'), a('delete:t')]);
    expect(classifySql(Array.from({ length: 4 }, () => moving + filler).join('\n'))).toEqual([
      a('select'),
      a('unknown'),
    ]);
  });

  it('says why an unreadable text is unknown', () => {
    expect(analyzeSql('SELECT 1 ' + '+'.repeat(300) + '1')).toMatchObject({
      failure: 'parse',
      message: 'the text holds more than 256 + and - in a row',
    });
    expect(analyzeSql('SELECT 1 ' + '/*'.repeat(200)).message).toBe(
      'the text holds more than 128 comment openers in one run of operator characters',
    );
    expect(analyzeSql("SELECT '\uD800'").message).toBe('the text contains a lone UTF-16 surrogate');
    expect(analyzeSql('SELECT 1\u0000').message).toBe('the text contains a NUL character');
  });
});

describe('EXECUTE and the session context', () => {
  const context: ClassifyContext = {
    preparedStatements: new Map([
      ['p', [a('delete:t')]],
      ['q', [a('select:u'), a('function:f')]],
    ]),
  };

  it.each([
    ['EXECUTE p', ['delete:t']],
    ['EXECUTE P', ['delete:t']],
    ['EXECUTE "P"', ['unknown']],
    ["EXECUTE p(nextval('s'))", ['delete:t', 'function:nextval']],
    ['EXECUTE nope', ['unknown']],
    ['EXPLAIN EXECUTE q', ['explain:u', 'function:f']],
    ['EXPLAIN ANALYZE EXECUTE p', ['delete:t']],
    ['CREATE TABLE x AS EXECUTE q', ['create:x', 'select:u', 'function:f']],
    ['SELECT 1; EXECUTE p', ['select', 'delete:t']],
  ] as const)('%s', (sql, expected) => {
    expect(classifySql(sql, context)).toEqual(expected.map(a));
  });

  it('resolves EXECUTE at call time even when the text is cached', () => {
    expect(classifySql('EXECUTE p')).toEqual([a('unknown')]);
    expect(classifySql('EXECUTE p', context)).toEqual([a('delete:t')]);
    expect(classifySql('EXECUTE p')).toEqual([a('unknown')]);
  });

  it('treats a malformed prepared entry as unknown', () => {
    const bad = { preparedStatements: new Map([['p', [{ resource: 'x' } as unknown as Action]]]) };
    expect(classifySql('EXECUTE p', bad)).toEqual([a('unknown')]);
    const empty = { preparedStatements: new Map([['p', []]]) };
    expect(classifySql('EXECUTE p', empty)).toEqual([a('unknown')]);
  });
});

describe('analyzeSql', () => {
  it.each([
    ['SELECT 1', []],
    ['EXECUTE p; EXECUTE q(1); EXECUTE p', ['p', 'q']],
    ['EXPLAIN ANALYZE EXECUTE p', ['p']],
    ['CREATE TABLE t AS EXECUTE p', ['p']],
    ['PREPARE p AS SELECT 1', []],
    ['SELEC 1', []],
  ])('names the prepared statements %s runs', (sql, names) => {
    expect(analyzeSql(sql).executes).toEqual(names);
  });

  it('splits statements with their spans and kinds', () => {
    const sql = 'PREPARE p AS DELETE FROM t; EXECUTE p; DEALLOCATE p; BEGIN; SELECT 1';
    const result = analyzeSql(sql, { preparedStatements: new Map([['p', [a('delete:t')]]]) });
    expect(result.actions).toEqual([a('delete:t'), a('other:p'), a('transaction'), a('select')]);
    expect(result.ambiguousStrings).toBe(false);
    expect(result.failure).toBeUndefined();
    expect(result.statements).toEqual([
      {
        kind: 'prepare',
        name: 'p',
        start: 0,
        end: 26,
        text: 'PREPARE p AS DELETE FROM t',
        actions: [a('delete:t')],
      },
      { kind: 'execute', name: 'p', start: 28, end: 37, text: 'EXECUTE p', actions: [a('delete:t')] },
      {
        kind: 'deallocate',
        name: 'p',
        all: false,
        start: 39,
        end: 51,
        text: 'DEALLOCATE p',
        actions: [a('other:p')],
      },
      {
        kind: 'transaction',
        transaction: 'begin',
        start: 53,
        end: 58,
        text: 'BEGIN',
        actions: [a('transaction')],
      },
      { kind: 'statement', start: 60, end: 68, text: 'SELECT 1', actions: [a('select')] },
    ]);
  });

  it.each([
    ['DEALLOCATE ALL', { kind: 'deallocate', all: true }],
    ['DISCARD ALL', { kind: 'deallocate', all: true }],
    ['COMMIT', { kind: 'transaction', transaction: 'commit' }],
    ['ROLLBACK TO SAVEPOINT s', { kind: 'transaction', transaction: 'rollback_to' }],
    ["PREPARE TRANSACTION 'x'", { kind: 'transaction', transaction: 'prepare' }],
    ['DISCARD PLANS', { kind: 'statement' }],
  ] as const)('%s', (sql, meta) => {
    expect(analyzeSql(sql).statements[0]).toMatchObject(meta);
  });

  it('reports spans as string indices for non-ASCII text', () => {
    const result = analyzeSql('SELECT \'é€😀\'; DELETE FROM "«t»"; DROP TABLE ÜBER');
    expect(result.statements.map((s) => s.text)).toEqual([
      "SELECT 'é€😀'",
      'DELETE FROM "«t»"',
      'DROP TABLE ÜBER',
    ]);
    // Only ASCII letters fold to lower case in a UTF-8 database, as PostgreSQL does.
    expect(result.actions).toEqual([a('select'), a('delete:«t»'), a('drop:Über')]);
  });

  it('says why a text is unknown', () => {
    expect(analyzeSql('SELEC 1')).toMatchObject({
      failure: 'parse',
      statements: [],
      actions: [a('unknown')],
    });
    expect(analyzeSql('SELEC 1').message).toMatch(/syntax error/);
    expect(analyzeSql(' -- x ')).toMatchObject({ failure: 'empty', statements: [], actions: [a('unknown')] });
  });

  it('flags texts that mean more with standard_conforming_strings off', () => {
    const result = analyzeSql("SELECT 'a\\'' ; DROP TABLE t; --'");
    expect(result.ambiguousStrings).toBe(true);
    expect(result.statements.map((s) => s.actions)).toEqual([[a('select')]]);
    expect(result.actions).toEqual([a('select'), a('drop:t')]);
    expect(analyzeSql("SELECT '\\d'").ambiguousStrings).toBe(false);
  });

  it('marks a prepared statement unknown when the other reading prepares something else', () => {
    // With standard_conforming_strings off the server deallocates p and prepares a DELETE as p.
    const swapped = analyzeSql("PREPARE p AS SELECT 'a\\'' ; DEALLOCATE p; PREPARE p AS DELETE FROM t; --'");
    expect(swapped.actions).toEqual([a('select'), a('other:p'), a('delete:t')]);
    expect(swapped.statements).toMatchObject([
      { kind: 'prepare', name: 'p', actions: [a('select'), a('unknown')] },
    ]);
    // Both readings prepare the same p: nothing to mark.
    const same = analyzeSql("PREPARE p AS SELECT 'a\\'' ; DROP TABLE t; --'");
    expect(same.actions).toEqual([a('select'), a('drop:t')]);
    expect(same.statements).toMatchObject([{ kind: 'prepare', name: 'p', actions: [a('select')] }]);
    expect(analyzeSql("PREPARE p AS SELECT * FROM t WHERE a ~ '\\d'").statements).toMatchObject([
      { kind: 'prepare', actions: [a('select:t')] },
    ]);
  });
});

describe('parse cache', () => {
  it('gives the same results with the cache disabled and bounded', () => {
    const texts = cases.map(([sql]) => sql);
    const cached = texts.map((t) => classifySql(t));
    configureSqlClassifier({ cacheSize: 0 });
    try {
      expect(texts.map((t) => classifySql(t))).toEqual(cached);
      configureSqlClassifier({ cacheSize: 3, maxCachedLength: 10 });
      expect(texts.map((t) => classifySql(t))).toEqual(cached);
    } finally {
      configureSqlClassifier({ cacheSize: 1000, maxCachedLength: 65_536 });
    }
  });

  it('returns results a caller cannot corrupt', () => {
    const first = classifySql('SELECT * FROM t');
    expect(() => {
      (first as Action[]).push(a('drop:x'));
    }).toThrow(TypeError);
    expect(classifySql('SELECT * FROM t')).toEqual([a('select:t')]);
  });

  it.each([{ cacheSize: -1 }, { cacheSize: 1.5 }, { maxCachedLength: Number.NaN }])(
    'rejects %o with a TypeError',
    (options) => {
      expect(() => {
        configureSqlClassifier(options);
      }).toThrow(TypeError);
    },
  );
});

describe('loading', () => {
  it('throws a TypeError before the module is loaded, then works; loading is idempotent', async () => {
    vi.resetModules();
    const fresh = await import('./sql.js');
    expect(() => fresh.classifySql('SELECT 1')).toThrow(TypeError);
    expect(() => fresh.analyzeSql('SELECT 1')).toThrow(TypeError);
    await Promise.all([fresh.loadSqlClassifier(), fresh.loadSqlClassifier()]);
    await fresh.loadSqlClassifier();
    expect(fresh.classifySql('SELECT 1')).toEqual([a('select')]);
  });
});
