// @kubernetes/client-node 2.x (installed beside 1.x as the npm alias `client-node-2`; on Node
// 20 it needs the root `pnpm.overrides` entry `undici: ^7`) through the gate: the same calls
// work, and its own bypasses (per-call `{ middleware: [] }`, a swapped dispatcher) reach
// nothing that holds a credential.
import { Writable } from 'node:stream';
import { Agent } from 'undici';
import { ApiException, CoreV1Api, Exec, KubeConfig, Log, Observable, makeInformer, type ObservableMiddleware, type RequestContext, type V1Pod } from 'client-node-2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agent, eventually, startWorld, upstreamCalls, type World } from './fixtures.js';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await world.close();
});

/** A session KubeConfig of the 2.x class: the gate makes session KubeConfigs of the host's class. */
async function sessionConfig(): Promise<KubeConfig> {
  const { createKubeGate } = await import('../src/index.js');
  const host = new KubeConfig();
  host.loadFromOptions({
    clusters: [{ name: 'stand-in', server: world.api.url, skipTLSVerify: true }],
    users: [{ name: 'host', token: world.api.token }],
    contexts: [{ name: 'host', cluster: 'stand-in', user: 'host' }],
    currentContext: 'host',
  });
  const gate = await createKubeGate({ kubeConfig: host, portcullis: world.portcullis, target: 'prod-cluster' });
  closers.push(() => gate.close());
  const kc = gate.as(agent).kubeConfig();
  expect(kc).toBeInstanceOf(KubeConfig);
  return kc;
}
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function text(): { stream: Writable; read: () => string } {
  let out = '';
  return {
    stream: new Writable({
      write(c: Buffer, _e, done) {
        out += c.toString();
        done();
      },
    }),
    read: () => out,
  };
}

describe('client-node 2.x through the gate', () => {
  it('reads a pod and a masked Secret', async () => {
    const core = (await sessionConfig()).makeApiClient(CoreV1Api);
    expect((await core.readNamespacedPod({ namespace: 'prod', name: 'web-1' })).metadata?.name).toBe('web-1');
    const secret = await core.readNamespacedSecret({ namespace: 'prod', name: 'db-creds' });
    expect(secret.data).toEqual({ password: '[REDACTED:kubernetes-secret]' });
  });

  it('a denial is an ApiException with the Status 403', async () => {
    const core = (await sessionConfig()).makeApiClient(CoreV1Api);
    const err = (await core.deleteNamespacedConfigMap({ namespace: 'prod', name: 'app' }).catch((e: unknown) => e)) as ApiException<string>;
    expect(err).toBeInstanceOf(ApiException);
    expect(err.code).toBe(403);
    expect(JSON.parse(err.body)).toMatchObject({ kind: 'Status', reason: 'Forbidden' });
  });

  it('per-call { middleware: [] } and a swapped dispatcher still reach only the gate or nothing useful', async () => {
    const kc = await sessionConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const pod = await core.readNamespacedPod({ namespace: 'prod', name: 'web-1' }, { middleware: [], middlewareMergeStrategy: 'replace' } as never);
    expect(pod.metadata?.name).toBe('web-1');
    const swap: ObservableMiddleware = {
      pre: (ctx: RequestContext) => {
        ctx.setUrl(ctx.getUrl().replace(/^https?:\/\/127\.0\.0\.1:\d+/, world.api.url));
        ctx.setDispatcher(new Agent());
        return new Observable(Promise.resolve(ctx));
      },
      post: (ctx) => new Observable(Promise.resolve(ctx)),
    };
    const before = world.api.received.length;
    const err = (await core.readNamespacedSecret({ namespace: 'prod', name: 'db-creds' }, { middleware: [swap] } as never).catch((e: unknown) => e)) as ApiException<string>;
    expect(err.code).toBe(401);
    for (const r of world.api.received.slice(before)) expect(r.headers.authorization).not.toBe(`Bearer ${world.api.token}`);
  });

  it('Exec and Log work, masked', async () => {
    const kc = await sessionConfig();
    const out = text();
    const ws = await new Exec(kc).exec('prod', 'web-1', 'app', ['cat', '/var/log/app.log'], out.stream, null, null, false);
    await new Promise((resolve) => ws.on('close', resolve));
    expect(out.read()).toBe('started with [REDACTED:github-token]\n');
    world.api.appendLog('prod', 'web-1', `k ${world.secrets.token}\n`);
    const log = text();
    await new Log(kc).log('prod', 'web-1', 'app', log.stream, {});
    await eventually(() => log.read().includes('\n'));
    expect(log.read()).toBe('k [REDACTED:github-token]\n');
  });

  it('an informer lists and watches through the gate; each of its requests is decided', async () => {
    const kc = await sessionConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1Pod>(kc, '/api/v1/namespaces/prod/pods', () => core.listNamespacedPod({ namespace: 'prod' }));
    const seen: string[] = [];
    informer.on('add', (pod) => seen.push(pod.metadata?.name ?? ''));
    await informer.start();
    world.api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-2', namespace: 'prod' } });
    await eventually(() => seen.includes('web-2'));
    await informer.stop();
    expect(seen).toContain('web-1');
    const listsAndWatches = upstreamCalls(world.api).filter((c) => c.url.startsWith('/api/v1/namespaces/prod/pods'));
    const decided = world.sink.events.filter((e) => e.type === 'decision');
    expect(decided.length).toBeGreaterThanOrEqual(listsAndWatches.length);
  });
});
