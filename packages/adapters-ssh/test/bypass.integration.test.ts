// The bypass paths found against OpenSSH 9.2 and ssh2 1.17, each closed, each shown from
// sshd's own debug log to never have reached the server.
import { DeniedError } from '@portcullis/core';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, needs, SSHD_MISSING, startWorld, type SshWorld } from './fixtures.js';

/** Every object reachable from `root` through own properties (not closures). */
function reachable(root: unknown): unknown[] {
  const seen = new Set<unknown>();
  const stack = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') seen.add(value);
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value))
      continue;
    seen.add(value);
    for (const key of Reflect.ownKeys(value)) {
      const d = Object.getOwnPropertyDescriptor(value, key);
      if (d === undefined) continue;
      if ('value' in d) stack.push(d.value);
      else {
        try {
          stack.push((value as Record<PropertyKey, unknown>)[key]);
        } catch {
          // A getter that throws reveals nothing.
        }
      }
    }
    stack.push(Object.getPrototypeOf(value));
  }
  return [...seen];
}

const DRIVER_NAMES = /^(Client|Channel|SFTP|Protocol|Socket)$/;
function isDriver(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (value instanceof ssh2.Client) return true;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && DRIVER_NAMES.test(name);
}

describe.skipIf(SSHD_MISSING !== undefined)(`bypass paths on a real sshd${needs}`, () => {
  let world: SshWorld;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  it('no handle reaches the ssh2 Client or a channel: the facade, results, streams and shells', async () => {
    const s = world.ssh.as(agent);
    const result = await s.exec('echo hi');
    const stream = s.execStream('echo streamed');
    const chunks: unknown[] = [];
    for await (const c of stream) chunks.push(c);
    const socket = await s.forward('127.0.0.1', world.echoPort);
    const sftp = s.sftp();
    const entries = await sftp.readdir('~/allowed');
    const roots = [s, world.ssh, result, stream, chunks, sftp, entries, socket];
    for (const root of roots) {
      expect(reachable(root).filter(isDriver)).toEqual([]);
    }
    const strings = roots.flatMap((r) => reachable(r)).filter((v): v is string => typeof v === 'string');
    expect(strings.join('\n')).not.toContain(world.sshd.privateKey.slice(40, 80));
    socket.destroy();
    await s.end();
  });

  it('facades are frozen: methods cannot be replaced, nothing can be added', () => {
    const s = world.ssh.as(agent);
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(world.ssh)).toBe(true);
    expect(() => {
      (s as unknown as Record<string, unknown>)['exec'] = () => undefined;
    }).toThrow(TypeError);
    expect(Object.keys(s).sort()).toEqual([
      'end',
      'exec',
      'execStream',
      'forward',
      'principal',
      'sftp',
      'shell',
    ]);
  });

  it("exec('bash') with stdin is classified as the command line stdin carries", async () => {
    const s = world.ssh.as(agent);
    await s.exec('true');
    const mark = world.sshd.mark();
    await expect(s.exec('bash', { stdin: 'rm -rf /tmp/portcullis-x\n' })).rejects.toBeInstanceOf(DeniedError);
    await expect(s.exec('sh -s', { stdin: 'echo ok; rm -rf /tmp/portcullis-x' })).rejects.toBeInstanceOf(
      DeniedError,
    );
    // Another interpreter's code cannot be classified: unknown, denied.
    await expect(s.exec('python3', { stdin: 'import os; os.system("rm -rf /")' })).rejects.toBeInstanceOf(
      DeniedError,
    );
    await expect(s.exec('bash')).rejects.toBeInstanceOf(DeniedError);
    await new Promise((r) => setTimeout(r, 200));
    expect(world.sshd.logSince(mark)).not.toMatch(/req exec|ctype session/);
    // An allowed script runs.
    expect(await s.exec('bash', { stdin: 'echo from-stdin' })).toMatchObject({
      stdout: 'from-stdin\n',
      code: 0,
    });
    await s.end();
  });

  it('no raw subsystem: a denied SFTP request opens no subsystem, and subsys is not offered', async () => {
    const s = world.ssh.as(agent);
    const mark = world.sshd.mark();
    await expect(s.sftp().readFile('/etc/shadow')).rejects.toBeInstanceOf(DeniedError);
    await new Promise((r) => setTimeout(r, 200));
    expect(world.sshd.logSince(mark)).not.toMatch(/subsystem|ctype session/);
    for (const name of ['subsys', 'sftpRaw', 'client', 'connection', 'channel']) {
      expect((s as unknown as Record<string, unknown>)[name]).toBeUndefined();
    }
    await s.end();
  });

  it('no UNIX sockets, no remote listeners, no X11 or agent forwarding', async () => {
    const s = world.ssh.as(agent);
    await s.exec('true');
    const mark = world.sshd.mark();
    for (const name of [
      'forwardIn',
      'unforwardIn',
      'openssh_forwardOutStreamLocal',
      'openssh_forwardInStreamLocal',
      'x11',
      'agent',
    ]) {
      expect((s as unknown as Record<string, unknown>)[name]).toBeUndefined();
    }
    expect(() => s.forward('/run/sshd.sock', 0)).toThrow(TypeError);
    await expect(s.forward('unix:/var/run/docker.sock', 80)).rejects.toBeInstanceOf(DeniedError);
    await new Promise((r) => setTimeout(r, 200));
    const log = world.sshd.logSince(mark);
    expect(log).not.toMatch(/streamlocal|tcpip-forward|x11-req|auth-agent/);
    await s.end();
    expect(world.sshd.log()).not.toMatch(/auth-agent-req|x11-req|tcpip-forward|streamlocal/);
  });

  it("patching ssh2's Client prototype after the gate loaded observes nothing", async () => {
    const proto = ssh2.Client.prototype as unknown as Record<string, unknown>;
    const names = ['exec', 'shell', 'sftp', 'forwardOut', 'subsys', 'connect', 'end', 'on', 'once'];
    const saved = new Map(names.map((n) => [n, proto[n]]));
    const seen: unknown[] = [];
    try {
      for (const n of names) {
        const original = saved.get(n) as (...args: unknown[]) => unknown;
        proto[n] = function (this: unknown, ...args: unknown[]) {
          seen.push(this);
          return original.apply(this, args);
        };
      }
      const s = world.ssh.as(agent);
      expect((await s.exec('echo patched')).stdout).toBe('patched\n');
      await s.sftp().stat('~/allowed');
      const socket = await s.forward('127.0.0.1', world.echoPort);
      socket.destroy();
      await s.end();
      expect(seen).toEqual([]);
    } finally {
      for (const [n, f] of saved) proto[n] = f;
    }
  });
});
