import { PortcullisError } from '@portcullis/core';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, writeLine, type CliIo } from './lib/cli-io.js';
import type { Command } from './lib/command.js';
import { UsageError } from './lib/usage-error.js';
import { commands } from './commands/index.js';

/**
 * Runs the `portcullis` command line in-process and resolves to its exit code (SPEC.md §6):
 * 0 success, 1 a check failed, 2 usage or input error.
 *
 * @example
 * ```ts
 * const code = await runCli(['test', 'policies/*.test.yaml'], { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, cwd: process.cwd(), env: process.env });
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    writeLine(io.stdout, overview(commands));
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    writeLine(io.stderr, `portcullis: unknown command "${name}"\n\n${overview(commands)}`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    writeLine(io.stdout, command.usage);
    return EXIT_OK;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      writeLine(io.stderr, `portcullis ${name}: ${err.message}`);
      return EXIT_USAGE;
    }
    // An invalid policy, and a configuration the policy loader accepted but a component refused
    // (a TypeError, e.g. an http: JWKS URI on a non-loopback host), are input errors.
    if ((err instanceof PortcullisError && err.code === 'ERR_POLICY_INVALID') || err instanceof TypeError) {
      writeLine(io.stderr, `portcullis ${name}: ${err.message}`);
      return EXIT_USAGE;
    }
    writeLine(io.stderr, `portcullis ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_FAILED;
  }
}

function overview(list: readonly Command[]): string {
  const width = Math.max(...list.map((c) => c.name.length));
  return [
    'usage: portcullis <command> [options]',
    '',
    ...list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `portcullis <command> --help` for its options. Exit codes: 0 success, 1 a check failed, 2 usage or input error.',
  ].join('\n');
}
