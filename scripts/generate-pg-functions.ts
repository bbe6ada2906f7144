// Regenerates packages/core/src/classify/sql/data/pg-functions.json from a real PostgreSQL's catalog:
// which built-in (pg_catalog) function names are free of side effects by their declared
// volatility, and which built-in operator names are implemented only by such functions.
//
//   node --import tsx scripts/generate-pg-functions.ts
//
// Connects with psql (no driver dependency at the workspace root) to PORTCULLIS_PG_URL, or to
// the server the standard PG* variables name, or to postgres@127.0.0.1:5432/postgres.
// The reviewed exceptions (harmless volatile functions, dangerous non-volatile ones) are not
// applied here; they live in packages/core/src/classify/sql/data/pg-function-review.ts so a review
// needs no regeneration.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const out = new URL('../packages/core/src/classify/sql/data/pg-functions.json', import.meta.url);

function psql(query: string): string {
  const args = ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', query];
  const url =
    process.env['PORTCULLIS_PG_URL'] ??
    (process.env['PGHOST'] === undefined ? 'postgresql://postgres@127.0.0.1:5432/postgres' : undefined);
  if (url !== undefined) args.push(url);
  return execFileSync('psql', args, { encoding: 'utf8' }).trim();
}

const version = psql('SHOW server_version');

// One row per proname: the set of volatilities over all its pg_catalog overloads. A name is
// free of side effects only if every overload is immutable or stable, because a call site's
// argument types (and so the overload) are not known statically.
const functionRows = JSON.parse(
  psql(`
    SELECT json_agg(json_build_array(proname, vols, overloads) ORDER BY proname)
    FROM (
      SELECT p.proname::text AS proname,
             string_agg(DISTINCT p.provolatile::text, '' ORDER BY p.provolatile::text) AS vols,
             count(*)::int AS overloads
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'pg_catalog'
      GROUP BY p.proname
    ) f`),
) as [string, string, number][];

const operatorRows = JSON.parse(
  psql(`
    SELECT json_agg(json_build_array(oprname, vols) ORDER BY oprname)
    FROM (
      SELECT o.oprname::text AS oprname,
             string_agg(DISTINCT p.provolatile::text, '' ORDER BY p.provolatile::text) AS vols
      FROM pg_operator o
      JOIN pg_namespace n ON n.oid = o.oprnamespace
      JOIN pg_proc p ON p.oid = o.oprcode
      WHERE n.nspname = 'pg_catalog'
      GROUP BY o.oprname
    ) f`),
) as [string, string][];

const sideEffectFree = functionRows.filter(([, vols]) => !vols.includes('v')).map(([name]) => name);
const volatile = functionRows.filter(([, vols]) => vols === 'v').map(([name]) => name);
// Names with a volatile overload beside non-volatile ones (ts_rewrite(tsquery, text) runs a
// query; ts_rewrite(tsquery, tsquery, tsquery) does not): treated as volatile.
const mixedVolatility = Object.fromEntries(
  functionRows.filter(([, vols]) => vols.includes('v') && vols !== 'v').map(([name, vols]) => [name, vols]),
);
const operators = operatorRows.filter(([, vols]) => !vols.includes('v')).map(([name]) => name);
const overloaded = functionRows.filter(([, , n]) => n > 1).length;

// Compact, one key per line, so a regeneration shows as a readable diff.
const lines = [
  `"source": ${JSON.stringify(`PostgreSQL ${version} pg_catalog (pg_proc.provolatile, pg_operator.oprcode)`)}`,
  `"regenerate": "node --import tsx scripts/generate-pg-functions.ts"`,
  `"counts": ${JSON.stringify({ names: functionRows.length, overloaded, sideEffectFree: sideEffectFree.length, volatile: volatile.length, mixedVolatility: Object.keys(mixedVolatility).length, operators: operators.length })}`,
  `"sideEffectFree": ${JSON.stringify(sideEffectFree)}`,
  `"volatile": ${JSON.stringify(volatile)}`,
  `"mixedVolatility": ${JSON.stringify(mixedVolatility)}`,
  `"operators": ${JSON.stringify(operators)}`,
];
writeFileSync(out, `{\n${lines.join(',\n')}\n}\n`);
console.log(
  `wrote ${out.pathname}: ${sideEffectFree.length} side-effect-free names, ${operators.length} operators`,
);
