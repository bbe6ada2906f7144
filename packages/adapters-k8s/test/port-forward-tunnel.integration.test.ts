// kubectl's port-forward tunnel (SPDY/3.1 inside WebSocket binary messages, subprotocol
// `SPDY/3.1+portforward.k8s.io`) through the gate, spoken by the stand-in's own SPDY framing so
// it runs where kubectl is not installed: the gate negotiates the subprotocol (which is not an
// HTTP token), relays the messages as they are, counts them, and fails closed when the API
// server answers with a subprotocol that was not offered.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  createMemoryApprovalStore,
  createMemorySink,
  createPortcullis,
  createRecorder,
  parsePolicy,
} from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createKubeGate } from '../src/index.js';
import {
  agent,
  eventually,
  hostKubeConfig,
  POLICY,
  upstreamCalls,
  useWorld,
  type World,
} from './fixtures.js';
import type { StandInApiServer } from './stand-in/api-server.js';
import { FLAG_FIN, SpdyCodec, type SpdyFrame } from './stand-in/spdy.js';

const TUNNEL = 'SPDY/3.1+portforward.k8s.io';

let world!: World;
useWorld((w) => {
  world = w;
});

/**
 * Opens a WebSocket offering the tunnel subprotocol, as kubectl does (ws cannot offer a
 * non-token name itself, so the header is set by hand and the answer read before ws checks it).
 */
