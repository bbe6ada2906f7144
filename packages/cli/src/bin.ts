#!/usr/bin/env node
import { runCli } from './main.js';

// Through `pnpm portcullis …` the script runs in the workspace root; INIT_CWD is where the user
// typed the command, which is what relative paths mean to them.
const cwd =
  process.env['npm_lifecycle_event'] === 'portcullis' && process.env['INIT_CWD']
    ? process.env['INIT_CWD']
    : process.cwd();

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  cwd,
  env: process.env,
});
