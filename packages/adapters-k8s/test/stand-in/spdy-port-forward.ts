// Port-forward over SPDY/3.1 tunnelled in a WebSocket, for the API server stand-in — test-side
// only, a stand-in for what an API server and kubelet do, not an implementation to ship.
// kubectl opens a pair of streams per local connection: one with `streamtype: error`, which
// it half-closes at once and reads to its end for an error message, and one with
// `streamtype: data`, carrying the connection's bytes; both name the pod `port` and share a
// `requestid`. Every stream is accepted with a SYN_REPLY; once a pair is complete the pod's
// port answers on the data stream; when the client half-closes the data stream, both streams
// are closed (FIN) from the pod's side. PINGs the client starts are answered.
import type { WebSocket } from 'ws';
import { FLAG_FIN, RstStatus, SpdyCodec, type SpdyFrame, type SpdyHeaders } from './spdy.js';

/** What listens on a pod's port: answers each chunk it receives, or refuses the connection. */
export interface PodPort {
  /** Bytes the pod sends first, as soon as the connection is made (a banner). */
  readonly greeting?: Buffer;
  /** The pod's answer to one chunk the client sent. */
  answer(data: Buffer): Buffer;
}

/** Opens a connection to a port of the pod, or says why it cannot (nothing listens). */
export type PodPorts = (port: number) => PodPort | string;

interface Pair {
  error?: number;
  data?: number;
  port?: number;
  started: boolean;
  pod?: PodPort;
}

/**
 * Serves one port-forward connection: `ws` carries SPDY/3.1 frames as binary messages, in
 * either direction, split or joined anyhow.
 */
export function serveSpdyPortForward(ws: WebSocket, ports: PodPorts): void {
  const codec = new SpdyCodec();
  const pairs = new Map<string, Pair>();
  const streams = new Map<number, { requestId: string; kind: 'error' | 'data' }>();
  // Frames go out in the order they are written (header blocks are compressed asynchronously).
  let sending: Promise<void> = Promise.resolve();
  const send = (frame: SpdyFrame): void => {
    sending = sending
      .then(async () => {
        const bytes = await codec.write(frame);
        if (ws.readyState === ws.OPEN) ws.send(bytes, { binary: true });
      })
      .catch(() => {
        ws.terminate();
      });
  };
  const data = (streamId: number, bytes: Buffer, fin = false): void => {
    send({ type: 'data', streamId, flags: fin ? FLAG_FIN : 0, data: bytes });
  };
  const closePair = (pair: Pair, message?: string): void => {
    if (pair.error !== undefined) {
      if (message !== undefined) data(pair.error, Buffer.from(message));
      data(pair.error, Buffer.alloc(0), true);
    }
    if (pair.data !== undefined) data(pair.data, Buffer.alloc(0), true);
  };
  const start = (requestId: string, pair: Pair): void => {
    if (pair.started || pair.error === undefined || pair.data === undefined) return;
    pair.started = true;
    const port = pair.port ?? 0;
    const opened = ports(port);
    if (typeof opened === 'string') {
      closePair(pair, `error forwarding port ${port} to pod: ${opened}`);
      pairs.delete(requestId);
      return;
    }
    pair.pod = opened;
    if (opened.greeting !== undefined) data(pair.data, opened.greeting);
  };

  const onFrame = (frame: SpdyFrame): void => {
    switch (frame.type) {
      case 'synStream': {
        const kind = one(frame.headers, 'streamtype');
        const port = Number(one(frame.headers, 'port'));
        const requestId = one(frame.headers, 'requestid') ?? '';
        if ((kind !== 'error' && kind !== 'data') || !Number.isInteger(port) || port < 1 || port > 65535) {
          send({ type: 'rstStream', streamId: frame.streamId, status: RstStatus.protocolError });
          return;
        }
        const pair = pairs.get(requestId) ?? { started: false };
        pairs.set(requestId, pair);
        if (pair[kind] !== undefined) {
          send({ type: 'rstStream', streamId: frame.streamId, status: RstStatus.protocolError });
          return;
        }
        pair[kind] = frame.streamId;
        pair.port ??= port;
        streams.set(frame.streamId, { requestId, kind });
        send({ type: 'synReply', streamId: frame.streamId, flags: 0, headers: {} });
        start(requestId, pair);
        return;
      }
      case 'data': {
        const stream = streams.get(frame.streamId);
        if (stream === undefined) {
          send({ type: 'rstStream', streamId: frame.streamId, status: RstStatus.invalidStream });
          return;
        }
        const pair = pairs.get(stream.requestId);
        if (stream.kind !== 'data' || pair?.pod === undefined || pair.data === undefined) return;
        if (frame.data.length > 0) data(pair.data, pair.pod.answer(frame.data));
        if ((frame.flags & FLAG_FIN) !== 0) {
          // The client sends no more: the pod's side of the connection ends too.
          closePair(pair);
          pairs.delete(stream.requestId);
        }
        return;
      }
      case 'rstStream': {
        const stream = streams.get(frame.streamId);
        streams.delete(frame.streamId);
        if (stream !== undefined) pairs.delete(stream.requestId);
        return;
      }
      case 'ping':
        // Odd ids are the client's own pings, which are answered with the same id.
        if (frame.id % 2 === 1) send(frame);
        return;
      case 'goAway':
        ws.close(1000);
        return;
      default:
        // SETTINGS, WINDOW_UPDATE, HEADERS and unknown types change nothing here.
        return;
    }
  };

  let reading: Promise<void> = Promise.resolve();
  ws.on('message', (chunk: Buffer, isBinary: boolean) => {
    if (!isBinary) {
      ws.close(1003, 'SPDY frames come in binary messages');
      return;
    }
    const copy = Buffer.from(chunk);
    reading = reading
      .then(async () => {
        for (const frame of await codec.read(copy)) onFrame(frame);
      })
      .catch(() => {
        ws.close(1002, 'malformed SPDY frame');
      });
  });
  ws.on('close', () => {
    codec.close();
  });
}

function one(headers: SpdyHeaders, name: string): string | undefined {
  return headers[name]?.[0];
}
