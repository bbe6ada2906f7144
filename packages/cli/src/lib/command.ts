import type { CliIo } from './cli-io.js';

/** One `portcullis` subcommand. */
export interface Command {
  readonly name: string;
  /** One line for `portcullis --help`. */
  readonly summary: string;
  /** The full usage text for `portcullis <name> --help`. */
  readonly usage: string;
  /** Runs the command; resolves to the exit code. Throws UsageError for usage or input errors. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}
