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
  const known = watched.get(channel);
  if (known !== undefined) return known;
  let code: number | null = null;
  let signal: string | null = null;
  channel.on('exit', (c: number | null, s?: string) => {
    if (typeof c === 'number') code = c;
    else if (typeof s === 'string') signal = s;
  });
  const status = new Promise<ExitStatus>((resolve) => {
    channel.once('close', () => {
      resolve({ code, signal });
    });
  });
  watched.set(channel, status);
  return status;
}

/**
 * Each channel's exit, watched from the moment ssh2 hands the channel over: a fast command's
 * `exit-status` can arrive in the same read as the channel's confirmation, and `exit` events are
 * not buffered, so a listener added after an `await` would miss it.
 */
const watched = new WeakMap<Channel, Promise<ExitStatus>>();
