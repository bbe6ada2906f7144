import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, writeLine, type CliIo } from '../lib/cli-io.js';
import type { Command } from '../lib/command.js';
import { expandGlobs } from '../lib/expand-globs.js';
import { parseFlags } from '../lib/parse-flags.js';
import { runPolicySuites } from '../lib/run-policy-tests.js';
import {
  coveragePercent,
  formatCoverage,
  formatHuman,
  formatJson,
  formatJunit,
  formatVerbose,
  summarize,
} from '../lib/test-report.js';
import { UsageError } from '../lib/usage-error.js';
import { usage } from './test.usage.js';

/** \`portcullis test\`: run policy test suites. */
export const testCommand: Command = {
  name: 'test',
  usage,
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      {
        reporter: { type: 'string' },
        filter: { type: 'string' },
        verbose: { type: 'boolean' },
        coverage: { type: 'boolean' },
        threshold: { type: 'string' },
        watch: { type: 'boolean' },
      },
      usage,
    );
    const reporter = values.reporter ?? 'human';
    if (reporter !== 'human' && reporter !== 'json' && reporter !== 'junit')
      throw new UsageError(`--reporter must be human, json or junit\n\n${usage}`);
    if (positionals.length === 0) throw new UsageError(`name at least one suite file or glob\n\n${usage}`);
    let filter: RegExp | undefined;
    if (values.filter !== undefined) {
      try {
        filter = new RegExp(values.filter, 'i');
      } catch (err) {
        throw new UsageError(`--filter: ${(err as Error).message}\n\n${usage}`);
      }
    }
    const threshold = values.threshold === undefined ? undefined : Number(values.threshold.replace(/%$/, ''));
    if (threshold !== undefined && (!Number.isFinite(threshold) || threshold < 0 || threshold > 100))
      throw new UsageError(`--threshold must be a percentage from 0 to 100\n\n${usage}`);
    const once = async (): Promise<{ code: number; watched: string[] }> => {
      const files = await expandGlobs(positionals, io.cwd);
      const { cases, coverage } = await runPolicySuites(files, filter === undefined ? {} : { filter });
      const relative = (file: string): string => path.relative(io.cwd, file) || file;
      const report = summarize(cases.map((r) => ({ ...r, file: relative(r.file) })));
      const showCoverage = values.coverage === true || threshold !== undefined;
      const percent = coveragePercent(coverage);
      const belowThreshold = threshold !== undefined && percent < threshold;
      if (reporter === 'json') {
        const json = JSON.parse(formatJson(report)) as Record<string, unknown>;
        if (showCoverage)
          json['coverage'] = {
            percent,
            policies: coverage.map((c) => ({ ...c, policy: relative(c.policy) })),
          };
        writeLine(io.stdout, JSON.stringify(json, null, 2));
      } else if (reporter === 'junit') {
        writeLine(io.stdout, formatJunit(report));
      } else {
        if (values.verbose === true) writeLine(io.stdout, formatVerbose(report));
        if (showCoverage) writeLine(io.stdout, formatCoverage(coverage, relative));
        writeLine(io.stdout, formatHuman(report));
        if (belowThreshold)
          writeLine(
            io.stdout,
            `rule coverage ${percent.toFixed(1)}% is below the threshold of ${threshold}%`,
          );
      }
      return {
        code: report.failed === 0 && !belowThreshold ? EXIT_OK : EXIT_FAILED,
        watched: [...files, ...coverage.map((c) => c.policy)],
      };
    };
    if (values.watch !== true) return (await once()).code;
    return watchLoop(once, () => expandGlobs(positionals, io.cwd), io);
  },
};

/** What identifies a file's content without reading it: inode, size and modification time. */
async function signature(file: string): Promise<string> {
  try {
    const s = await stat(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

/**
 * Runs again whenever a watched file changes; ends on SIGINT with the last run's exit code (2
 * when it could not run: an invalid suite or policy). The watchers and the SIGINT handler are
 * in place before "(watching …)" is printed, and a file that changed while the run read it
 * (its signature differs from before the run, or a file first seen was modified after the run
 * started) starts the next run at once.
 */
async function watchLoop(
  once: () => Promise<{ code: number; watched: string[] }>,
  suites: () => Promise<string[]>,
  io: CliIo,
): Promise<number> {
  let last = EXIT_OK;
  let watched: string[] = [];
  for (;;) {
    const started = Date.now();
    const before = new Map(await Promise.all(watched.map(async (f) => [f, await signature(f)] as const)));
    try {
      ({ code: last, watched } = await once());
    } catch (err) {
      // In watch mode an invalid suite or policy is reported and waited out, not fatal: the
      // files of the last good run stay watched, and the suites themselves.
      writeLine(io.stderr, `portcullis test: ${(err as Error).message}`);
      last = EXIT_USAGE;
      const named = await suites().catch(() => []);
      watched = [...new Set([...watched, ...named])];
      // Nothing to watch (no suite file exists): nothing can change, so stop.
      if (watched.length === 0) return last;
    }
    const changed = await new Promise<boolean>((resolve) => {
      let settled = false;
      const watchers: FSWatcher[] = [];
      const done = (again: boolean): void => {
        if (settled) return;
        settled = true;
        for (const w of watchers) w.close();
        process.off('SIGINT', stop);
        resolve(again);
      };
      const stop = (): void => {
        done(false);
      };
      process.once('SIGINT', stop);
      for (const file of watched) {
        try {
          const watcher = watch(file, () => {
            done(true);
          });
          // A watched file removed or replaced: run again (the run says what is missing).
          watcher.on('error', () => {
            done(true);
          });
          watchers.push(watcher);
        } catch {
          // Gone since the run read it: the signature check below sees it and runs again.
        }
      }
      if (watchers.length === 0) {
        // Every file is gone: nothing can change any more.
        writeLine(io.stderr, 'portcullis test: none of the watched files exists; stopping');
        done(false);
        return;
      }
      writeLine(io.stderr, '(watching for changes; Ctrl-C to stop)');
      void Promise.all(
        watched.map(async (file) => {
          const now = await signature(file);
          const then = before.get(file);
          if (then === undefined ? modifiedAfter(now, started) : now !== then) done(true);
        }),
      );
    });
    if (!changed) return last;
    // Editors write in several steps: let them finish.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether a signature's modification time is after `time` (ms since the epoch). */
function modifiedAfter(sig: string, time: number): boolean {
  const mtime = Number(sig.split(':')[2]);
  return Number.isFinite(mtime) && mtime > time;
}
