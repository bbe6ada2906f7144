// @kubernetes/client-node 1.x against the gate in front of the API server stand-in: generated
// API clients, Watch, Log, Exec, Attach and PortForward all go through the gate, and what they
// receive is masked.
import { PassThrough, Writable } from 'node:stream';
import { inspect } from 'node:util';
import { ApiException, Attach, CoreV1Api, Exec, Log, PortForward, Watch, type V1Status } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agent, eventually, manager, startWorld, upstreamCalls, type World } from './fixtures.js';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await world.close();
});

function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('generated API clients through the gate', () => {
  it('reads a pod; the agent KubeConfig holds only the session token', async () => {
    const session = world.gate.as(agent);
    const kc = session.kubeConfig();
    expect(kc.getCurrentUser()?.token).not.toBe(world.api.token);
    expect(kc.getCurrentCluster()?.server).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const core = kc.makeApiClient(CoreV1Api);
    const pod = await core.readNamespacedPod({ namespace: 'prod', name: 'web-1' });
    expect(pod.metadata?.name).toBe('web-1');
    const pods = await core.listNamespacedPod({ namespace: 'prod' });
    expect(pods.items.map((p) => p.metadata?.name)).toEqual(['web-1']);
  });

  it('masks every value of a Secret and its last-applied annotation, in get, list and watch', async () => {
    const core = world.gate.as(agent).kubeConfig().makeApiClient(CoreV1Api);
    const secret = await core.readNamespacedSecret({ namespace: 'prod', name: 'db-creds' });
    expect(secret.data).toEqual({ password: '[REDACTED:kubernetes-secret]' });
    expect(secret.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBe('[REDACTED:kubernetes-secret]');
    const list = await core.listNamespacedSecret({ namespace: 'prod' });
    expect(JSON.stringify(list)).not.toContain(world.secrets.token);
    expect(JSON.stringify(list)).not.toContain(Buffer.from(world.secrets.token).toString('base64'));
    const cm = await core.readNamespacedConfigMap({ namespace: 'prod', name: 'app' });
    expect(cm.data?.['settings.ini']).not.toContain(world.secrets.token);
    expect(cm.data?.['settings.ini']).not.toContain(world.secrets.email);
    expect(cm.data?.['mode']).toBe('fast');
  });

  it('answers a denial as a Kubernetes Status 403 and sends nothing upstream', async () => {
    const core = world.gate.as(agent).kubeConfig().makeApiClient(CoreV1Api);
    const before = upstreamCalls(world.api).length;
    const err = await core.deleteNamespacedConfigMap({ namespace: 'prod', name: 'app' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<string>).code).toBe(403);
    const status = JSON.parse((err as ApiException<string>).body) as V1Status;
    expect(status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403 });
    expect(status.message).toMatch(/Configuration is never deleted by hand/);
    expect(upstreamCalls(world.api).length).toBe(before);
    expect(world.api.object('configmaps', 'prod', 'app')).toBeDefined();
  });

  it('answers a review with the approval id, and the approved exact request runs once', async () => {
    const core = world.gate.as(agent).kubeConfig().makeApiClient(CoreV1Api);
    const body = { metadata: { name: 'feature-flags', namespace: 'prod' }, data: { beta: 'on' } };
    const err = (await core.createNamespacedConfigMap({ namespace: 'prod', body }).catch((e: unknown) => e)) as ApiException<string>;
    expect(err.code).toBe(403);
    const status = JSON.parse(err.body) as V1Status;
    const id = status.details?.causes?.find((c) => c.field === 'approvalId')?.message;
    expect(id).toMatch(/\S+/);
    expect(status.message).toContain(id);
    expect(world.api.object('configmaps', 'prod', 'feature-flags')).toBeUndefined();
    await world.portcullis.approvals.approve(id as string, manager);
    await core.createNamespacedConfigMap({ namespace: 'prod', body });
    expect(world.api.object('configmaps', 'prod', 'feature-flags')).toBeDefined();
  });
});

