import type { Channel } from 'ssh2';

/** The exit status and signal of a session channel, once it has closed. */
export interface ExitStatus {
  readonly code: number | null;
  readonly signal: string | null;
}

/**
 * Resolves when the channel closed, with the `exit-status` or `exit-signal` the server sent
 * (both `null` when it sent neither).
 *
 * @example
 * ```ts
 * const { code, signal } = await exitOf(channel);
 * ```
 */
export function exitOf(channel: Channel): Promise<ExitStatus> {
  let code: number | null = null;
  let signal: string | null = null;
  channel.on('exit', (c: number | null, s?: string) => {
    if (typeof c === 'number') code = c;
    else if (typeof s === 'string') signal = s;
  });
  return new Promise((resolve) => {
    channel.once('close', () => {
      resolve({ code, signal });
    });
  });
}
