// Runs one allowed command: no terminal, stdin sent then closed (or closed at once), stdout
// and stderr each through the gate's masked, recorded, capped output stream.
import type { GateRun } from '@portcullis/core';
import type { Readable } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import type { ExecPlan, OutputSink, SshRaw } from '../internal-types.js';
import type { SshConnection } from './connection.js';
import { exitOf } from './exit.js';
import { pumpOutput } from './pump.js';
import { asError } from './text.js';

/** The parts of an ssh2 channel that send a `signal` request (ssh2 1.x; see killCommand). */
interface SignalPath {
  readonly outgoing?: { readonly id?: unknown; readonly state?: unknown };
  readonly _client?: { readonly _protocol?: { signal?: unknown } };
}

/**
 * Asks the server to kill the command (`signal KILL`; OpenSSH sends it to the session's process
 * group). ssh2's `Channel#signal` sends nothing once the channel's stdin was closed, which every
 * exec does at once: RFC 4254 allows the request after EOF, and sshd acts on it. So it is sent
 * through the channel's protocol object while the channel is open; where this ssh2 is shaped
 * otherwise, `signal` is asked for as ssh2 offers it. Returns whether a request went out.
 */
function killCommand(channel: ClientChannel): boolean {
  const parts = channel as unknown as SignalPath;
  const protocol = parts._client?._protocol;
  const id = parts.outgoing?.id;
  // (ssh2 marks a channel whose stdin ended `eof`: still open for requests.)
  const state = parts.outgoing?.state;
  if (state !== 'open' && state !== 'eof') return false;
  try {
    if (protocol !== undefined && typeof protocol.signal === 'function' && typeof id === 'number') {
      (protocol.signal as (id: number, name: string) => void).call(protocol, id, 'KILL');
      return true;
    }
    channel.signal('KILL');
    return true;
  } catch {
    // The connection may already be closing: the channel is closed next either way.
    return false;
  }
}

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
    // Whatever stops a command before it exits (its time, the reader, the gate, a cap, a
    // recording failure) kills it: closing the channel alone leaves it running on the server.
    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      if (timer !== undefined) clearTimeout(timer);
      run.signal.removeEventListener('abort', onAbort);
      killCommand(channel);
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
        fail(
          Object.assign(new Error(`the command did not finish within ${ms} ms and was stopped`), {
            code: 'ETIMEDOUT',
          }),
        );
      }, ms);
    }

    const exit = exitOf(channel);
    const count = (readable: Readable): Readable =>
      readable.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
    Promise.all([
      pumpOutput(count(channel), run.output('stdout'), (text) =>
        text === '' ? undefined : sink('stdout', text),
      ),
      pumpOutput(count(channel.stderr), run.output('stderr'), (text) =>
        text === '' ? undefined : sink('stderr', text),
      ),
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
