import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  escapeTerminalText,
  formatVerifyReport,
  terminalSafeJson,
  verifyRecordingFile,
  type VerifyReport,
} from '@portcullis/core';
import { EXIT_FAILED, EXIT_OK, writeLine } from '../lib/cli-io.js';
import type { Command } from '../lib/command.js';
import { parseFlags } from '../lib/parse-flags.js';
import { UsageError } from '../lib/usage-error.js';
import { usage } from './verify.usage.js';

/** `portcullis verify`: check recordings' hash chains and seals. */
export const verifyCommand: Command = {
  name: 'verify',
  usage,
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      { key: { type: 'string' }, json: { type: 'boolean' } },
      usage,
    );
    if (positionals.length === 0) throw new UsageError(`name at least one recording\n\n${usage}`);
    const publicKey = values.key === undefined ? undefined : await readKey(values.key, io.cwd);
    let ok = true;
    const reports = [];
    for (const file of positionals) {
      let report: VerifyReport;
      try {
        report = await verifyRecordingFile(
          path.resolve(io.cwd, file),
          publicKey === undefined ? {} : { publicKey },
        );
      } catch (err) {
        if (err instanceof TypeError) throw err;
        throw new UsageError(escapeTerminalText(`${file}: cannot read: ${(err as Error).message}`));
      }
      ok &&= report.ok;
      if (values.json === true) reports.push({ file, ...report });
      else writeLine(io.stdout, formatVerifyReport(report, { file }));
    }
    if (values.json === true) writeLine(io.stdout, terminalSafeJson({ ok, files: reports }, 2));
    return ok ? EXIT_OK : EXIT_FAILED;
  },
};

/** A key argument is a file (PEM) when one exists at that path, else the key text itself. */
async function readKey(arg: string, cwd: string): Promise<string> {
  try {
    return (await readFile(path.resolve(cwd, arg), 'utf8')).trim();
  } catch {
    return arg;
  }
}
