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
  /** The fewest measured calls per task, over all rounds (default 64); lower it for slow calls. */
  readonly iterations?: number;
  /** Warm-up calls per task (default tinybench's). */
  readonly warmupIterations?: number;
  /** Rounds the measuring time is split into (default {@link ROUNDS}; see runSuite). */
  readonly rounds?: number;
}

/**
 * Rounds a suite's measuring is split into by default. The tasks take turns, a round each, so
 * a slow spell of a shared machine (seconds long, here) falls on the baseline and the tasks
 * alike instead of on whichever ran then.
 */
export const ROUNDS = 6;

/** tinybench's default fewest calls per task: split over the rounds like the time. */
const TINYBENCH_ITERATIONS = 64;

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

/**
 * Measures one suite: the baseline and every task in the same process, taking turns. The
 * measuring time (and the fewest calls) is split into rounds; each round measures every task,
 * in turn, in alternating order (the first round warms each up first); a task's figures come
 * from its samples of every round.
 */
export async function runSuite(suite: BenchSuite): Promise<SuiteResult> {
  const teardown = suite.setup ? await suite.setup() : undefined;
  try {
    const all = [suite.baseline, ...suite.tasks];
    const rounds = Math.max(1, Math.min(suite.rounds ?? ROUNDS, suite.iterations ?? Infinity));
    const samples: number[][] = all.map(() => []);
    for (let round = 0; round < rounds; round++) {
      const bench = new Bench({
        time: (suite.timeMs ?? 500) / rounds,
        warmup: round === 0,
        warmupTime: 100,
        retainSamples: true,
        iterations: Math.ceil((suite.iterations ?? TINYBENCH_ITERATIONS) / rounds),
        ...(suite.warmupIterations === undefined ? {} : { warmupIterations: suite.warmupIterations }),
      });
      const order = all.map((_, i) => (round % 2 === 0 ? i : all.length - 1 - i));
      for (const i of order) bench.add(all[i]!.name, all[i]!.fn);
      await bench.run();
      order.forEach((i, k) => {
        const result = bench.tasks[k]?.result;
        if (result === undefined || !('latency' in result) || result.latency.samples === undefined) {
          throw new Error(
            `benchmark "${suite.name} / ${all[i]!.name}" did not complete: ${JSON.stringify(result)}`,
          );
        }
        for (const ms of result.latency.samples) samples[i]!.push(ms);
      });
    }
    const figures = samples.map(summarise);
    const baseline = figures[0]!;
    return {
      suite: suite.name,
      description: suite.description,
      notes: suite.notes ?? {},
      results: all.map((task, i) => {
        const f = figures[i]!;
        return {
          name: task.name,
          baseline: i === 0,
          opsPerSecond: f.opsPerSecond,
          meanMs: f.meanMs,
          medianMs: f.medianMs,
          p99Ms: f.p99Ms,
          samples: f.samples,
          ...(suite.bytesPerOp === undefined
            ? {}
            : { mbPerSecond: (f.opsPerSecond * suite.bytesPerOp) / 1e6 }),
          vsBaseline: f.opsPerSecond / baseline.opsPerSecond,
          medianVsBaseline: f.medianMs / baseline.medianMs,
        };
      }),
    };
  } finally {
    if (teardown) await teardown();
  }
}

/** Latency figures of one task's samples (ms); throughput as tinybench gives it: the mean of
 * each sample's calls per second. */
function summarise(samples: number[]): {
  opsPerSecond: number;
  meanMs: number;
  medianMs: number;
  p99Ms: number;
  samples: number;
} {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const quantile = (q: number): number => {
    const at = (n - 1) * q;
    const lo = Math.floor(at);
    const hi = Math.min(n - 1, lo + 1);
    return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
  };
  let sum = 0;
  let perSecond = 0;
  for (const ms of sorted) {
    sum += ms;
    perSecond += ms > 0 ? 1000 / ms : 0;
  }
  return {
    opsPerSecond: perSecond / n,
    meanMs: sum / n,
    medianMs: quantile(0.5),
    p99Ms: quantile(0.99),
    samples: n,
  };
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
