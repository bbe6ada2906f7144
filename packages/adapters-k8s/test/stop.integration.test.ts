// A request the gate stops (past the duration cap, or because its session ended) stops on both
// sides: the client's response is cut off and the gate's connection to the API server closes,
// so a followed log or a watch does not go on streaming into the gate after nobody may see it.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKubeGate, type KubeGate } from '../src/index.js';
import { agent, eventually, useWorld, type World } from './fixtures.js';

let world!: World;
useWorld((w) => {
  world = w;
});

/**
 * An API server whose every answer is a log that never ends, except that it never answers at
 * all for pod `silent`; it counts its open requests.
 */
let upstream: Server;
let upstreamUrl = '';
const open = new Set<Socket>();
let requests = 0;

beforeEach(async () => {
  requests = 0;
  upstream = createServer((req, res) => {
    requests++;
    open.add(req.socket);
    req.socket.once('close', () => open.delete(req.socket));
    if (req.url?.includes('/pods/silent/') === true) return;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first line\n');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterEach(async () => {
  for (const socket of open) socket.destroy();
  await new Promise((resolve) => upstream.close(resolve));
});

async function gateBefore(caps?: { maxDurationMs: number }): Promise<KubeGate<KubeConfig>> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'u', server: upstreamUrl, skipTLSVerify: true }],
    users: [{ name: 'host', token: 'host-token' }],
    contexts: [{ name: 'u', cluster: 'u', user: 'host' }],
    currentContext: 'u',
  });
  return createKubeGate({
    kubeConfig,
    portcullis: world.portcullis,
    target: 'prod-cluster',
    ...(caps === undefined ? {} : { caps }),
  });
}

/** Follows a log through a session's plain listener; resolves with the response once its first line is in. */
function follow(kc: KubeConfig): Promise<{ response: IncomingMessage; ended: Promise<string> }> {
  const server = kc.getCurrentCluster()?.server ?? '';
  const token = kc.getCurrentUser()?.token ?? '';
  return new Promise((resolve, reject) => {
    const req = request(
      new URL('/api/v1/namespaces/prod/pods/web-1/log?follow=true', server),
      { headers: { authorization: `Bearer ${token}` } },
      (response) => {
        let text = '';
        const ended = new Promise<string>((done) => {
          response.on('close', () => {
            done(response.complete ? 'complete' : 'cut off');
          });
        });
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
          if (text.includes('first line')) resolve({ response, ended });
        });
        response.on('error', () => undefined);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('a stopped request', () => {
  it('past the duration cap before the API server answered: refused, and the API server connection closes', async () => {
    const gate = await gateBefore({ maxDurationMs: 300 });
    try {
      const kc = gate.as(agent).kubeConfig();
      const answer = await fetch(
        new URL('/api/v1/namespaces/prod/pods/silent/log', kc.getCurrentCluster()?.server),
        { headers: { authorization: `Bearer ${kc.getCurrentUser()?.token ?? ''}` } },
      );
      expect(answer.status).toBe(403);
      expect(((await answer.json()) as { message: string }).message).toMatch(/maxDurationMs/);
      expect(requests).toBe(1);
      await eventually(() => open.size === 0);
    } finally {
      await gate.close();
    }
  });

  it('past the duration cap: the client is cut off and the API server connection closes', async () => {
    const gate = await gateBefore({ maxDurationMs: 300 });
    try {
      const { ended } = await follow(gate.as(agent).kubeConfig());
      expect(requests).toBe(1);
      expect(open.size).toBe(1);
      expect(await ended).toBe('cut off');
      await eventually(() => open.size === 0);
    } finally {
      await gate.close();
    }
  });

  it("at the session's end: the client is cut off and the API server connection closes", async () => {
    const gate = await gateBefore();
    try {
      const session = gate.as(agent);
      const { ended } = await follow(session.kubeConfig());
      expect(open.size).toBe(1);
      await session.end();
      expect(await ended).toBe('cut off');
      await eventually(() => open.size === 0);
    } finally {
      await gate.close();
    }
  });
});
