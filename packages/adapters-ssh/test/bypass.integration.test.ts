// The bypass paths found against OpenSSH 9.2 and ssh2 1.17, each closed, each shown from
// sshd's own debug log to never have reached the server.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { plantOnPrototypes } from '@portcullis/conformance';
import { DeniedError } from '@portcullis/core';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatedSsh } from '../src/index.js';
import { agent, connectTo, needs, SSHD_MISSING, startWorld, type SshWorld } from './fixtures.js';

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

  // ssh2 reads its connect options and each channel's options by name (`agentForward`, `agent`,
  // `x11`, `pty`). Names planted on Object.prototype by a prototype pollution elsewhere in the
  // host are plain data, and would be read as the gate's own options: the host's SSH agent
  // forwarded to the server, where the agent's commands could use its keys.
  it('names planted on Object.prototype ask for no agent forwarding, X11 or terminal', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'portcullis-agent-'));
    const agentPath = path.join(dir, 'agent.sock');
    let agentConnections = 0;
    const hostAgent = createServer((socket) => {
      agentConnections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => hostAgent.listen(agentPath, resolve));
    // A gate of its own: its connection opens while the names are planted.
    const ssh = createGatedSsh({
      connect: connectTo(world.sshd),
      portcullis: world.portcullis,
      target: 'bastion',
    });
    const s = ssh.as(agent);
    const planted: Record<string, unknown> = { agentForward: true, agent: agentPath, x11: true, pty: true };
    for (const name of Object.keys(planted)) expect(Object.prototype).not.toHaveProperty(name);
    const mark = world.sshd.mark();
    let outcome: unknown;
    const undo = plantOnPrototypes(
      [Object.prototype],
      Object.keys(planted),
      (name) => planted[name as string],
    );
    try {
      // ssh-add asks the agent the session was given, if any, for its keys.
      outcome = await s.exec('ssh-add -l').catch((e: unknown) => e);
    } finally {
      undo();
    }
    await s.end();
    await ssh.end();
    await new Promise((resolve) => hostAgent.close(resolve));
    await rm(dir, { recursive: true, force: true });
    await new Promise((r) => setTimeout(r, 200));
    expect(world.sshd.logSince(mark)).not.toMatch(/auth-agent-req|x11-req|pty-req/);
    expect(agentConnections).toBe(0);
    // ssh-add found no agent (exit 2), on a session that ran as usual.
    expect(outcome).toMatchObject({ code: 2 });
  });

  // ssh2 reads the host's `algorithms` lists by name (`kex`, `cipher`, `hmac`, `compress`,
  // `serverHostKey`): a list the host did not give, planted on Object.prototype, would decide
  // the connection's key exchange (or its MAC, or compression) instead of ssh2's defaults.
  it('names planted on Object.prototype choose none of the algorithms the host left to ssh2', async () => {
    const ssh = createGatedSsh({
      // The host names one list; the key exchange is left to ssh2's defaults.
      connect: { ...connectTo(world.sshd), algorithms: { compress: ['none'] } },
      portcullis: world.portcullis,
      target: 'bastion',
    });
    const s = ssh.as(agent);
    // A key exchange OpenSSH still accepts, never ssh2's first choice.
    const planted = 'diffie-hellman-group14-sha256';
    expect(Object.prototype).not.toHaveProperty('kex');
    const mark = world.sshd.mark();
    let outcome: unknown;
    const undo = plantOnPrototypes([Object.prototype], ['kex'], () => [planted]);
    try {
      outcome = await s.exec('true').catch((e: unknown) => e);
    } finally {
      undo();
    }
    await s.end();
    await ssh.end();
    await new Promise((r) => setTimeout(r, 200));
    const log = world.sshd.logSince(mark);
    expect(log).toMatch(/kex: algorithm: /);
    expect(log).not.toContain(`kex: algorithm: ${planted}`);
    expect(outcome).toMatchObject({ code: 0 });
  });

  // ssh2's SFTP read stream takes its open flags from its options by name: a planted `flags`
  // would open the file for writing, which truncates it.
  it('a name planted on Object.prototype does not change how an SFTP read opens the file', async () => {
    const s = world.ssh.as(agent);
    const sftp = s.sftp();
    const before = await sftp.readFile('~/allowed/plain.txt');
    expect(before).toBe('hello from the server\n');
    expect(Object.prototype).not.toHaveProperty('flags');
    let read: unknown;
    const undoFlags = plantOnPrototypes([Object.prototype], ['flags'], () => 'w');
    try {
      read = await sftp.readFile('~/allowed/plain.txt').catch((e: unknown) => e);
    } finally {
      undoFlags();
    }
    expect(read).toBe(before);
    expect(await sftp.readFile('~/allowed/plain.txt')).toBe(before);
    // Nor what a chmod or a mkdir sets: planted owner ids would make them a chown.
    const { stat } = await import('node:fs/promises');
    const file = path.join(world.allowed, 'plain.txt');
    const owner = await stat(file);
    const planted = { uid: owner.uid + 1, gid: owner.gid + 1 };
    const dir = path.join(world.allowed, 'made-while-planted');
    for (const name of Object.keys(planted)) expect(Object.prototype).not.toHaveProperty(name);
    const undoIds = plantOnPrototypes([Object.prototype], Object.keys(planted), (name) =>
      name === 'uid' ? planted.uid : planted.gid,
    );
    try {
      await sftp.chmod('~/allowed/plain.txt', 0o640);
      await sftp.mkdir('~/allowed/made-while-planted');
    } finally {
      undoIds();
    }
    const after = await stat(file);
    expect([after.uid, after.gid, after.mode & 0o777]).toEqual([owner.uid, owner.gid, 0o640]);
    const made = await stat(dir);
    expect([made.uid, made.gid]).toEqual([owner.uid, owner.gid]);
    await sftp.rmdir('~/allowed/made-while-planted');
    await s.end();
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
