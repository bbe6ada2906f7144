// An allowed interactive shell: a terminal channel behind a Duplex of our own. Output is masked
// as a stream (what could still be part of a secret is held back, and shown after a short
// pause once it cannot); what is typed is recorded (masked) as the `stdin` stream, so the
// session replays with its input and output timings.
import type { GateRun } from '@portcullis/core';
import type { ShellPlan, GatedShellParts, SshRaw } from '../internal-types.js';
import type { SshConnection } from './connection.js';
import { channelStream } from './channel-stream.js';
import { exitOf } from './exit.js';
import { asError } from './text.js';

const noop = (): void => undefined;

/** How long output may pause before the held-back part that cannot be a secret is shown. */
const IDLE_FLUSH_MS = 40;

/**
 * Opens the shell, hands its Duplex to `opened`, and resolves when the shell ended.
 *
 * @example
 * ```ts
 * await runShell(conn, plan, run, ({ stream }) => resolveCaller(stream));
 * ```
 */
export async function runShell(
  conn: SshConnection,
  plan: ShellPlan,
  run: GateRun,
  opened: (shell: GatedShellParts) => void,
): Promise<SshRaw> {
  run.signal.throwIfAborted();
  const channel = await conn.shell(plan.cols, plan.rows, plan.term);
  const exit = exitOf(channel);
  const stdout = run.output('stdout');
  const stderr = run.output('stderr');
  const stdin = run.output('stdin');
  let idleTimer: NodeJS.Timeout | undefined;
  let failure: unknown;
  let wantsMore = true;

  // The input is recorded (masked) before it is sent; a recording failure ends the shell.
  const stream = channelStream(
    channel,
    (chunk) =>
      stdin.write(chunk).then(noop, (err: unknown) => {
        fail(err);
        throw asError(err);
      }),
    () => {
      wantsMore = true;
    },
  );

  const show = (text: string): void => {
    if (text.length === 0 || stream.destroyed) return;
    if (!stream.push(text)) {
      wantsMore = false;
      channel.pause();
    }
  };
  const fail = (err: unknown): void => {
    failure ??= err;
    channel.close();
  };
  const scheduleIdle = (): void => {
    if (idleTimer !== undefined) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      idleTimer = undefined;
      void Promise.all([stdout.idle(), stderr.idle(), stdin.idle()]).then(([a, b]) => {
        show(a + b);
      }, fail);
    }, IDLE_FLUSH_MS);
  };
  const pump = (readable: NodeJS.ReadableStream, out: typeof stdout): Promise<void> =>
    new Promise<void>((done) => {
      readable.on('data', (chunk: Buffer) => {
        readable.pause();
        // write() throws at once past a cap: make that a rejection like the others.
        Promise.resolve()
          .then(() => out.write(chunk))
          .then(
            (text) => {
              show(text);
              scheduleIdle();
              if (wantsMore) readable.resume();
            },
            (err: unknown) => {
              fail(err);
              done();
            },
          );
      });
      readable.once('end', () => {
        done();
      });
    });
  const onAbort = (): void => {
    fail(run.signal.reason);
  };
  run.signal.addEventListener('abort', onAbort, { once: true });

  opened({
    stream,
    resize: (cols, rows) => {
      channel.setWindow(rows, cols, 0, 0);
    },
  });

  const [status] = await Promise.all([exit, pump(channel, stdout), pump(channel.stderr, stderr)]);
  run.signal.removeEventListener('abort', onAbort);
  if (idleTimer !== undefined) clearTimeout(idleTimer);
  const rest = await Promise.all([stdout.end(), stderr.end(), stdin.end()]).catch((err: unknown) => {
    failure ??= err;
    return ['', '', ''] as const;
  });
  show(rest[0] + rest[1]);
  if (failure !== undefined) {
    const error = asError(failure);
    stream.destroy(error);
    throw error;
  }
  stream.push(null);
  return { kind: 'shell', ...status };
}
