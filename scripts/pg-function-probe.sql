-- The side-effect probe of scripts/generate-pg-functions.ts. Calls every pg_catalog function the
-- SQL classifier could treat as free of side effects (every non-volatile one, and the reviewed
-- harmless volatile ones named in the setting probe.candidates) once per overload, each call in
-- its own READ ONLY transaction, and reports one NOTICE per overload:
--   probe|<oid>|<name>|ok            ran without error and the transaction got no id
--   probe|<oid>|<name>|xid           ran, but gave the transaction an id: it writes
--   probe|<oid>|<name>|error <state> every sample argument set was rejected (25006: it tried to write)
--   probe|<oid>|<name>|uncallable    an argument type SQL cannot supply (internal, …)
-- Sample arguments come from per-type alternatives; combinations are tried (up to 400) until one
-- runs. Needs a session that may create a temporary enum type; changes nothing else.
CREATE TYPE pg_temp.probe_enum AS ENUM ('a', 'b');
SET default_transaction_read_only = on;
DO $probe$
DECLARE
  -- Alternatives per argument type; attempt k uses each argument's k-th (or last) alternative.
  samples jsonb := '{}';
  fixed CONSTANT jsonb := jsonb_build_object(
    'anyelement', jsonb_build_array('1::int4', 'NULL::pg_catalog.pg_am', '''a''::text'),
    'anynonarray', jsonb_build_array('1::int4'),
    'anycompatible', jsonb_build_array('1::int4'),
    'anycompatiblenonarray', jsonb_build_array('1::int4'),
    'anyarray', jsonb_build_array('''{1}''::int4[]'),
    'anycompatiblearray', jsonb_build_array('''{1}''::int4[]'),
    'anyrange', jsonb_build_array('int4range(1, 2)'),
    'anycompatiblerange', jsonb_build_array('int4range(1, 2)'),
    'anymultirange', jsonb_build_array('int4multirange(int4range(1, 2))'),
    'anycompatiblemultirange', jsonb_build_array('int4multirange(int4range(1, 2))'),
    'anyenum', jsonb_build_array('''a''::pg_temp.probe_enum'),
    '"any"', jsonb_build_array('1', '''a''::text'),
    'record', jsonb_build_array('row(1)'),
    'cstring', jsonb_build_array('''1''::cstring', '''a''::cstring'),
    'text', jsonb_build_array('''a''::text', '''day''::text', '''g''::text', '''base64''::text', '''NFC''::text', '''postgres''::text', '''USAGE''::text', '''main''::text', '''default''::text', '''search_path''::text', '''UTF8''::text', '''pg_class''::text', '''now()''::text', '''+(int4,int4)''::text', '''/a''::text', '''<a>1</a>''::text', '''9''::text', '''{}''::text', '''VACUUM''::text', '''SELECT''::text', '''i''::text', '''$.a''::text', '''public''::text'),
    'name', jsonb_build_array('''a''::name', '''postgres''::name', '''pg_default''::name', '''plpgsql''::name', '''UTF8''::name', '''SQL_ASCII''::name', '''pg_catalog''::name', '''pg_class''::name', '''oid''::name', '''USAGE''::name'),
    'oid', jsonb_build_array('1::oid', '3722::oid', '1259::oid', '0::oid'),
    'json', jsonb_build_array('''{"a":1}''::json', '''[{"amname":"x"}]''::json', '''1''::json'),
    'jsonb', jsonb_build_array('''{"a":1}''::jsonb', '''[{"amname":"x"}]''::jsonb', '''1''::jsonb'),
    'regclass', jsonb_build_array('''pg_class''::regclass'),
    'regproc', jsonb_build_array('''now''::regproc'),
    'regprocedure', jsonb_build_array('''now()''::regprocedure'),
    'regtype', jsonb_build_array('''int4''::regtype'),
    'regoper', jsonb_build_array('''!!''::regoper'),
    'regoperator', jsonb_build_array('''+(int4,int4)''::regoperator'),
    'regnamespace', jsonb_build_array('''pg_catalog''::regnamespace'),
    'regrole', jsonb_build_array('''postgres''::regrole'),
    'regconfig', jsonb_build_array('''simple''::regconfig'),
    'regdictionary', jsonb_build_array('''simple''::regdictionary'),
    'regcollation', jsonb_build_array('''"C"''::regcollation'),
    'aclitem', jsonb_build_array('''=r/postgres''::aclitem'),
    'xml', jsonb_build_array('''<a>1</a>''::xml'),
    'bytea', jsonb_build_array('''\x6162''::bytea'),
    '"char"', jsonb_build_array('''A''::"char"', '''a''::"char"'),
    'double precision', jsonb_build_array('1.5::float8', '2::float8', '0::float8'),
    'numeric', jsonb_build_array('1.5::numeric', '2::numeric', '0::numeric'),
    'integer', jsonb_build_array('1', '0', '2'));
  literals CONSTANT text[] := ARRAY['1', 'a', 't', '{}', '0', '1.5', '2000-01-01', '2000-01-01 00:00', '00:00',
    '1 day', '(0,0)', '((0,0),(1,1))', '<(0,0),1>', '{1,1,1}', '[(0,0),(1,1)]', '0/0', 'empty', '{"a":1}', '$',
    'a & b', 'a:1', '127.0.0.1', '08:00:2b:01:02:03', '00000000-0000-0000-0000-000000000000', '<a/>', '10:20:',
    '(0,1)'];
  t record;
  c record;
  lit text;
  args text[];
  expr text;
  direct text;
  aggregated text;
  xid xid8;
  calls oid[];
  attempts int;
  outcome text;
  k int;
  j int;
  n int;
  radix int[];
BEGIN
  FOR t IN
    SELECT DISTINCT a.typ AS oid, format_type(a.typ, NULL) AS name, ty.typtype
    FROM pg_proc p, unnest(p.proargtypes::oid[]) AS a(typ), pg_type ty
    WHERE p.pronamespace = 'pg_catalog'::regnamespace AND ty.oid = a.typ
  LOOP
    IF fixed ? t.name THEN
      samples := samples || jsonb_build_object(t.oid::text, fixed -> t.name);
      CONTINUE;
    END IF;
    IF t.typtype = 'p' THEN CONTINUE; END IF;
    FOREACH lit IN ARRAY literals LOOP
      BEGIN
        EXECUTE format('SELECT %L::%s', lit, t.name);
        samples := samples || jsonb_build_object(t.oid::text, jsonb_build_array(format('%L::%s', lit, t.name)));
        EXIT;
      EXCEPTION WHEN OTHERS THEN NULL;
      END;
    END LOOP;
  END LOOP;

  SELECT array_agg(p.oid ORDER BY p.proname, p.oid) INTO calls
  FROM pg_proc p
  WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.prokind <> 'p'
    AND (p.provolatile <> 'v' OR p.proname = ANY (string_to_array(current_setting('probe.candidates'), ',')));

  FOR i IN 1 .. coalesce(array_length(calls, 1), 0) LOOP
    SELECT p.oid, p.proname, p.prokind, ARRAY(SELECT unnest(p.proargtypes::oid[])) AS argtypes, p.provariadic,
           coalesce(ag.aggkind, 'n') AS aggkind, coalesce(ag.aggnumdirectargs, 0) AS ndirect
    INTO c
    FROM pg_proc p LEFT JOIN pg_aggregate ag ON ag.aggfnoid = p.oid
    WHERE p.oid = calls[i];
    IF EXISTS (SELECT 1 FROM unnest(c.argtypes) AS u(typ) WHERE NOT samples ? u.typ::text) THEN
      RAISE NOTICE 'probe|%|%|uncallable', c.oid, c.proname;
      CONTINUE;
    END IF;
    -- Every combination of the arguments' alternatives, in mixed radix, up to 400 attempts.
    SELECT coalesce(array_agg(jsonb_array_length(samples -> u.typ::text) ORDER BY u.ord), ARRAY[]::int[])
    INTO radix FROM unnest(c.argtypes) WITH ORDINALITY AS u(typ, ord);
    attempts := 1;
    FOREACH k IN ARRAY radix LOOP attempts := least(attempts * k, 400); END LOOP;
    outcome := NULL;
    FOR k IN 0 .. attempts - 1 LOOP
      args := ARRAY[]::text[];
      n := k;
      FOR j IN 1 .. cardinality(radix) LOOP
        args := args || (samples -> c.argtypes[j]::text ->> (n % radix[j]));
        n := n / radix[j];
      END LOOP;
      IF c.provariadic NOT IN (0, '"any"'::regtype) AND cardinality(args) > 0 THEN
        args[cardinality(args)] := 'VARIADIC ' || args[cardinality(args)];
      END IF;
      IF c.aggkind IN ('o', 'h') THEN
        direct := array_to_string(args[1:c.ndirect], ', ');
        aggregated := array_to_string(args[c.ndirect + 1:], ', ');
        -- A hypothetical-set aggregate's VARIADIC "any" takes as many ordering columns as direct ones.
        IF aggregated = '' THEN aggregated := direct; END IF;
        expr := format('pg_catalog.%I(%s) WITHIN GROUP (ORDER BY %s)', c.proname, direct, aggregated);
      ELSIF c.prokind = 'a' AND cardinality(args) = 0 THEN
        expr := format('pg_catalog.%I(*)', c.proname);
      ELSE
        expr := format('pg_catalog.%I(%s)', c.proname, array_to_string(args, ', '));
        IF c.prokind = 'w' THEN expr := expr || ' OVER ()'; END IF;
      END IF;
      ROLLBACK;
      BEGIN
        -- OFFSET 0 keeps the planner from dropping the call as an unused output.
        EXECUTE format('SELECT count(probe.x) FROM (SELECT %s AS x OFFSET 0) AS probe', expr);
        xid := pg_current_xact_id_if_assigned();
        outcome := CASE WHEN xid IS NULL THEN 'ok' ELSE 'xid' END;
      EXCEPTION WHEN OTHERS THEN
        xid := NULL;
        -- Report the first attempt's error: later ones only vary the sample values.
        IF outcome IS NULL THEN outcome := 'error ' || SQLSTATE || ' ' || replace(left(SQLERRM, 80), '|', '/'); END IF;
        IF SQLSTATE = '25006' THEN outcome := 'error 25006 ' || replace(left(SQLERRM, 80), '|', '/'); END IF;
      END;
      EXIT WHEN outcome = 'ok' OR outcome = 'xid' OR outcome LIKE 'error 25006%';
    END LOOP;
    RAISE NOTICE 'probe|%|%|%', c.oid, c.proname, outcome;
  END LOOP;
  ROLLBACK;
END
$probe$;
