import type { CliIo } from './cli-io.js';

/** One `portcullis` subcommand, as its module exports it. */
export interface Command {
  readonly name: string;
  /** The full usage text for `portcullis <name> --help` and `portcullis help <name>`. */
  readonly usage: string;
  /** Runs the command; resolves to the exit code. Throws UsageError for usage or input errors. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** A subcommand in the registry: what `--help` lists without loading it, and how to load it. */
export interface CommandEntry {
  readonly name: string;
  /** One line for `portcullis --help`. */
  readonly summary: string;
  /** Imports the command's module. */
  load(): Promise<Command>;
  /** Imports only the command's usage text (what `load()` would give as `usage`), for help. */
  usage(): Promise<string>;
}
