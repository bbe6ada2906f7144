// Regenerates packages/core/src/classify/sql/data/pg-functions.json from a real PostgreSQL: which
// built-in (pg_catalog) function names are free of side effects, and which built-in operator names
// are implemented only by such functions.
//
// Declared volatility is not proof: txid_current() and pg_current_xact_id() are STABLE yet give
// the transaction an id (a write). So every candidate (each overload of a non-volatile name, and
// each reviewed harmless volatile one) is also run on the server, in its own READ ONLY
// transaction (scripts/pg-function-probe.sql), and a name is free of side effects only when
//   - every overload is declared IMMUTABLE or STABLE,
//   - no overload's call gave the transaction an id or failed for trying to write (25006), and
//   - at least one overload ran to completion that way (sample arguments the function rejects,
//     or argument types SQL cannot supply such as `internal`, prove nothing).
//
//   node --import tsx scripts/generate-pg-functions.ts
//
// Connects with psql (no driver dependency at the workspace root) to PORTCULLIS_PG_URL, or to
// the server the standard PG* variables name, or to postgres@127.0.0.1:5432/postgres.
// The reviewed exceptions (harmless volatile functions, dangerous non-volatile ones) are not
// applied here; they live in packages/core/src/classify/sql/data/pg-function-review.ts so a review
// needs no regeneration.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { harmlessVolatileFunctions } from '../packages/core/src/classify/sql/data/pg-function-review.js';

const out = new URL('../packages/core/src/classify/sql/data/pg-functions.json', import.meta.url);

const url =
  process.env['PORTCULLIS_PG_URL'] ??
  (process.env['PGHOST'] === undefined ? 'postgresql://postgres@127.0.0.1:5432/postgres' : undefined);

function psql(query: string): string {
  const args = ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', query];
  if (url !== undefined) args.push(url);
  return execFileSync('psql', args, { encoding: 'utf8' }).trim();
}

/** Outcome per overload of the side-effect probe: `ok`, `xid`, `uncallable` or `error <sqlstate> …`. */
interface ProbeRow {
  readonly name: string;
  readonly outcome: string;
}

function probe(candidates: readonly string[]): ProbeRow[] {
  if (candidates.some((name) => !/^[a-z0-9_]+$/.test(name))) throw new Error('candidate names must be plain');
  const script = new URL('./pg-function-probe.sql', import.meta.url);
  const setup = `SET probe.candidates = '${candidates.join(',')}'`;
  const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', setup, '-f', script.pathname];
  if (url !== undefined) args.push(url);
  // The probe reports through NOTICEs (they survive each call's ROLLBACK); psql prints them on stderr.
  const run = spawnSync('psql', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`the side-effect probe failed:\n${run.stderr}`);
  const rows: ProbeRow[] = [];
  for (const line of run.stderr.split('\n')) {
    const match = /NOTICE:\s+probe\|\d+\|([^|]+)\|(.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) rows.push({ name: match[1], outcome: match[2] });
  }
  if (rows.length === 0) throw new Error(`the side-effect probe reported nothing:\n${run.stderr}`);
  return rows;
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
    SELECT json_agg(json_build_array(oprname, vols, funcs) ORDER BY oprname)
    FROM (
      SELECT o.oprname::text AS oprname,
             string_agg(DISTINCT p.provolatile::text, '' ORDER BY p.provolatile::text) AS vols,
             json_agg(DISTINCT p.proname::text) AS funcs
      FROM pg_operator o
      JOIN pg_namespace n ON n.oid = o.oprnamespace
      JOIN pg_proc p ON p.oid = o.oprcode
      WHERE n.nspname = 'pg_catalog'
      GROUP BY o.oprname
    ) f`),
) as [string, string, string[]][];

// Run every candidate: each overload of a name declared free of side effects, and the reviewed
// harmless volatile ones (which must not write either).
const harmless = Object.keys(harmlessVolatileFunctions);
const probed = probe(harmless);
const ran = new Set<string>();
const writes: Record<string, string> = {};
const failed: Record<string, string> = {};
for (const { name, outcome } of probed) {
  if (outcome === 'ok') ran.add(name);
  else if (outcome === 'xid') writes[name] = 'gives the transaction an id';
  else if (outcome.startsWith('error 25006')) writes[name] = outcome.slice('error '.length);
  else failed[name] ??= outcome;
}
const reviewedWrites = harmless.filter((name) => name in writes);
if (reviewedWrites.length > 0) {
  throw new Error(
    `reviewed harmless volatile functions write: ${reviewedWrites.join(', ')}; fix pg-function-review.ts`,
  );
}

const declaredFree = functionRows.filter(([, vols]) => !vols.includes('v')).map(([name]) => name);
const sideEffectFree = declaredFree.filter((name) => !(name in writes) && ran.has(name));
// Declared free of side effects, but no overload ran cleanly: not proven, so not in the table.
const unproven = Object.fromEntries(
  declaredFree
    .filter((name) => !(name in writes) && !ran.has(name))
    .map((name) => [name, failed[name] ?? 'uncallable']),
);
const volatile = functionRows.filter(([, vols]) => vols === 'v').map(([name]) => name);
// Names with a volatile overload beside non-volatile ones (ts_rewrite(tsquery, text) runs a
// query; ts_rewrite(tsquery, tsquery, tsquery) does not): treated as volatile.
const mixedVolatility = Object.fromEntries(
  functionRows.filter(([, vols]) => vols.includes('v') && vols !== 'v').map(([name, vols]) => [name, vols]),
);
// An operator's function is a function like any other: one the probe saw write makes the
// operator name unsafe too. (Operator functions the samples could not run, such as box_div on a
// zero box, stay proven by their declared volatility: the operator is a built-in's.)
const operators = operatorRows
  .filter(([, vols, funcs]) => !vols.includes('v') && !funcs.some((f) => f in writes))
  .map(([name]) => name);
const overloaded = functionRows.filter(([, , n]) => n > 1).length;

// Compact, one key per line, so a regeneration shows as a readable diff.
const lines = [
  `"source": ${JSON.stringify(`PostgreSQL ${version} pg_catalog (pg_proc.provolatile, pg_operator.oprcode; each candidate run in a READ ONLY transaction)`)}`,
  `"regenerate": "node --import tsx scripts/generate-pg-functions.ts"`,
  `"counts": ${JSON.stringify({ names: functionRows.length, overloaded, sideEffectFree: sideEffectFree.length, writes: Object.keys(writes).length, unproven: Object.keys(unproven).length, volatile: volatile.length, mixedVolatility: Object.keys(mixedVolatility).length, operators: operators.length })}`,
  `"sideEffectFree": ${JSON.stringify(sideEffectFree)}`,
  `"writes": ${JSON.stringify(writes)}`,
  `"unproven": ${JSON.stringify(unproven)}`,
  `"volatile": ${JSON.stringify(volatile)}`,
  `"mixedVolatility": ${JSON.stringify(mixedVolatility)}`,
  `"operators": ${JSON.stringify(operators)}`,
];
writeFileSync(out, `{\n${lines.join(',\n')}\n}\n`);
console.log(
  `wrote ${out.pathname}: ${sideEffectFree.length} side-effect-free names (${Object.keys(writes).join(', ') || 'none'} write; ${Object.keys(unproven).length} unproven), ${operators.length} operators`,
);
