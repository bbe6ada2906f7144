// An allowed direct-tcpip forward: the server connects to the canonical host and port; the
// caller gets a Duplex of our own (never the channel). The bytes are not masked (they are a
// protocol, not text for a person) and not recorded; their counts and the duration are.
import type { GateRun } from '@portcullis/core';
import type { Duplex } from 'node:stream';
import type { ForwardPlan, SshRaw } from '../internal-types.js';
import { channelStream } from './channel-stream.js';
import type { SshConnection } from './connection.js';
import { asError } from './text.js';

/**
 * Opens the forward, hands its Duplex to `opened`, and resolves when it closed.
 *
 * @example
 * ```ts
 * await runForward(conn, plan, run, (socket) => resolveCaller(socket));
 * ```
 */
export async function runForward(
  conn: SshConnection,
  plan: ForwardPlan,
  run: GateRun,
  opened: (stream: Duplex) => void,
): Promise<SshRaw> {
  run.signal.throwIfAborted();
  const channel = await conn.forwardOut(plan.host, plan.port);
  let bytesIn = 0;
  let bytesOut = 0;
  let failure: unknown;
  const stream = channelStream(channel, (chunk) => {
    bytesOut += chunk.length;
  });
  channel.on('data', (chunk: Buffer) => {
    bytesIn += chunk.length;
    if (!stream.push(chunk)) channel.pause();
  });
  const onAbort = (): void => {
    failure ??= run.signal.reason;
    channel.close();
  };
  run.signal.addEventListener('abort', onAbort, { once: true });
  opened(stream);
  await new Promise<void>((resolve) => {
    channel.once('close', () => {
      resolve();
    });
  });
  run.signal.removeEventListener('abort', onAbort);
  if (failure !== undefined) {
    const error = asError(failure);
    stream.destroy(error);
    throw error;
  }
  stream.push(null);
  return { kind: 'forward', bytesIn, bytesOut };
}
