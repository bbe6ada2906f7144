// `pnpm bench [--json] [FILTER…]`: runs every suite in bench/suites (or those whose name
// contains a FILTER) and prints each figure beside its baseline from the same run.
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatSuite, runSuite, type BenchSuite, type SuiteResult } from './harness.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const filters = args.filter((a) => !a.startsWith('--'));

const dir = fileURLToPath(new URL('./suites/', import.meta.url));
const files = (await readdir(dir)).filter((f) => f.endsWith('.bench.ts')).sort();
const results: SuiteResult[] = [];
for (const file of files) {
  const mod = (await import(pathToFileURL(dir + file).href)) as { suites?: readonly BenchSuite[] };
  for (const suite of mod.suites ?? []) {
    if (filters.length > 0 && !filters.some((f) => `${file} ${suite.name}`.includes(f))) continue;
    const result = await runSuite(suite);
    results.push(result);
    if (!json) console.log(`${formatSuite(result)}\n`);
  }
}
if (json) {
  console.log(
    JSON.stringify(
      {
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        date: new Date().toISOString(),
        suites: results,
      },
      null,
      2,
    ),
  );
}
