import type { Readable, Writable } from 'node:stream';

/** Where a CLI run reads and writes; injected so tests run commands in-process. */
export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable;
  /** The folder relative paths are resolved against. */
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

/** Exit codes (docs/ §6): 0 success, 1 a check failed, 2 usage or input error. */
export const EXIT_OK = 0;
/** A check failed: a test failure, a tampered recording, a rejected token. */
export const EXIT_FAILED = 1;
/** Usage or input error. */
export const EXIT_USAGE = 2;

/** Writes a line to a stream. */
export function writeLine(stream: Writable, line = ''): void {
  stream.write(`${line}\n`);
}