describe('streams through the gate', () => {
  it('Log follows a container log and masks a secret split across chunks', async () => {
    const kc = world.gate.as(agent).kubeConfig();
    const out = sink();
    const req = await new Log(kc).log('prod', 'web-1', 'app', out.stream, { follow: true });
    const { token } = world.secrets;
    world.api.appendLog('prod', 'web-1', `line one\nkey=${token.slice(0, 12)}`);
    await new Promise((r) => setTimeout(r, 100));
    world.api.appendLog('prod', 'web-1', `${token.slice(12)} done\n`);
    await eventually(() => out.text().includes('done'));
    req.abort();
    expect(out.text()).toContain('line one');
    expect(out.text()).toContain('[REDACTED:github-token]');
    expect(out.text()).not.toContain(token.slice(4, 20));
  });

  it('Watch sees masked Secret events, and each reconnect is a request of its own', async () => {
    const kc = world.gate.as(agent).kubeConfig();
    const events: { type: string; object: { data?: Record<string, string> } }[] = [];
    const watch = new Watch(kc);
    const done = new Promise<void>((resolve) => {
      void watch.watch('/api/v1/namespaces/prod/secrets', {}, (type, object) => {
        events.push({ type, object: object as { data?: Record<string, string> } });
        if (events.length === 2) resolve();
      }, () => undefined);
    });
    await eventually(() => events.length === 1);
    world.api.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'more', namespace: 'prod' }, data: { k: Buffer.from(world.secrets.token).toString('base64') } });
    await done;
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'ADDED']);
    for (const e of events) expect(Object.values(e.object.data ?? {})).toEqual(['[REDACTED:kubernetes-secret]']);
    const watches = upstreamCalls(world.api).filter((c) => c.url.includes('watch=true'));
    expect(watches.length).toBe(1);
  });

  it('Exec over WebSocket: stdout masked across frames, exit status passed', async () => {
    const kc = world.gate.as(agent).kubeConfig();
    const { token } = world.secrets;
    world.api.program('leak', (io) => {
      io.stdout(`value ${token.slice(0, 10)}`);
      io.stdout(`${token.slice(10)}\n`);
      io.stderr(`to ${world.secrets.email}\n`);
      return 3;
    });
    // The policy allows `exec` on this pod; `leak` is a program of the stand-in.
    const out = sink();
    const err = sink();
    let status: V1Status | undefined;
    const ws = await new Exec(kc).exec('prod', 'web-1', 'app', ['cat', '/var/log/app.log'], out.stream, err.stream, null, false, (s) => {
      status = s;
    });
    await new Promise((resolve) => ws.on('close', resolve));
    expect(out.text()).toBe('started with [REDACTED:github-token]\n');
    expect(status?.status).toBe('Success');
  });

  it('PortForward is a tunnel, recorded with byte counts', async () => {
    const kc = world.gate.as(agent).kubeConfig();
    const input = new PassThrough();
    const out = sink();
    const ws = await new PortForward(kc).portForward('prod', 'web-1', [8080], out.stream, null, input);
    input.write('hello');
    await eventually(() => out.text().includes('HELLO'));
    (ws as { close(): void }).close();
    await eventually(() => world.sink.events.some((e) => e.type === 'result' && JSON.stringify(e.data).includes('tunnel')));
    const result = world.sink.events.find((e) => e.type === 'result' && JSON.stringify(e.data).includes('tunnel'));
    expect(JSON.stringify(result?.data)).toMatch(/bytesToPod/);
  });

  it('Attach needs its own allow: an exec allow does not cover it', async () => {
    const kc = world.gate.as(agent).kubeConfig();
    const err = await new Attach(kc)
      .attach('prod', 'web-1', 'app', sink().stream, null, null, false)
      .then(() => undefined, (e: unknown) => e);
    expect(inspect(err)).toMatch(/403/);
    expect(upstreamCalls(world.api).some((c) => c.url.includes('/attach'))).toBe(false);
  });
});
