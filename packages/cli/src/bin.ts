#!/usr/bin/env node
import { runCli } from './main.js';

// Through `pnpm portcullis …` the script runs in the workspace root; INIT_CWD is where the user
// typed the command, which is what relative paths mean to them.
const cwd =
  process.env['npm_lifecycle_event'] === 'portcullis' && process.env['INIT_CWD']
    ? process.env['INIT_CWD']
    : process.cwd();

// A reader that went away (`portcullis mask --list-detectors | head`) is not an error worth a
// stack trace: stop quietly, as other command-line tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  cwd,
  env: process.env,
});