function openTunnel(
  url: string,
  token: string,
  path: string,
): Promise<{ ws: WebSocket; protocol: string | undefined }> {
  return new Promise((resolve, reject) => {
    let protocol: string | undefined;
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}${path}`, {
      headers: { Authorization: `Bearer ${token}`, 'Sec-WebSocket-Protocol': TUNNEL },
    });
    ws.once('upgrade', (res: IncomingMessage) => {
      protocol = res.headers['sec-websocket-protocol'];
      delete res.headers['sec-websocket-protocol'];
    });
    ws.once('open', () => {
      resolve({ ws, protocol });
    });
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      reject(new Error(`upgrade answered ${res.statusCode}`));
    });
    ws.once('error', reject);
  });
}

/** A SPDY client on a tunnel: sends frames, collects decoded ones, counts bytes each way. */
function spdyClient(ws: WebSocket): {
  send(frame: SpdyFrame): Promise<void>;
  frames: SpdyFrame[];
  sent: () => number;
  received: () => number;
} {
  const codec = new SpdyCodec();
  const frames: SpdyFrame[] = [];
  let sent = 0;
  let received = 0;
  let reading: Promise<unknown> = Promise.resolve();
  ws.on('message', (data: Buffer) => {
    received += data.length;
    const copy = Buffer.from(data);
    reading = reading.then(async () => frames.push(...(await codec.read(copy))));
  });
  return {
    async send(frame) {
      const bytes = await codec.write(frame);
      sent += bytes.length;
      ws.send(bytes);
    },
    frames,
    sent: () => sent,
    received: () => received,
  };
}

function sessionCredentials(world: World, principal = agent): { url: string; token: string } {
  const kc = world.gate.as(principal).kubeConfig();
  return { url: kc.getCurrentCluster()?.server ?? '', token: kc.getCurrentUser()?.token ?? '' };
}

const isFin = (frame: SpdyFrame, streamId: number): boolean =>
  frame.type === 'data' && frame.streamId === streamId && (frame.flags & FLAG_FIN) !== 0;

describe('port-forward as kubectl tunnels it (SPDY/3.1 in WebSocket)', () => {
  it('is relayed as it is: streams, data both ways, pings, and the counts recorded', async () => {
    const { url, token } = sessionCredentials(world);
    const { ws, protocol } = await openTunnel(url, token, '/api/v1/namespaces/prod/pods/web-1/portforward');
    expect(protocol).toBe(TUNNEL);
    const client = spdyClient(ws);
    const port = ['8080'];
    await client.send({
      type: 'synStream',
      streamId: 1,
      associatedId: 0,
      priority: 0,
      flags: 0,
      headers: { streamtype: ['error'], port, requestid: ['0'] },
    });
    await client.send({ type: 'data', streamId: 1, flags: FLAG_FIN, data: Buffer.alloc(0) });
    await client.send({
      type: 'synStream',
      streamId: 3,
      associatedId: 0,
      priority: 0,
      flags: 0,
      headers: { streamtype: ['data'], port, requestid: ['0'] },
    });
    await client.send({ type: 'ping', id: 1 });
    await client.send({ type: 'data', streamId: 3, flags: 0, data: Buffer.from('hello tunnel') });
    await eventually(() =>
      client.frames.some((f) => f.type === 'data' && f.data.toString() === 'HELLO TUNNEL'),
    );
    expect(client.frames.filter((f) => f.type === 'synReply').map((f) => f.streamId)).toEqual([1, 3]);
    expect(client.frames).toContainEqual({ type: 'ping', id: 1 });
    await client.send({ type: 'data', streamId: 3, flags: FLAG_FIN, data: Buffer.alloc(0) });
    await eventually(() => client.frames.some((f) => isFin(f, 1)) && client.frames.some((f) => isFin(f, 3)));
    ws.close();
    await eventually(() => world.sink.events.some((e) => e.type === 'result'));
    const result = world.sink.events.find((e) => e.type === 'result')?.data as {
      summary: string;
      body: { bytesToPod: number; bytesFromPod: number; durationMs: number };
    };
    expect(result.summary).toMatch(/^tunnel \d+ bytes to the pod, \d+ from it, \d+ ms$/);
    expect(result.body.bytesToPod).toBe(client.sent());
    expect(result.body.bytesFromPod).toBe(client.received());
    expect(world.api.forwarded.get('prod/web-1')?.map(String)).toEqual(['hello tunnel']);
  });

  it('is refused with Forbidden for a principal without the allow, and nothing goes upstream', async () => {
    const { url, token } = sessionCredentials(world, {
      subject: 'dave',
      groups: ['log-readers'],
      kind: 'agent',
      actor: 'copilot',
    });
    await expect(openTunnel(url, token, '/api/v1/namespaces/prod/pods/web-1/portforward')).rejects.toThrow(
      /403/,
    );
    expect(upstreamCalls(world.api).filter((c) => c.url.includes('portforward'))).toEqual([]);
  });

  it('fails closed when the API server answers with a subprotocol the client did not offer', async () => {
    // An API server that completes every upgrade with the v4 channel protocol instead.
    const upgrades: string[] = [];
    const sockets = new Set<Socket>();
    let dropped = 0;
    const server = createServer();
    server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
      upgrades.push(req.headers['sec-websocket-protocol'] ?? '');
      sockets.add(socket);
      socket.on('end', () => dropped++);
      const accept = createHash('sha1')
        .update(`${req.headers['sec-websocket-key'] ?? ''}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest('base64');
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n`,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      token: 'fake-upstream',
    } as StandInApiServer;
    const sink = createMemorySink();
    const portcullis = await createPortcullis({
      policy: parsePolicy(POLICY),
      approvals: createMemoryApprovalStore(),
      recorder: createRecorder({ sink }),
    });
    const gate = await createKubeGate({
      kubeConfig: hostKubeConfig(fake),
      portcullis,
      target: 'prod-cluster',
    });
    try {
      const kc = gate.as(agent).kubeConfig();
      const opened = openTunnel(
        kc.getCurrentCluster()?.server ?? '',
        kc.getCurrentUser()?.token ?? '',
        '/api/v1/namespaces/prod/pods/web-1/portforward',
      );
      await expect(opened).rejects.toThrow(/502/);
      expect(upgrades).toEqual([TUNNEL]);
      // The gate dropped its connection to the API server rather than keep it.
      await eventually(() => dropped === 1);
      // Its error is optional recording: written a moment later, with what follows it.
      await eventually(() => sink.events.some((e) => e.type === 'error'));
      expect(sink.events.some((e) => e.type === 'result')).toBe(false);
    } finally {
      await gate.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
