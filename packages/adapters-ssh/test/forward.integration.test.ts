// Port forwarding against a real OpenSSH server: canonical host:port, a Duplex of our own,
// byte counts and timing recorded.
import { DeniedError } from '@portcullis/core';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, needs, SSHD_MISSING, startWorld, type SshWorld } from './fixtures.js';

function roundTrip(socket: Duplex, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    socket.on('data', (chunk: Buffer) => {
      got += chunk.toString();
      if (got.length >= text.length) resolve(got);
    });
    socket.once('error', reject);
    socket.write(text);
  });
}

describe.skipIf(SSHD_MISSING !== undefined)(`forward on a real sshd${needs}`, () => {
  let world: SshWorld;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  it('forwards to an allowed host:port and records byte counts and timing', async () => {
    const s = world.ssh.as(agent);
    const socket = await s.forward('127.0.0.1', world.echoPort);
    expect(await roundTrip(socket, 'ping over ssh')).toBe('ping over ssh');
    socket.end();
    await new Promise((r) => socket.once('close', r));
    await s.end();
    const recorded = world.recordings().at(-1)!;
    const request = recorded.events.find((e) => e.type === 'request')?.data as { request: unknown };
    expect(request.request).toEqual({ type: 'forward', host: '127.0.0.1', port: world.echoPort });
    const result = recorded.events.find((e) => e.type === 'result')?.data as Record<string, unknown>;
    expect(result['body']).toEqual({ bytesIn: 13, bytesOut: 13 });
    expect(typeof result['durationMs']).toBe('number');
  });

  it('sends the canonical spelling that was decided (127.1 is 127.0.0.1)', async () => {
    const s = world.ssh.as(agent);
    const mark = world.sshd.mark();
    const socket = await s.forward('127.1', world.echoPort);
    expect(await roundTrip(socket, 'x')).toBe('x');
    socket.destroy();
    await s.end();
    expect(world.sshd.logSince(mark)).toContain(`target 127.0.0.1 port ${world.echoPort}`);
  });

  it('a denied forward never reaches the server', async () => {
    const s = world.ssh.as(agent);
    await s.exec('true');
    const mark = world.sshd.mark();
    await expect(s.forward('127.0.0.1', 22)).rejects.toBeInstanceOf(DeniedError);
    await expect(s.forward('169.254.43518', 80)).rejects.toBeInstanceOf(DeniedError);
    await new Promise((r) => setTimeout(r, 200));
    expect(world.sshd.logSince(mark)).not.toMatch(/direct-tcpip/);
    await s.end();
  });
});
