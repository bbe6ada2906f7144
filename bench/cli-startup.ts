// `pnpm -s bench:cli` (after `pnpm build`): CPU time of `portcullis --help` from the built package,
// beside `node -e 0` (the floor: starting Node itself) in the same run. CPU time (user + system)
// of the child, from its resource usage, so other load on the machine does not count.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url));
if (!existsSync(bin)) {
  console.error('packages/cli/dist/bin.js is missing: run `pnpm build` first');
  process.exit(2);
}
const runs = Number(process.argv[2] ?? 3);

function cpuMs(args: readonly string[]): number {
  // Measured inside the child: its own CPU time at exit, printed on stderr by a preloaded hook.
  const hook =
    "process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('\\ncpu '+((u.user+u.system)/1000).toFixed(1)+'\\n')})";
  const result = spawnSync(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(hook)}`, ...args],
    {
      encoding: 'utf8',
    },
  );
  const match = /\ncpu ([\d.]+)\n/.exec(result.stderr);
  if (match === null) throw new Error(`no CPU figure from ${args.join(' ')}: ${result.stderr}`);
  return Number(match[1]);
}

const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const rows: { what: string; ms: number[] }[] = [
  { what: 'node -e 0 (baseline)', ms: [] },
  { what: 'portcullis --help', ms: [] },
  { what: 'portcullis --version', ms: [] },
  { what: 'portcullis help verify', ms: [] },
];
const commands = [
  ['-e', '0'],
  [bin, '--help'],
  [bin, '--version'],
  [bin, 'help', 'verify'],
];
for (let i = 0; i < runs; i++) {
  commands.forEach((args, j) => rows[j]?.ms.push(cpuMs(args)));
}
const base = median(rows[0]?.ms ?? []);
for (const row of rows) {
  const m = median(row.ms);
  console.log(
    `${row.what.padEnd(26)} CPU ms per run: ${row.ms.map((x) => x.toFixed(1)).join(', ')}  median ${m.toFixed(1)}` +
      `  (${(m / base).toFixed(2)}× baseline, +${(m - base).toFixed(1)} ms)`,
  );
}
