import path from 'node:path';
import { EXIT_FAILED, EXIT_OK, writeLine } from '../lib/cli-io.js';
import type { Command } from '../lib/command.js';
import { expandGlobs } from '../lib/expand-globs.js';
import { parseFlags } from '../lib/parse-flags.js';
import { runPolicyTests } from '../lib/run-policy-tests.js';
import { formatHuman, formatJson, formatJunit, summarize } from '../lib/test-report.js';
import { UsageError } from '../lib/usage-error.js';

const usage = `usage: portcullis test [--reporter human|json|junit] FILE|GLOB…

Runs policy test suites. Each suite names its policy (relative to the suite) and cases with a
principal, a target, one of sql | command | kube, and the expected decision (and optionally the
rule that decides it). Prints each failure with its file, name, expected and actual decision and
the reasons, then \`N passed, N failed\`. Exit 0 when every case passes, 1 when one fails, 2 on
usage or input errors (an invalid suite or policy names its file and line).`;

/** `portcullis test`: run policy test suites. */
export const testCommand: Command = {
  name: 'test',
  usage,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, { reporter: { type: 'string' } }, usage);
    const reporter = values.reporter ?? 'human';
    if (reporter !== 'human' && reporter !== 'json' && reporter !== 'junit')
      throw new UsageError(`--reporter must be human, json or junit\n\n${usage}`);
    if (positionals.length === 0) throw new UsageError(`name at least one suite file or glob\n\n${usage}`);
    const files = await expandGlobs(positionals, io.cwd);
    const results = await runPolicyTests(files);
    const report = summarize(results.map((r) => ({ ...r, file: path.relative(io.cwd, r.file) || r.file })));
    const out =
      reporter === 'json'
        ? formatJson(report)
        : reporter === 'junit'
          ? formatJunit(report)
          : formatHuman(report);
    writeLine(io.stdout, out);
    return report.failed === 0 ? EXIT_OK : EXIT_FAILED;
  },
};
