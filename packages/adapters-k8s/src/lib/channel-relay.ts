// Relays one exec or attach between the client's WebSocket and the API server's, over the
// Kubernetes channel protocol (v4/v5.channel.k8s.io: each binary message is one channel byte
// — 0 stdin, 1 stdout, 2 stderr, 3 error/status, 4 resize, 255 close (v5) — then its data).
// stdout and stderr are masked as streams, holding back across frames whatever could be the
// start of a secret; the status and resize channels pass as they are.
import type { WebSocket } from 'ws';

/** A masked, recorded output stream (the gate runtime's `run.output(name)`). */
export interface RelayOutput {
  write(chunk: Uint8Array): Promise<string>;
  idle(): Promise<string>;
  end(): Promise<string>;
}

/** What one relay saw, for the recording. */
export interface RelaySummary {
  /** The exit status the API server sent on channel 3, when it sent one. */
  readonly status?: unknown;
  /** Bytes of stdin the client sent. */
  readonly stdinBytes: number;
  /** Bytes of stdout and stderr the API server sent (before masking). */
  readonly outputBytes: number;
  /** The close code the API server ended with. */
  readonly closeCode?: number;
}

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const CLOSE = 255;

// An interactive shell pauses between outputs: after this long without output on a channel,
// what can no longer be part of a secret is shown.
const IDLE_FLUSH_MS = 40;

/**
 * Relays frames both ways until either side closes, then closes the other. Output frames go
 * to the client only through `outputs`; a failure of masking or recording closes both sides
 * (code 1011) and rejects.
 */
export function relayChannels(
  client: WebSocket,
  upstream: WebSocket,
  outputs: { stdout: RelayOutput; stderr: RelayOutput; stdin: RelayOutput },
): Promise<RelaySummary> {
  let stdinBytes = 0;
  let outputBytes = 0;
  let status: unknown;
  let closeCode: number | undefined;
  // Everything sent to the client goes through one chain, so masked output keeps its order
  // relative to the status frame and the close.
  let chain: Promise<void> = Promise.resolve();
  const timers = new Map<number, NodeJS.Timeout>();
  const ended = new Set<number>();
  let failed: unknown;

  const send = (channel: number, text: string): void => {
    if (text === '' || client.readyState !== client.OPEN) return;
    client.send(Buffer.concat([Buffer.from([channel]), Buffer.from(text, 'utf8')]));
  };
  const outputOf = (channel: number): RelayOutput => (channel === STDOUT ? outputs.stdout : outputs.stderr);
  const later = (step: () => Promise<void>): void => {
    chain = chain.then(step).catch((error: unknown) => {
      failed ??= error;
      client.close(1011, 'output could not be masked or recorded');
      upstream.close(1011);
    });
  };
  const endChannel = async (channel: number): Promise<void> => {
    if (ended.has(channel)) return;
    ended.add(channel);
    clearTimeout(timers.get(channel));
    send(channel, await outputOf(channel).end());
  };
  const armIdle = (channel: number): void => {
    clearTimeout(timers.get(channel));
    timers.set(
      channel,
      setTimeout(() => later(async () => {
        if (!ended.has(channel)) send(channel, await outputOf(channel).idle());
      }), IDLE_FLUSH_MS),
    );
  };

  upstream.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length === 0) return;
    const channel = data[0] as number;
    const payload = data.subarray(1);
    if (channel === STDOUT || channel === STDERR) {
      outputBytes += payload.length;
      const copy = Buffer.from(payload);
      later(async () => {
        if (!ended.has(channel)) send(channel, await outputOf(channel).write(copy));
      });
      armIdle(channel);
    } else if (channel === STATUS) {
      const frame = Buffer.from(data);
      later(async () => {
        await endChannel(STDOUT);
        await endChannel(STDERR);
        try {
          status = JSON.parse(frame.subarray(1).toString('utf8')) as unknown;
        } catch {
          status = frame.subarray(1).toString('utf8');
        }
        if (client.readyState === client.OPEN) client.send(frame);
      });
    } else if (channel === CLOSE && (payload[0] === STDOUT || payload[0] === STDERR)) {
      const frame = Buffer.from(data);
      later(async () => {
        await endChannel(payload[0] as number);
        if (client.readyState === client.OPEN) client.send(frame);
      });
    }
    // Anything else from the server (stdin or resize echoes, unknown channels) is dropped.
  });

  client.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length === 0 || upstream.readyState !== upstream.OPEN) return;
    const channel = data[0] as number;
    if (channel === STDIN) {
      stdinBytes += data.length - 1;
      const copy = Buffer.from(data.subarray(1));
      // stdin goes to the server as sent; the recording keeps it masked.
      upstream.send(data);
      later(async () => {
        await outputs.stdin.write(copy);
      });
    } else if (channel === 4 || channel === CLOSE) {
      upstream.send(data);
    }
  });

  const settled = new Promise<RelaySummary>((resolve, reject) => {
    let open = 2;
    const closed = (): void => {
      if (--open > 0) return;
      later(async () => {
        await endChannel(STDOUT);
        await endChannel(STDERR);
        await outputs.stdin.end();
      });
      void chain.then(() => {
        for (const timer of timers.values()) clearTimeout(timer);
        if (failed !== undefined) reject(failed instanceof Error ? failed : new Error(String(failed)));
        else resolve({ status, stdinBytes, outputBytes, ...(closeCode === undefined ? {} : { closeCode }) });
      });
    };
    upstream.on('close', (code: number) => {
      closeCode = code;
      later(async () => {
        await endChannel(STDOUT);
        await endChannel(STDERR);
        client.close(code === 1005 || code === 1006 ? 1000 : code);
      });
      closed();
    });
    client.on('close', () => {
      if (upstream.readyState === upstream.OPEN || upstream.readyState === upstream.CONNECTING) upstream.close(1000);
      closed();
    });
    upstream.on('error', () => upstream.terminate());
    client.on('error', () => client.terminate());
  });
  upstream.resume();
  return settled;
}

