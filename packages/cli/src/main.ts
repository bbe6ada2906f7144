import { readFileSync } from 'node:fs';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, writeLine, type CliIo } from './lib/cli-io.js';
import type { CommandEntry } from './lib/command.js';
import { didYouMean } from './lib/did-you-mean.js';
import { UsageError } from './lib/usage-error.js';
import { commands } from './commands/index.js';

/**
 * Runs the `portcullis` command line in-process and resolves to its exit code: 0 success, 1 a
 * check failed, 2 usage or input error (packages/cli/README.md). Only the command that runs is loaded.
 *
 * @example
 * ```ts
 * const code = await runCli(['test', 'policies/*.test.yaml'], { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, cwd: process.cwd(), env: process.env });
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    writeLine(io.stdout, overview(commands));
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    writeLine(io.stdout, version());
    return EXIT_OK;
  }
  if (name === 'help') {
    const [topic, ...extra] = rest;
    if (topic === undefined) {
      writeLine(io.stdout, overview(commands));
      return EXIT_OK;
    }
    const entry = find(topic, io);
    if (entry === undefined || extra.length > 0) {
      if (entry !== undefined) writeLine(io.stderr, 'portcullis help: name one command');
      return EXIT_USAGE;
    }
    writeLine(io.stdout, await entry.usage());
    return EXIT_OK;
  }
  const entry = find(name, io);
  if (entry === undefined) return EXIT_USAGE;
  // Help needs only the usage text: the command's module (and the engine) is not loaded.
  if (rest.includes('--help') || rest.includes('-h')) {
    writeLine(io.stdout, await entry.usage());
    return EXIT_OK;
  }
  const command = await entry.load();
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      writeLine(io.stderr, `portcullis ${name}: ${err.message}`);
      return EXIT_USAGE;
    }
    // An invalid policy, and a configuration the policy loader accepted but a component refused
    // (a TypeError, e.g. an http: JWKS URI on a non-loopback host), are input errors.
    if (codeOf(err) === 'ERR_POLICY_INVALID' || err instanceof TypeError) {
      writeLine(io.stderr, `portcullis ${name}: ${(err as Error).message}`);
      return EXIT_USAGE;
    }
    writeLine(io.stderr, `portcullis ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_FAILED;
  }
}

/** The registry entry named `name`, or undefined after telling the user (with a did-you-mean). */
function find(name: string, io: CliIo): CommandEntry | undefined {
  const entry = commands.find((c) => c.name === name);
  if (entry !== undefined) return entry;
  const guess = didYouMean(
    name,
    commands.map((c) => c.name),
  );
  const shown = JSON.stringify(name);
  writeLine(
    io.stderr,
    guess === undefined
      ? `portcullis: unknown command ${shown}\n\n${overview(commands)}`
      : `portcullis: unknown command ${shown}; did you mean "${guess}"?\n\nRun \`portcullis --help\` for every command.`,
  );
  return undefined;
}

function codeOf(err: unknown): unknown {
  return typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
}

/** The version of this package, read from its package.json (beside src/ and dist/ alike). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return `portcullis ${typeof pkg.version === 'string' ? pkg.version : 'unknown'} (node ${process.version})`;
}

function overview(list: readonly CommandEntry[]): string {
  const width = Math.max(...list.map((c) => c.name.length));
  return [
    'usage: portcullis <command> [options]',
    '',
    ...list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `portcullis help <command>` (or `portcullis <command> --help`) for its options;',
    '`portcullis --version` for the version. Exit codes: 0 success, 1 a check failed, 2 usage or input error.',
  ].join('\n');
}
