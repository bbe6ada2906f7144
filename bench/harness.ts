import { Bench } from 'tinybench';

/** One measured function. `fn` may be sync or async; async ones are awaited. */
export interface BenchTask {
  readonly name: string;
  readonly fn: () => unknown;
}

/**
 * A group of tasks measured in the same run. The first task is the baseline (a raw driver, a
 * bare parser, another library); every other figure is printed beside it as a ratio.
 */
export interface BenchSuite {
  readonly name: string;
  /** What the suite shows, printed above its table. */
  readonly description: string;
  readonly baseline: BenchTask;
  readonly tasks: readonly BenchTask[];
  /** Bytes each call processes, to print MB/s. */
  readonly bytesPerOp?: number;
  /** Facts to print with the suite (detector counts, corpus sizes). */
  readonly notes?: Readonly<Record<string, string | number>>;
  /** Runs before measuring (servers, caches); the returned function runs after. */
  readonly setup?: () => Promise<(() => Promise<void>) | undefined>;
  /** Measuring time per task in ms (default 500). */
  readonly timeMs?: number;
  /** The fewest measured calls per task (default tinybench's 64); lower it for slow calls. */
  readonly iterations?: number;
  /** Warm-up calls per task (default tinybench's). */
  readonly warmupIterations?: number;
}

/** One task's figures. */
export interface TaskResult {
  readonly name: string;
  readonly baseline: boolean;
  readonly opsPerSecond: number;
  readonly meanMs: number;
  /** The median latency (p50): robust to the outliers a busy machine adds. */
  readonly medianMs: number;
  readonly p99Ms: number;
  readonly samples: number;
  readonly mbPerSecond?: number;
  /** This task's throughput divided by the baseline's (>1 is faster than the baseline). */
  readonly vsBaseline: number;
  /**
   * This task's median latency divided by the baseline's (>1 costs more than the baseline). The
   * throughput mean averages per-sample throughput, which flatters the fast samples on a noisy
   * machine; the median ratio does not.
   */
  readonly medianVsBaseline: number;
}

/** One suite's figures. */
export interface SuiteResult {
  readonly suite: string;
  readonly description: string;
  readonly notes: Readonly<Record<string, string | number>>;
  readonly results: readonly TaskResult[];
}

/** Measures one suite: the baseline and every task in the same process, one after another. */
export async function runSuite(suite: BenchSuite): Promise<SuiteResult> {
  const teardown = suite.setup ? await suite.setup() : undefined;
  try {
    const bench = new Bench({
      time: suite.timeMs ?? 500,
      warmupTime: 100,
      ...(suite.iterations === undefined ? {} : { iterations: suite.iterations }),
      ...(suite.warmupIterations === undefined ? {} : { warmupIterations: suite.warmupIterations }),
    });
    const all = [suite.baseline, ...suite.tasks];
    for (const task of all) bench.add(task.name, task.fn);
    await bench.run();
    const rows = all.map((task, i) => {
      const result = bench.tasks[i]?.result;
      if (result === undefined || !('throughput' in result)) {
        throw new Error(
          `benchmark "${suite.name} / ${task.name}" did not complete: ${JSON.stringify(result)}`,
        );
      }
      return { task, result };
    });
    const baselineOps = rows[0]!.result.throughput.mean;
    const baselineMedian = rows[0]!.result.latency.p50;
    return {
      suite: suite.name,
      description: suite.description,
      notes: suite.notes ?? {},
      results: rows.map(({ task, result }, i) => {
        const ops = result.throughput.mean;
        return {
          name: task.name,
          baseline: i === 0,
          opsPerSecond: ops,
          meanMs: result.latency.mean,
          medianMs: result.latency.p50,
          p99Ms: result.latency.p99,
          samples: result.latency.samplesCount,
          ...(suite.bytesPerOp === undefined ? {} : { mbPerSecond: (ops * suite.bytesPerOp) / 1e6 }),
          vsBaseline: ops / baselineOps,
          medianVsBaseline: result.latency.p50 / baselineMedian,
        };
      }),
    };
  } finally {
    if (teardown) await teardown();
  }
}

/** Formats one suite's figures as a readable table. */
export function formatSuite(result: SuiteResult): string {
  const lines = [
    `## ${result.suite}`,
    result.description,
    '  (vs baseline: throughput ÷ baseline, >1 is faster; median cost: median latency ÷ baseline, >1 costs more)',
  ];
  for (const [key, value] of Object.entries(result.notes)) lines.push(`  ${key}: ${value}`);
  const header = ['task', 'ops/s', 'mean', 'median', 'p99', 'MB/s', 'vs baseline', 'median cost'];
  const body = result.results.map((r) => [
    `${r.baseline ? '(baseline) ' : ''}${r.name}`,
    fmt(r.opsPerSecond),
    `${fmt(r.meanMs * 1000)} µs`,
    `${fmt(r.medianMs * 1000)} µs`,
    `${fmt(r.p99Ms * 1000)} µs`,
    r.mbPerSecond === undefined ? '' : fmt(r.mbPerSecond),
    r.baseline ? '1.00×' : `${r.vsBaseline.toFixed(2)}×`,
    r.baseline ? '1.00×' : `${r.medianVsBaseline.toFixed(2)}×`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const row = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  lines.push(row(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(row));
  return lines.join('\n');
}

function fmt(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toPrecision(3);
}
