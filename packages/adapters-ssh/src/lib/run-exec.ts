// Runs one allowed command: no terminal, stdin sent then closed (or closed at once), stdout
// and stderr each through the gate's masked, recorded, capped output stream.
import type { GateOutput, GateRun } from '@portcullis/core';
import type { Readable } from 'node:stream';
import type { ExecPlan, OutputSink, SshRaw } from '../internal-types.js';
import type { SshConnection } from './connection.js';
import { exitOf } from './exit.js';
import { asError } from './text.js';

/**
 * Runs `plan` on the connection; resolves with the exit once the channel closed and all output
 * reached `sink`.
 *
 * @example
 * ```ts
 * const raw = await runExec(conn, plan, run, (stream, text) => { chunks.push(text); });
 * ```
 * @throws the gate's errors (caps, recording), a timeout error, or the driver's error.
 */
export async function runExec(
  conn: SshConnection,
  plan: ExecPlan,
  run: GateRun,
  sink: OutputSink,
  started?: (stop: () => void) => void,
): Promise<SshRaw> {
  run.signal.throwIfAborted();
  const channel = await conn.exec(plan.command, plan.env);
  let bytes = 0;
  return new Promise<SshRaw>((resolve, reject) => {
    let failed = false;
    let timer: NodeJS.Timeout | undefined;
    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      if (timer !== undefined) clearTimeout(timer);
      run.signal.removeEventListener('abort', onAbort);
      channel.close();
      reject(asError(error));
    };
    const onAbort = (): void => {
      fail(run.signal.reason);
    };
    run.signal.addEventListener('abort', onAbort, { once: true });
    started?.(() => {
      fail(new Error('the reader stopped reading; the command was closed'));
    });
    if (plan.timeoutMs !== undefined) {
      const ms = plan.timeoutMs;
      timer = setTimeout(() => {
        try {
          channel.signal('KILL');
        } catch {
          // The channel may already be closing.
        }
        fail(
          Object.assign(new Error(`the command did not finish within ${ms} ms and was stopped`), {
            code: 'ETIMEDOUT',
          }),
        );
      }, ms);
    }

    const exit = exitOf(channel);
    const pump = (readable: Readable, out: GateOutput, stream: 'stdout' | 'stderr'): Promise<void> =>
      new Promise<void>((done, stop) => {
        readable.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          readable.pause();
          // write() throws at once past a cap: make that a rejection like the others.
          Promise.resolve()
            .then(() => out.write(chunk))
            .then((text) => (text.length > 0 ? sink(stream, text) : undefined))
            .then(
              () => readable.resume(),
              (err: unknown) => {
                stop(asError(err));
              },
            );
        });
        readable.once('end', () => {
          out
            .end()
            .then((text) => (text.length > 0 ? sink(stream, text) : undefined))
            .then(done, stop);
        });
      });
    Promise.all([
      pump(channel, run.output('stdout'), 'stdout'),
      pump(channel.stderr, run.output('stderr'), 'stderr'),
      exit,
    ]).then(([, , status]) => {
      if (failed) return;
      failed = true;
      if (timer !== undefined) clearTimeout(timer);
      run.signal.removeEventListener('abort', onAbort);
      resolve({ kind: 'exec', ...status, bytes });
    }, fail);
    // stdin: what was decided on, then EOF; nothing given means EOF at once.
    if (plan.stdin === undefined) channel.end();
    else channel.end(plan.stdin);
  });
}
