import path from 'node:path';
import { formatLintFinding, lintPolicy, loadPolicyFile } from '@portcullis/core';
import { EXIT_FAILED, EXIT_OK, writeLine } from '../lib/cli-io.js';
import type { Command } from '../lib/command.js';
import { parseFlags } from '../lib/parse-flags.js';
import { UsageError } from '../lib/usage-error.js';
import { usage } from './lint.usage.js';

/** `portcullis lint`: validate policies and report rules that can never matter. */
export const lintCommand: Command = {
  name: 'lint',
  usage,
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      { json: { type: 'boolean' }, strict: { type: 'boolean' } },
      usage,
    );
    if (positionals.length === 0) throw new UsageError(`name at least one policy file\n\n${usage}`);
    let failing = false;
    const all = [];
    for (const file of positionals) {
      // Linting needs no secrets: an unset hmacSecret variable must not stop it.
      const policy = await loadPolicyFile(path.resolve(io.cwd, file), { ignoreMissingSecrets: true });
      const findings = lintPolicy(policy);
      for (const f of findings) {
        if (f.severity === 'error' || values.strict === true) failing = true;
        all.push({ ...f, file: f.file ?? file });
      }
      if (values.json !== true) {
        for (const f of findings) writeLine(io.stdout, formatLintFinding({ ...f, file: f.file ?? file }));
        writeLine(io.stdout, `${file}: ${findings.length === 0 ? 'ok' : `${findings.length} finding(s)`}`);
      }
    }
    if (values.json === true) writeLine(io.stdout, JSON.stringify({ findings: all }, null, 2));
    return failing ? EXIT_FAILED : EXIT_OK;
  },
};
