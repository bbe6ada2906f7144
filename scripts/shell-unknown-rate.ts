// How often the shell classifier says `unknown` on real command lines: the corpus at
// `<repo>/../shared/corpora/shell-lines.jsonl.gz` (tldr-pages examples, Dockerfile RUN lines, CI
// steps, statements from public scripts). Prints the rate overall and by source; with `--list`,
// every unknown line as JSON. Run: `node --conditions=portcullis-source --import tsx
// scripts/shell-unknown-rate.ts [--list]`.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { classifyShellCommand, loadShellClassifier } from '../packages/core/src/index.js';

const corpus = fileURLToPath(new URL('../../shared/corpora/shell-lines.jsonl.gz', import.meta.url));
if (!existsSync(corpus)) {
  console.error(`${corpus} is absent: nothing to measure`);
  process.exit(2);
}
await loadShellClassifier();
const lines = gunzipSync(readFileSync(corpus))
  .toString('utf8')
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => JSON.parse(l) as { src: string; line: string });
const bySource = new Map<string, { lines: number; unknown: number; runsNothing: number }>();
let unknown = 0;
let runsNothing = 0;
for (const { src, line } of lines) {
  const actions = classifyShellCommand(line);
  const isUnknown = actions.some((a) => a.operation === 'unknown');
  // A line that runs nothing (an assignment, `[[ … ]]`, a comment) is unknown by design.
  const nothing = isUnknown && actions.length === 1;
  const source = src.split(':')[0] ?? src;
  const entry = bySource.get(source) ?? { lines: 0, unknown: 0, runsNothing: 0 };
  entry.lines++;
  if (isUnknown) entry.unknown++;
  if (nothing) entry.runsNothing++;
  bySource.set(source, entry);
  if (isUnknown) unknown++;
  if (nothing) runsNothing++;
  if (isUnknown && process.argv.includes('--list')) console.log(JSON.stringify({ src, line }));
}
const pct = (n: number, d: number): string => `${((100 * n) / d).toFixed(2)}%`;
console.error(
  `${String(lines.length)} lines: ${String(unknown)} unknown (${pct(unknown, lines.length)}), of which ${String(runsNothing)} are only unknown (${pct(runsNothing, lines.length)})`,
);
for (const [source, e] of bySource) {
  console.error(
    `  ${source}: ${String(e.lines)} lines, ${pct(e.unknown, e.lines)} unknown, ${pct(e.runsNothing, e.lines)} only unknown`,
  );
}
