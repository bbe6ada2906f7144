// exec and execStream against a real OpenSSH server.
import {
  DeniedError,
  HostKeyError,
  ResultTooLargeError,
  ReviewRequiredError,
  toAsciicast,
} from '@portcullis/core';
import { existsSync } from 'node:fs';
import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGatedSsh } from '../src/index.js';
import {
  agent,
  bob,
  connectTo,
  needs,
  secrets,
  SSHD_MISSING,
  startWorld,
  type SshWorld,
} from './fixtures.js';

/** Command lines whose output carries the secrets, cut so no single chunk holds a whole one. */
const aws = secrets.awsKey;
const split = `printf '%s' '${aws.slice(0, 9)}'; sleep 0.2; printf '%s\\n' '${aws.slice(9)}'; printf '%s' '${secrets.github.slice(0, 12)}' >&2; sleep 0.2; printf '%s\\n' '${secrets.github.slice(12)}' >&2`;

describe.skipIf(SSHD_MISSING !== undefined)(`exec on a real sshd${needs}`, () => {
  let world: SshWorld;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  it('returns stdout, stderr, the exit code and no signal', async () => {
    const s = world.ssh.as(agent);
    const r = await s.exec('echo out; echo err >&2; exit 3');
    expect(r).toEqual({ stdout: 'out\n', stderr: 'err\n', code: 3, signal: null });
    await s.end();
  });

  it('returns the signal that ended the command', async () => {
    const s = world.ssh.as(agent);
    const r = await s.exec('kill -TERM $$');
    expect(r.code).toBeNull();
    expect(r.signal).toBe('SIGTERM');
    await s.end();
  });

  it('masks stdout and stderr as streams: a secret split across chunks never leaks', async () => {
    const s = world.ssh.as(agent);
    const r = await s.exec(split);
    expect(r.stdout + r.stderr).not.toContain(aws.slice(4));
    expect(r.stdout + r.stderr).not.toContain(secrets.github.slice(4));
    expect(r.stdout).toContain('[REDACTED');
    expect(r.stderr).toContain('[REDACTED');
    await s.end();
    for (const session of world.recordings()) {
      expect(JSON.stringify(session.events)).not.toContain(aws.slice(4));
    }
  });

  it('execStream yields masked chunks as they arrive, then the exit', async () => {
    const s = world.ssh.as(agent);
    const stream = s.execStream(split);
    const chunks: { stream: string; data: string }[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(await stream.exit).toEqual({ code: 0, signal: null });
    const all = chunks.map((c) => c.data).join('');
    expect(all).not.toContain(aws.slice(4));
    expect(chunks.some((c) => c.stream === 'stderr')).toBe(true);
    await s.end();
  });

  it('execStream: a reader that stops early closes the command', async () => {
    const s = world.ssh.as(agent);
    const stream = s.execStream('yes');
    let n = 0;
    for await (const _ of stream) if (++n === 3) break;
    await expect(stream.exit).rejects.toThrow();
    const r = await s.exec('echo next');
    expect(r.stdout).toBe('next\n');
    await s.end();
  });

  it('closes stdin unless given, and sends given stdin', async () => {
    const s = world.ssh.as(agent);
    expect(await s.exec('cat')).toMatchObject({ stdout: '', code: 0 });
    expect(await s.exec('cat', { stdin: `key ${aws}\nplain\n` })).toMatchObject({ code: 0 });
    const r = await s.exec('wc -c', { stdin: new Uint8Array([1, 2, 3]) });
    expect(r.stdout.trim()).toBe('3');
    await s.end();
  });

  it('runs without a terminal', async () => {
    const s = world.ssh.as(agent);
    const r = await s.exec('tty');
    expect(r.stdout.trim()).toBe('not a tty');
    expect(r.code).toBe(1);
    await s.end();
  });

  it('asks for the environment, classified as an env prefix', async () => {
    const s = world.ssh.as(agent);
    expect((await s.exec('echo "$PORTCULLIS_X"', { env: { PORTCULLIS_X: 'v 1' } })).stdout).toBe('v 1\n');
    const mark = world.sshd.mark();
    await expect(s.exec('ls', { env: { LD_PRELOAD: '/tmp/evil.so' } })).rejects.toBeInstanceOf(DeniedError);
    await expect(s.exec('ls', { env: { PORTCULLIS_Y: 'x', BASH_ENV: '/tmp/evil' } })).rejects.toBeInstanceOf(
      DeniedError,
    );
    expect(world.sshd.logSince(mark)).not.toMatch(/req exec|req env/);
    await s.end();
  });

  it('refuses a denied command before anything reaches the server', async () => {
    const s = world.ssh.as(agent);
    await s.exec('true');
    const mark = world.sshd.mark();
    const err = await s.exec('rm -rf /tmp/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeniedError);
    expect((err as DeniedError).code).toBe('ERR_DENIED');
    expect((err as DeniedError).decision.reasons.join()).toContain('Deleting files');
    await new Promise((r) => setTimeout(r, 200));
    expect(world.sshd.logSince(mark)).not.toMatch(/req exec|new session|ctype session/);
    await s.end();
  });

  it('refuses what is not a plain command string with a TypeError', async () => {
    const s = world.ssh.as(agent);
    expect(() => s.exec(Buffer.from('ls') as unknown as string)).toThrow(TypeError);
    expect(() => s.exec('ls\0rm -rf /')).toThrow(TypeError);
    expect(() => s.exec('ls \uD800')).toThrow(TypeError);
    expect(() => s.exec('ls', { pty: true } as never)).toThrow(TypeError);
    await s.end();
  });

  it('a review binds the command, its environment and a hash of its stdin', async () => {
    const s = world.ssh.as(agent);
    const first = await s.exec('touch /tmp/portcullis-reviewed').catch((e: unknown) => e);
    expect(first).toBeInstanceOf(ReviewRequiredError);
    const id = (first as ReviewRequiredError).approvalId;
    await world.portcullis.approvals.approve(id, bob);
    // The same command with an environment or stdin is another request.
    await expect(s.exec('touch /tmp/portcullis-reviewed', { env: { LANG: 'C' } })).rejects.toBeInstanceOf(
      ReviewRequiredError,
    );
    await expect(s.exec('touch /tmp/portcullis-reviewed', { stdin: 'x' })).rejects.toBeInstanceOf(
      ReviewRequiredError,
    );
    expect((await s.exec('touch /tmp/portcullis-reviewed')).code).toBe(0);
    // A once grant is spent.
    await expect(s.exec('touch /tmp/portcullis-reviewed')).rejects.toBeInstanceOf(ReviewRequiredError);
    await s.end();
  });

  it('keeps request order while one waits for approval', async () => {
    const s = world.ssh.as(agent, { review: { mode: 'wait', timeoutMs: 10_000 } });
    const order: string[] = [];
    const waiting = s.exec('touch /tmp/portcullis-ordered').then(() => order.push('touch'));
    const next = s.exec('echo after').then(() => order.push('echo'));
    let pending: string | undefined;
    for (let i = 0; i < 100 && pending === undefined; i++) {
      await new Promise((r) => setTimeout(r, 20));
      pending = (await world.portcullis.approvals.list({ status: 'pending' })).find((a) =>
        JSON.stringify(a.request).includes('portcullis-ordered'),
      )?.id;
    }
    expect(order).toEqual([]);
    await world.portcullis.approvals.approve(pending as string, bob);
    await Promise.all([waiting, next]);
    expect(order).toEqual(['touch', 'echo']);
    await s.end();
  });

  it('delivers long output whole and in order, also when the end arrives while a chunk is still masked', async () => {
    const s = world.ssh.as(agent);
    const expected = Array.from({ length: 200_000 }, (_, i) => String(i + 1)).join('\n') + '\n';
    for (let i = 0; i < 3; i++) expect((await s.exec('seq 1 200000')).stdout).toBe(expected);
    let streamed = '';
    for await (const chunk of s.execStream('seq 1 200000')) streamed += chunk.data;
    expect(streamed).toBe(expected);
    await s.end();
  });

  it('masks bulk output (over a megabyte, many steps) with no secret left, line for line', async () => {
    const s = world.ssh.as(agent);
    const lines = 40_000;
    const r = await s.exec(`for i in $(seq 1 ${lines}); do echo "line $i key ${aws} end"; done`);
    expect(r.stdout.length).toBeGreaterThan(1_000_000);
    expect(r.stdout).not.toContain(aws.slice(4));
    const out = r.stdout.split('\n');
    expect(out).toHaveLength(lines + 1);
    expect(out[0]).toMatch(/^line 1 key \[REDACTED:aws-access-key-id\] end$/);
    expect(out[lines - 1]).toMatch(new RegExp(`^line ${lines} key \\[REDACTED:aws-access-key-id\\] end$`));
    expect(out.filter((l) => l.includes('[REDACTED:aws-access-key-id]'))).toHaveLength(lines);
    await s.end();
    // The command line itself carries the key (request text is recorded as written); the
    // recorded output must not.
    const outputs = world
      .recordings()
      .flatMap((session) => session.events.filter((e) => e.type === 'output'));
    expect(outputs.length).toBeGreaterThan(0);
    expect(JSON.stringify(outputs)).not.toContain(aws.slice(4));
  });

  it('stops a command at its timeout (signal KILL, channel closed)', async () => {
    const s = world.ssh.as(agent);
    const err = await s.exec('sleep 5', { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ETIMEDOUT' });
    expect((await s.exec('echo next')).stdout).toBe('next\n');
    await s.end();
  });

  // A command stopped before it exits must not go on acting on the server, where nothing it
  // does is recorded any more: closing the channel alone leaves a command without a terminal
  // running (sshd only detaches it). Each case runs a step after a pause, writing a marker.
  describe('a stopped command does not act afterwards', () => {
    let n = 0;
    const marker = (): string => `${world.allowed}/after-stop-${++n}`;
    const gone = async (file: string): Promise<boolean> => {
      // (The step would have run a second after the stop.)
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return !existsSync(file);
    };

    it('at its timeout', async () => {
      const s = world.ssh.as(agent);
      const file = marker();
      const mark = world.sshd.mark();
      const err = await s.exec(`sleep 1; echo late > ${file}`, { timeoutMs: 300 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ETIMEDOUT' });
      expect(await gone(file)).toBe(true);
      // sshd's own log: the kill reached it.
      expect(world.sshd.logSince(mark)).toMatch(/request signal|signal KILL/);
      await s.end();
    });

    it('when its reader stops early', async () => {
      const s = world.ssh.as(agent);
      const file = marker();
      const stream = s.execStream(`yes | head -n 2000000; sleep 1; echo late > ${file}`);
      let chunks = 0;
      for await (const _ of stream) if (++chunks === 3) break;
      await expect(stream.exit).rejects.toThrow();
      expect(await gone(file)).toBe(true);
      await s.end();
    });
  });

  it('stops a command whose output passes the byte cap', async () => {
    const capped = createGatedSsh({
      connect: connectTo(world.sshd),
      portcullis: world.portcullis,
      target: 'bastion',
      caps: { maxBytes: 10_000 },
    });
    const s = capped.as(agent);
    const err = await s.exec('yes | head -c 1000000').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResultTooLargeError);
    expect((err as ResultTooLargeError).cap).toBe('maxBytes');
    await capped.end();
  });

  it('withToken needs the policy identity; as() needs a principal', async () => {
    await expect(world.ssh.withToken('x.y.z')).rejects.toThrow(TypeError);
    expect(() => world.ssh.as({ subject: '' } as never)).toThrow(TypeError);
  });

  it('records output events with stream and elapsed time, exportable to asciicast v2', async () => {
    const s = world.ssh.as(agent);
    await s.exec('echo one; sleep 0.1; echo two >&2');
    await s.end();
    const recorded = world.recordings().at(-1);
    expect(recorded).toBeDefined();
    const outputs = recorded!.events
      .filter((e) => e.type === 'output')
      .map((e) => e.data as Record<string, unknown>);
    expect(outputs.map((o) => [o['stream'], o['data']])).toEqual([
      ['stdout', 'one\n'],
      ['stderr', 'two\n'],
    ]);
    expect(typeof outputs[0]!['elapsed']).toBe('number');
    expect(outputs[1]!['elapsed'] as number).toBeGreaterThan(outputs[0]!['elapsed'] as number);
    const cast = toAsciicast(recorded!).trim().split('\n');
    expect(JSON.parse(cast[0]!)).toMatchObject({ version: 2 });
    expect(JSON.parse(cast[1]!)).toEqual([expect.any(Number), 'o', 'one\r\n']);
    const result = recorded!.events.find((e) => e.type === 'result')?.data as Record<string, unknown>;
    expect(result).toMatchObject({ exitCode: 0, summary: 'exit 0' });
  });
});

describe.skipIf(SSHD_MISSING !== undefined)(`host key pinning on a real sshd${needs}`, () => {
  let world: SshWorld;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  it('no pin is a TypeError: no pin, no connection', () => {
    const connect = { host: world.sshd.host, port: world.sshd.port, username: world.sshd.username };
    expect(() =>
      createGatedSsh({ connect: connect as never, portcullis: world.portcullis, target: 'bastion' }),
    ).toThrow(TypeError);
    expect(() =>
      createGatedSsh({
        connect: { ...connect, hostKey: world.sshd.hostKey, hostVerifier: () => true } as never,
        portcullis: world.portcullis,
        target: 'bastion',
      }),
    ).toThrow(TypeError);
    expect(() =>
      createGatedSsh({
        connect: { ...connect, hostKey: world.sshd.hostKey, agentForward: true } as never,
        portcullis: world.portcullis,
        target: 'bastion',
      }),
    ).toThrow(TypeError);
  });

  it('a server with another key is refused before authentication', async () => {
    const ssh = createGatedSsh({
      connect: connectTo(world.sshd, world.sshd.otherHostKey),
      portcullis: world.portcullis,
      target: 'bastion',
    });
    const mark = world.sshd.mark();
    const err = await ssh
      .as(agent)
      .exec('true')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as HostKeyError).code).toBe('ERR_HOST_KEY');
    await new Promise((r) => setTimeout(r, 300));
    const log = world.sshd.logSince(mark);
    expect(log).toMatch(/kex|KEX/);
    expect(log).not.toMatch(/userauth-request|Accepted publickey|input_userauth_request/);
    await ssh.end();
  });

  // Bulk output needs the client's flow-window adjustments to leave at once: with Nagle's
  // algorithm they could wait on the server's delayed ACK while the server waited for them.
  it('turns Nagle off on the connection to the server', async () => {
    const set = vi.spyOn(Socket.prototype, 'setNoDelay');
    const ssh = createGatedSsh({
      connect: connectTo(world.sshd),
      portcullis: world.portcullis,
      target: 'bastion',
    });
    try {
      await ssh.as(agent).exec('true');
      const calls = set.mock.contexts.map((socket, i): [number | undefined, unknown] => [
        (socket as Socket).remotePort,
        set.mock.calls[i]?.[0],
      ]);
      expect(calls).toContainEqual([world.sshd.port, true]);
    } finally {
      set.mockRestore();
      await ssh.end();
    }
  });
});
