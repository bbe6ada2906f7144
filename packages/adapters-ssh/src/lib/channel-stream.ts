// The Duplex a caller gets for a shell or a forward: ours, holding the channel only in
// closures, so nothing of ssh2 is reachable from it.
import { Buffer } from 'node:buffer';
import { Duplex } from 'node:stream';
import type { Channel } from 'ssh2';
import { asError } from './text.js';

/**
 * A Duplex over `channel`: reading resumes it (and `onRead` runs), each write goes through
 * `beforeWrite` (recording, counting) and then to the channel, ending sends EOF, destroying
 * closes the channel. The caller of this function pushes what the channel sends.
 *
 * @example
 * ```ts
 * const stream = channelStream(channel, (chunk) => { bytesOut += chunk.length; });
 * channel.on('data', (chunk) => stream.push(chunk));
 * ```
 */
export function channelStream(
  channel: Channel,
  beforeWrite: (chunk: Buffer) => Promise<void> | void,
  onRead: () => void = () => undefined,
): Duplex {
  return new Duplex({
    read() {
      onRead();
      channel.resume();
    },
    write(chunk: Buffer | string, encoding, callback) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
      Promise.resolve()
        .then(() => beforeWrite(bytes))
        .then(
          () => {
            channel.write(bytes, (err?: Error | null) => {
              callback(err ?? null);
            });
          },
          (err: unknown) => {
            callback(asError(err));
          },
        );
    },
    final(callback) {
      channel.end();
      callback();
    },
    destroy(err, callback) {
      channel.close();
      callback(err);
    },
  });
}
