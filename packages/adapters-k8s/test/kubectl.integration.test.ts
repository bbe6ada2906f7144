// The real kubectl, pointed at the gate through writeKubeconfig, against the API server
// stand-in: every command goes through the gate, denials print as `Error from server
// (Forbidden)`, and what kubectl prints is masked.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agent, eventually, manager, startWorld, upstreamCalls, type World } from './fixtures.js';

const KUBECTL = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
const SKIP = KUBECTL ? '' : ' — skipped: kubectl is not installed (apt-get install -y kubectl)';

let world: World;
let dir: string;
let kubeconfig: string;
beforeEach(async () => {
  if (!KUBECTL) return;
  world = await startWorld();
  dir = await mkdtemp(join(tmpdir(), 'portcullis-kubectl-'));
  kubeconfig = join(dir, 'config');
  await world.gate.as(agent).writeKubeconfig(kubeconfig);
});
afterEach(async () => {
  if (KUBECTL) await world.close();
});

/** Runs kubectl with only the session's kubeconfig (no KUBECONFIG or home config of the machine). */
function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'kubectl',
      ['--kubeconfig', kubeconfig, ...args],
      { timeout: 30_000, env: { PATH: process.env['PATH'] ?? '', HOME: dir } },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? 1), stdout, stderr });
      },
    );
  });
}

/** Connects to a forwarded local port, sends `text`, and resolves with the answer's first line. */
function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (c: Buffer) => {
      answer += c.toString();
      if (answer.includes('\n')) socket.end();
    });
    socket.on('end', () => {
      resolve(answer);
    });
    socket.on('error', reject);
    socket.write(text);
  });
}

function summaryOf(data: unknown): string {
  const summary = (data as { summary?: unknown } | undefined)?.summary;
  return typeof summary === 'string' ? summary : '';
}

