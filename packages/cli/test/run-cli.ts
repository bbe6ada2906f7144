import { PassThrough, Readable } from 'node:stream';
import { runCli } from '@portcullis/cli';

/** What one in-process CLI run printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `portcullis ARGS` in-process with captured output. */
export async function run(
  args: readonly string[],
  options: { cwd?: string; stdin?: string } = {},
): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const code = await runCli(args, {
    stdout,
    stderr,
    stdin: Readable.from([options.stdin ?? '']),
    cwd: options.cwd ?? process.cwd(),
    env: {},
  });
  return { code, stdout: out, stderr: err };
}