/**
 * Relays a port-forward tunnel as it is (its bytes are the application's own protocol),
 * counting bytes each way, until either side closes.
 */
export function relayTunnel(
  client: WebSocket,
  upstream: WebSocket,
  count: (bytes: number) => void,
): Promise<{ readonly bytesToPod: number; readonly bytesFromPod: number; readonly durationMs: number }> {
  const started = Date.now();
  let bytesToPod = 0;
  let bytesFromPod = 0;
  upstream.on('message', (data: Buffer, isBinary: boolean) => {
    bytesFromPod += data.length;
    try {
      count(data.length);
    } catch {
      client.close(1011, 'the tunnel passed its byte cap');
      upstream.close(1011);
      return;
    }
    if (client.readyState === client.OPEN) client.send(data, { binary: isBinary });
  });
  client.on('message', (data: Buffer, isBinary: boolean) => {
    bytesToPod += data.length;
    if (upstream.readyState === upstream.OPEN) upstream.send(data, { binary: isBinary });
  });
  const settled = new Promise<{ bytesToPod: number; bytesFromPod: number; durationMs: number }>((resolve) => {
    let open = 2;
    const closed = (): void => {
      if (--open === 0) resolve({ bytesToPod, bytesFromPod, durationMs: Date.now() - started });
    };
    upstream.on('close', (code: number) => {
      if (client.readyState === client.OPEN) client.close(code === 1005 || code === 1006 ? 1000 : code);
      closed();
    });
    client.on('close', () => {
      if (upstream.readyState === upstream.OPEN) upstream.close(1000);
      closed();
    });
    upstream.on('error', () => upstream.terminate());
    client.on('error', () => client.terminate());
  });
  upstream.resume();
  return settled;
}