describe.skipIf(!KUBECTL)(`kubectl through the gate${SKIP}`, () => {
  it('get, get -o yaml of a Secret (masked), and a denied delete printed as Forbidden', async () => {
    const pods = await kubectl('get', 'pods', '-n', 'prod');
    expect(pods.stdout).toMatch(/web-1/);
    const secret = await kubectl('get', 'secret', 'db-creds', '-n', 'prod', '-o', 'yaml');
    expect(secret.stdout).toContain("password: '[REDACTED:kubernetes-secret]'");
    expect(secret.stdout).not.toContain(Buffer.from(world.secrets.token).toString('base64'));
    const del = await kubectl('delete', 'configmap', 'app', '-n', 'prod');
    expect(del.code).not.toBe(0);
    expect(del.stderr).toMatch(/Error from server \(Forbidden\): .*Configuration is never deleted by hand/);
    expect(world.api.object('configmaps', 'prod', 'app')).toBeDefined();
  });

  it('apply is held for review with the approval id; once approved the same apply runs', async () => {
    const file = join(dir, 'cm.yaml');
    await writeFile(
      file,
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\n  namespace: prod\ndata:\n  beta: "on"\n',
    );
    const held = await kubectl('apply', '--validate=false', '-f', file);
    expect(held.code).not.toBe(0);
    const id = /approval id (\S+?)[;,.\s]/.exec(held.stderr)?.[1];
    expect(held.stderr, held.stderr).toMatch(/Forbidden/);
    expect(id).toBeDefined();
    await world.portcullis.approvals.approve(id as string, manager);
    const applied = await kubectl('apply', '--validate=false', '-f', file);
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toMatch(/configmap\/flags created/);
    expect(world.api.object('configmaps', 'prod', 'flags')).toBeDefined();
  });

  it('patch and delete of what the policy allows', async () => {
    const patched = await kubectl(
      'patch',
      'service',
      'web',
      '-n',
      'prod',
      '--type=merge',
      '-p',
      '{"metadata":{"labels":{"tier":"front"}}}',
    );
    expect(patched.stdout, patched.stderr).toMatch(/patched/);
    expect(
      (world.api.object('services', 'prod', 'web')?.['metadata'] as { labels?: unknown }).labels,
    ).toEqual({ tier: 'front' });
    const deleted = await kubectl('delete', 'service', 'web', '-n', 'prod');
    expect(deleted.stdout, deleted.stderr).toMatch(/deleted/);
  });

  it('logs -f streams, masked', async () => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, 'logs', '-f', '-n', 'prod', 'web-1'], {
      env: { PATH: process.env['PATH'] ?? '', HOME: dir },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await eventually(() => upstreamCalls(world.api).some((c) => c.url.includes('follow=true')), 15_000);
    world.api.appendLog('prod', 'web-1', `token ${world.secrets.token}\nready\n`);
    await eventually(() => out.includes('ready'), 15_000);
    child.kill();
    expect(out).toContain('token [REDACTED:github-token]');
    expect(out).not.toContain(world.secrets.token);
  });

  it('exec runs over WebSocket with stdout masked; an interactive exec needs review', async () => {
    const ran = await kubectl('exec', '-n', 'prod', 'web-1', '--', 'cat', '/var/log/app.log');
    expect(ran.stdout).toBe('started with [REDACTED:github-token]\n');
    const shell = await kubectl('exec', '-i', '-n', 'prod', 'web-1', '--', 'cat');
    expect(shell.stderr).toMatch(/Forbidden|403/);
    expect(upstreamCalls(world.api).filter((c) => c.url.includes('stdin=true'))).toEqual([]);
  });

  it('cp from and to a pod goes through exec (tar) and is gated', async () => {
    world.api.files('prod', 'web-1').set('etc/motd', Buffer.from('hello from the pod\n'));
    const local = join(dir, 'motd');
    const from = await kubectl('cp', 'prod/web-1:/etc/motd', local);
    expect(from.stderr, from.stderr).not.toMatch(/error/i);
    expect(await readFile(local, 'utf8'), from.stderr).toBe('hello from the pod\n');
    const up = join(dir, 'note.txt');
    await writeFile(up, 'a note\n');
    const to = await kubectl('cp', up, 'prod/web-1:/tmp/note.txt');
    // Sending files in needs stdin: an interactive exec, which this policy reviews.
    expect(to.stderr).toMatch(/Forbidden|403/);
    expect(world.api.files('prod', 'web-1').has('tmp/note.txt')).toBe(false);
    expect(
      upstreamCalls(world.api)
        .filter((c) => c.url.includes('/exec'))
        .every((c) => c.url.includes('command=tar')),
    ).toBe(true);
  });

  it('impersonation from --as, --as-group and the kubeconfig is classified', async () => {
    const viewer = await kubectl('--as', 'viewer', 'get', 'pods', '-n', 'prod');
    expect(viewer.stdout, viewer.stderr).toMatch(/web-1/);
    expect(world.api.received.at(-1)?.headers['impersonate-user']).toBe('viewer');
    const admin = await kubectl('--as', 'system:admin', 'get', 'pods', '-n', 'prod');
    expect(admin.stderr).toMatch(/Forbidden/);
    const group = await kubectl(
      '--as',
      'viewer',
      '--as-group',
      'system:masters',
      'get',
      'pods',
      '-n',
      'prod',
    );
    expect(group.stderr).toMatch(/Forbidden/);
    const text = await readFile(kubeconfig, 'utf8');
    const config = JSON.parse(text) as { users: { user: Record<string, unknown> }[] };
    (config.users[0] as { user: Record<string, unknown> }).user['as'] = 'system:admin';
    await writeFile(kubeconfig, JSON.stringify(config));
    const fromFile = await kubectl('get', 'pods', '-n', 'prod');
    expect(fromFile.stderr).toMatch(/Forbidden/);
    expect(upstreamCalls(world.api).filter((c) => c.url.includes('/pods'))).toHaveLength(1);
  });

  it('attach, run -it, debug and debug node each need their own allow', async () => {
    const attach = await kubectl('attach', '-n', 'prod', 'web-1');
    expect(attach.stderr).toMatch(/Forbidden|403/);
    const run = await kubectl(
      'run',
      '-it',
      '--rm',
      '-n',
      'prod',
      'tmp',
      '--image=busybox',
      '--restart=Never',
      '--',
      'sh',
    );
    expect(run.stderr).toMatch(/Forbidden/);
    const debug = await kubectl('debug', '-n', 'prod', 'web-1', '-it', '--image=busybox');
    expect(debug.stderr).toMatch(/Forbidden/);
    const node = await kubectl('debug', 'node/n1', '-it', '--image=busybox');
    expect(node.stderr).toMatch(/Forbidden/);
    const calls = upstreamCalls(world.api).map((c) => c.url);
    expect(calls.filter((u) => /attach|ephemeralcontainers/.test(u))).toEqual([]);
    expect(world.api.object('pods', 'prod', 'tmp')).toBeUndefined();
  });

  it('get --raw of …/exec is exec with its command', async () => {
    const raw = await kubectl(
      'get',
      '--raw',
      '/api/v1/namespaces/prod/pods/web-1/exec?command=sh&command=-c&command=id',
    );
    expect(raw.stderr).toMatch(/Forbidden/);
    expect(upstreamCalls(world.api).filter((c) => c.url.includes('/exec'))).toEqual([]);
  });

  it('port-forward is gated: a principal without the allow gets Forbidden', async () => {
    // A file of its own: writeKubeconfig never overwrites an existing path.
    kubeconfig = join(dir, 'log-reader.kubeconfig');
    await world.gate
      .as({ subject: 'dave', groups: ['log-readers'], kind: 'agent', actor: 'copilot' })
      .writeKubeconfig(kubeconfig);
    const forwarded = await kubectl(
      'port-forward',
      '-n',
      'prod',
      'pod/web-1',
      '18080:80',
      '--pod-running-timeout=2s',
    );
    expect(forwarded.code).not.toBe(0);
    expect(forwarded.stderr).toMatch(/Forbidden|403/);
    expect(upstreamCalls(world.api).filter((c) => c.url.includes('portforward'))).toEqual([]);
  });

  it('port-forward relays local TCP connections to the pod port, recorded as a tunnel', async () => {
    // kubectl 1.31+ tunnels SPDY/3.1 in a WebSocket (subprotocol SPDY/3.1+portforward.k8s.io);
    // the gate relays it to the stand-in, which answers as an API server and kubelet would.
    const child = spawn(
      'kubectl',
      ['--kubeconfig', kubeconfig, 'port-forward', '-n', 'prod', 'pod/web-1', ':80'],
      {
        env: { PATH: process.env['PATH'] ?? '', HOME: dir },
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    try {
      await eventually(() => /Forwarding from 127\.0\.0\.1:\d+ -> 80/.test(out), 15_000).catch(() => {
        throw new Error(`kubectl did not forward:\n${out}\n${err}`);
      });
      const port = Number(/127\.0\.0\.1:(\d+) -> 80/.exec(out)?.[1]);
      // Two connections in turn: each is its own pair of streams in the one tunnel.
      expect(await roundTrip(port, 'hello pod\n'), err).toBe('HELLO POD\n');
      expect(await roundTrip(port, 'second\n'), err).toBe('SECOND\n');
    } finally {
      child.kill();
    }
    expect(world.api.forwarded.get('prod/web-1')?.map((b) => b.toString())).toEqual([
      'hello pod\n',
      'second\n',
    ]);
    // One upgrade reached the stand-in, as WebSocket with the tunnel's subprotocol, after the
    // decision; the gate never answered with SPDY, so kubectl had no fallback to take.
    const upgrades = world.api.received.filter((r) => r.url.includes('/portforward'));
    expect(upgrades.map((r) => [r.headers.upgrade, r.headers['sec-websocket-protocol']])).toEqual([
      ['websocket', 'SPDY/3.1+portforward.k8s.io'],
    ]);
    await eventually(
      () => world.sink.events.some((e) => e.type === 'result' && /^tunnel /.test(summaryOf(e.data))),
      10_000,
    );
    const result = world.sink.events.find((e) => e.type === 'result' && /^tunnel /.test(summaryOf(e.data)));
    const tunnel = (result?.data as { body?: Record<string, unknown> }).body;
    expect(tunnel?.['bytesToPod']).toBeGreaterThan('hello pod\nsecond\n'.length);
    expect(tunnel?.['bytesFromPod']).toBeGreaterThan('HELLO POD\nSECOND\n'.length);
    expect(typeof tunnel?.['durationMs']).toBe('number');
  });

  it('port-forward to a port nothing listens on prints the pod side’s error, relayed as it is', async () => {
    world.api.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'db-1', namespace: 'prod' },
      spec: { containers: [{ name: 'db', image: 'postgres', ports: [{ containerPort: 5432 }] }] },
    });
    const child = spawn(
      'kubectl',
      ['--kubeconfig', kubeconfig, 'port-forward', '-n', 'prod', 'pod/db-1', ':6379'],
      {
        env: { PATH: process.env['PATH'] ?? '', HOME: dir },
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    try {
      await eventually(() => /Forwarding from 127\.0\.0\.1:\d+ -> 6379/.test(out), 15_000).catch(() => {
        throw new Error(`kubectl did not forward:\n${out}\n${err}`);
      });
      const port = Number(/127\.0\.0\.1:(\d+) -> 6379/.exec(out)?.[1]);
      expect(await roundTrip(port, 'PING\n')).toBe('');
      await eventually(() => err.includes('connection refused'), 10_000).catch(() => {
        throw new Error(`no error printed:\n${out}\n${err}`);
      });
    } finally {
      child.kill();
    }
    expect(err).toMatch(
      /error forwarding port 6379 to pod: failed to connect to localhost:6379 inside the pod/,
    );
    expect(world.api.forwarded.get('prod/db-1')).toBeUndefined();
  });

  it('kubectl proxy still goes through the gate', async () => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, 'proxy', '--port=0'], {
      env: { PATH: process.env['PATH'] ?? '', HOME: dir },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await eventually(() => /Starting to serve on 127\.0\.0\.1:\d+/.test(out), 15_000);
    const port = /127\.0\.0\.1:(\d+)/.exec(out)?.[1];
    const secret = await fetch(`http://127.0.0.1:${port}/api/v1/namespaces/prod/secrets/db-creds`);
    expect(await secret.text()).toContain('[REDACTED:kubernetes-secret]');
    const del = await fetch(`http://127.0.0.1:${port}/api/v1/namespaces/prod/configmaps/app`, {
      method: 'DELETE',
    });
    expect(del.status).toBe(403);
    child.kill();
    expect(world.api.object('configmaps', 'prod', 'app')).toBeDefined();
  });
});
