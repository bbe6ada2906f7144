// Every way around the gate that client-node, kubectl habits or a hostile agent could try:
// each either goes through the gate (classified, decided, masked) or reaches nothing that
// holds a credential.
import {
  Agent as HttpAgent,
  createServer,
  request as httpRequestPlain,
  type IncomingHttpHeaders,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { inspect } from 'node:util';
import type { ApiException } from '@kubernetes/client-node';
import {
  AppsV1Api,
  Attach,
  CoreV1Api,
  Exec,
  KubeConfig,
  KubernetesObjectApi,
  Log,
  Observable,
  PortForward,
  ServerConfiguration,
  Watch,
  type ObservableMiddleware,
  type RequestContext,
} from '@kubernetes/client-node';
import { findLeaks, plantOnPrototypes } from '@portcullis/conformance';
import { describe, expect, it } from 'vitest';
import { agent, eventually, upstreamCalls, useWorld, type World } from './fixtures.js';

/** May read pod logs and nothing else. */
const logReader = { subject: 'carol', groups: ['log-readers'], kind: 'agent', actor: 'copilot' } as const;
let world!: World;
useWorld((w) => {
  world = w;
});

const discard = (): Writable =>
  new Writable({
    write: (_c, _e, done) => {
      done();
    },
  });

/** Raw bytes to the gate, and the raw answer. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', ca: world.gate.ca }, () => socket.write(text));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    socket.on('close', () => {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    socket.on('error', reject);
    setTimeout(() => socket.destroy(), 2000);
  });
}

function get(
  url: string,
  headers: Record<string, string | string[]>,
  method = 'GET',
): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? httpsRequest : httpRequestPlain;
    const req = send(url, { method, headers, ca: world.gate.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          headers: res.headers,
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A per-call middleware (the observable form the object-parameter APIs run) that changes each request. */
function middleware(change: (ctx: RequestContext) => void): ObservableMiddleware {
  return {
    pre: (ctx) => {
      change(ctx);
      return new Observable(Promise.resolve(ctx));
    },
    post: (ctx) => new Observable(Promise.resolve(ctx)),
  };
}

function tokenOf(kc: KubeConfig): string {
  return kc.getCurrentUser()?.token ?? '';
}

describe('credentials', () => {
  it('wrong, missing, doubled tokens and a flood get 401 and nothing goes upstream', async () => {
    const session = world.gate.as(agent);
    const good = tokenOf(session.kubeConfig());
    const port = Number(new URL(world.gate.url).port);
    const attempts = [
      get(`${world.gate.url}/api/v1/namespaces/prod/pods`, {}),
      get(`${world.gate.url}/api/v1/namespaces/prod/pods`, { authorization: `Bearer ${world.api.token}` }),
      get(`${world.gate.url}/api/v1/namespaces/prod/pods`, { authorization: `Bearer ${good}x` }),
      get(`${world.gate.url}/api/v1/namespaces/prod/pods`, {
        authorization: [`Bearer ${good}`, 'Bearer other'],
      }),
      get(`${world.gate.url}/api/v1/namespaces/prod/pods`, {
        authorization: `Basic ${Buffer.from(`a:${good}`).toString('base64')}`,
      }),
      ...Array.from({ length: 200 }, (_, i) =>
        get(`${world.gate.url}/api/v1/namespaces/prod/secrets`, { authorization: `Bearer guess-${i}` }),
      ),
      // The plain loopback listener of in-process KubeConfigs answers the same way.
      ...Array.from({ length: 100 }, (_, i) =>
        get(`${session.kubeConfig().getCurrentCluster()?.server ?? ''}/api/v1/namespaces/prod/secrets`, {
          authorization: `Bearer guess-${i}`,
        }),
      ),
    ];
    const answers = await Promise.all(attempts);
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    }
    const upgrade = await raw(
      port,
      'GET /api/v1/namespaces/prod/pods/web-1/exec?command=ls HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    expect(upgrade).toMatch(/^HTTP\/1\.1 401/);
    expect(world.api.received).toEqual([]);
  });

  it('an ended session token stops working at once', async () => {
    const session = world.gate.as(agent);
    const core = session.kubeConfig().makeApiClient(CoreV1Api);
    await core.readNamespacedPod({ namespace: 'prod', name: 'web-1' });
    await session.end();
    const err = (await core
      .readNamespacedPod({ namespace: 'prod', name: 'web-1' })
      .catch((e: unknown) => e)) as ApiException<string>;
    expect(err.code).toBe(401);
  });

  it("the agent's whole object graph holds no byte of the real token", async () => {
    const session = world.gate.as(agent);
    const kc = session.kubeConfig();
    const reachable = {
      session,
      kc,
      core: kc.makeApiClient(CoreV1Api),
      apps: kc.makeApiClient(AppsV1Api),
      objects: KubernetesObjectApi.makeApiClient(kc),
      exec: new Exec(kc),
      attach: new Attach(kc),
      log: new Log(kc),
      watch: new Watch(kc),
      portForward: new PortForward(kc),
    };
    await reachable.core.readNamespacedPod({ namespace: 'prod', name: 'web-1' });
    await session.get({ resource: 'pods', namespace: 'prod', name: 'web-1' });
    const real = world.api.token;
    const needles = [real, Buffer.from(real).toString('base64'), Buffer.from(real).toString('hex')];
    expect(
      findLeaks(reachable, { strings: needles, classes: [KubeConfig].filter((c) => c !== kc.constructor) }),
    ).toEqual([]);
    expect(inspect(reachable, { showHidden: true, depth: 12, getters: true })).not.toContain(real);
    // Nor the host's KubeConfig itself.
    expect(findLeaks(reachable, { strings: [], classes: [] })).toEqual([]);
    expect(Object.values(reachable)).not.toContain(world.hostConfig);
  });

  // client-node reads the host KubeConfig's current user and cluster by name (`user.exec`,
  // `user.impersonateUser`, `cluster.caFile`, …). A host user built from an object literal has
  // none of those names of its own, so a name planted on Object.prototype (by a prototype
  // pollution elsewhere in the host) would be read as its own: an exec credential plugin run in
  // the host process, an impersonation header sent with the gate's real credential.
  it('reads no name of the host credential from Object.prototype: runs no planted exec plugin, sends no planted impersonation', async () => {
    const { mkdtemp, readdir } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(`${tmpdir()}/portcullis-k8s-plant-`);
    const marker = `${dir}/ran`;
    const session = world.gate.as(agent);
    // (a first request outside the planting window, so that only the gate's own reads fall in it)
    await session.get({ resource: 'pods', namespace: 'prod', name: 'web-1' });
    const planted = {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: process.execPath,
        args: ['-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran')`],
      },
      impersonateUser: 'system:admin',
    };
    const names = Object.keys(planted) as (keyof typeof planted)[];
    for (const name of names) expect(Object.prototype).not.toHaveProperty(name);
    const before = world.api.received.length;
    let outcome: unknown;
    const undo = plantOnPrototypes(
      [Object.prototype],
      names,
      (name) => planted[name as keyof typeof planted],
    );
    try {
      outcome = await session
        .get({ resource: 'pods', namespace: 'prod', name: 'web-1' })
        .catch((e: unknown) => e);
    } finally {
      undo();
    }
    // A plugin writes its marker before it answers; give a spawned one time to have run.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await readdir(dir)).toEqual([]);
    const sent = world.api.received.slice(before);
    expect(sent.length).toBeGreaterThan(0);
    for (const r of sent) expect(r.headers['impersonate-user']).toBeUndefined();
    // The request itself went through with the host's own credential.
    expect(outcome).toMatchObject({ metadata: { name: 'web-1' } });
    expect(sent.every((r) => r.headers.authorization === `Bearer ${world.api.token}`)).toBe(true);
  });

  it('the kubeconfig file holds only the session token, no exec plugin or token file, mode 0600', async () => {
    const { mkdtemp, readFile, stat } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(`${tmpdir()}/portcullis-k8s-`);
    const session = world.gate.as(agent);
    await session.writeKubeconfig(`${dir}/config`);
    const text = await readFile(`${dir}/config`, 'utf8');
    expect((await stat(`${dir}/config`)).mode & 0o777).toBe(0o600);
    expect(text).not.toContain(world.api.token);
    expect(text).toContain(tokenOf(session.kubeConfig()));
    expect(text).not.toMatch(/exec|tokenFile|token-file|auth-provider|client-key|client-certificate/);
  });

  it('writeKubeconfig refuses an existing file: an agent holding the session cannot overwrite or chmod the recording', async () => {
    const { mkdtemp, readFile, stat, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(`${tmpdir()}/portcullis-k8s-`);
    const recording = `${dir}/k8s-recording.jsonl`;
    await writeFile(recording, '{"v":1,"seq":0,"type":"session.start"}\n', { mode: 0o644 });
    const session = world.gate.as(agent);
    await expect(session.writeKubeconfig(recording)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(recording, 'utf8')).toBe('{"v":1,"seq":0,"type":"session.start"}\n');
    expect((await stat(recording)).mode & 0o777).toBe(0o644);
  });

  it('writeKubeconfig follows no symlink, to an existing file or a dangling one', async () => {
    const { lstat, mkdtemp, readFile, stat, symlink, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(`${tmpdir()}/portcullis-k8s-`);
    const policy = `${dir}/portcullis.yaml`;
    await writeFile(policy, 'version: 1\n', { mode: 0o644 });
    await symlink(policy, `${dir}/to-policy`);
    await symlink(`${dir}/not-yet`, `${dir}/dangling`);
    const session = world.gate.as(agent);
    await expect(session.writeKubeconfig(`${dir}/to-policy`)).rejects.toThrow();
    await expect(session.writeKubeconfig(`${dir}/dangling`)).rejects.toThrow();
    expect(await readFile(policy, 'utf8')).toBe('version: 1\n');
    expect((await stat(policy)).mode & 0o777).toBe(0o644);
    await expect(lstat(`${dir}/not-yet`)).rejects.toMatchObject({ code: 'ENOENT' });
    // A new path is written, 0600 from its creation.
    await session.writeKubeconfig(`${dir}/fresh`);
    expect((await stat(`${dir}/fresh`)).mode & 0o777).toBe(0o600);
  });
});

describe('client-node call paths', () => {
  it('per-call options with middleware that swaps the URL reach the real server with only a useless session token', async () => {
    const kc = world.gate.as(agent).kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    // The middleware swaps the URL and the connection pool (a plain-HTTP agent for the stand-in).
    const swapUrl = middleware((ctx) => {
      ctx.setUrl(ctx.getUrl().replace(/^https?:\/\/127\.0\.0\.1:\d+/, world.api.url));
      ctx.setAgent(new HttpAgent());
    });
    for (const strategy of ['replace', 'append', 'prepend'] as const) {
      const err = (await core
        .readNamespacedSecret(
          { namespace: 'prod', name: 'db-creds' },
          {
            middleware: [swapUrl],
            middlewareMergeStrategy: strategy,
          },
        )
        .catch((e: unknown) => e)) as ApiException<string>;
      expect(err.code, inspect(err)).toBe(401);
    }
    expect(world.api.received.length).toBeGreaterThan(0);
    for (const r of world.api.received) expect(r.headers.authorization).not.toBe(`Bearer ${world.api.token}`);
    // And with per-call options that carry no middleware at all, the call still goes through the gate.
    const pod = await core.readNamespacedPod({ namespace: 'prod', name: 'web-1' }, {
      middleware: [],
      middlewareMergeStrategy: 'replace',
    } as never);
    expect(pod.metadata?.name).toBe('web-1');
  });

  it('per-call baseServer sends only the session token to the other host, and that token is useless there', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const other = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const kc = world.gate.as(agent).kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const baseServer = new ServerConfiguration(
      `http://127.0.0.1:${(other.address() as AddressInfo).port}`,
      {},
    );
    await core.readNamespacedPod({ namespace: 'prod', name: 'web-1' }, { baseServer }).catch(() => undefined);
    other.close();
    expect(seen.length).toBe(1);
    expect(seen[0]?.authorization).toBe(`Bearer ${tokenOf(kc)}`);
    expect(JSON.stringify(seen)).not.toContain(world.api.token);
    const there = await get(`${world.api.url}/api/v1/namespaces/prod/secrets/db-creds`, {
      authorization: `Bearer ${tokenOf(kc)}`,
    });
    expect(there.status).toBe(401);
  });

  it('middleware that adds impersonation headers is classified: an impersonation the policy does not allow is denied', async () => {
    const core = world.gate.as(agent).kubeConfig().makeApiClient(CoreV1Api);
    const as = (user: string) =>
      middleware((ctx) => {
        ctx.setHeaderParam('Impersonate-User', user);
      });
    const err = (await core
      .readNamespacedPod({ namespace: 'prod', name: 'web-1' }, { middleware: [as('system:admin')] })
      .catch((e: unknown) => e)) as ApiException<string>;
    expect(err.code, inspect(err)).toBe(403);
    expect((JSON.parse(err.body) as { message: string }).message).toMatch(/impersonate users\/system:admin/);
    const ok = await core.readNamespacedPod(
      { namespace: 'prod', name: 'web-1' },
      {
        middleware: [as('viewer')],
      },
    );
    expect(ok.metadata?.name).toBe('web-1');
    const forwarded = world.api.received.at(-1);
    expect(forwarded?.headers['impersonate-user']).toBe('viewer');
  });

  it('impersonation from the KubeConfig user is classified too', async () => {
    const kc = world.gate.as(agent).kubeConfig();
    const user = kc.getCurrentUser() as { impersonateUser?: string };
    user.impersonateUser = 'system:admin';
    const err = (await kc
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: 'prod' })
      .catch((e: unknown) => e)) as ApiException<string>;
    expect(err.code).toBe(403);
  });

  it('a method override header is unknown and denied', async () => {
    const token = tokenOf(world.gate.as(agent).kubeConfig());
    const before = upstreamCalls(world.api).length;
    for (const header of ['X-HTTP-Method-Override', 'X-HTTP-Method', 'X-Method-Override']) {
      const answer = await get(`${world.gate.url}/api/v1/namespaces/prod/configmaps/app`, {
        authorization: `Bearer ${token}`,
        [header]: 'DELETE',
      });
      expect(answer.status).toBe(403);
    }
    expect(upstreamCalls(world.api).length).toBe(before);
  });
});

describe('names that try to change the path', () => {
  const hostile = [
    'x/../../secrets/db-creds?',
    'x/../../secrets/db-creds#',
    '..',
    'web-1%2F..%2F..%2Fsecrets%2Fdb-creds',
    'web-1/exec?command=rm&command=-rf&x=',
    'web-1?command=sh&',
    'web-1#frag',
  ];

  it('Log with such names reads no Secret for an agent that may only read logs', async () => {
    const kc = world.gate.as(logReader).kubeConfig();
    for (const name of hostile) {
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      const err = await new Log(kc).log('prod', name, 'app', out, {}).then(
        () => undefined,
        (e: unknown) => e,
      );
      await new Promise((r) => setTimeout(r, 20));
      expect(Buffer.concat(chunks).toString()).not.toContain(
        Buffer.from(world.secrets.token).toString('base64'),
      );
      if (err !== undefined) expect((err as ApiException<string>).code).toBeGreaterThanOrEqual(400);
    }
    for (const call of upstreamCalls(world.api)) expect(call.url).not.toMatch(/secrets/);
  });

  it('Exec, Attach and PortForward with such names run nothing the policy did not allow', async () => {
    const kc = world.gate.as(agent).kubeConfig();
    world.api.program('rm', () => {
      throw new Error('rm must never run');
    });
    for (const name of hostile) {
      const attempts = [
        new Exec(kc).exec('prod', name, 'app', ['echo', 'hi'], discard(), discard(), null, false),
        new Attach(kc).attach('prod', name, 'app', discard(), discard(), null, false),
        new PortForward(kc).portForward('prod', name, [80], discard(), null, new PassThrough()),
      ];
      for (const attempt of attempts) {
        const ws = await attempt.then(
          (w) => w as { close(): void },
          () => undefined,
        );
        ws?.close();
      }
    }
    await new Promise((r) => setTimeout(r, 100));
    for (const call of upstreamCalls(world.api)) {
      expect(call.url).not.toMatch(/secrets|command=rm|command=sh|\/attach/);
    }
    // Some hostile names became a plain `get` of the Secret (allowed for this agent): that is
    // what was classified, and the gate relays WebSocket upgrades only for exec, attach and
    // portforward, so nothing went upstream for them either.
    const allowed = world.sink.events.filter(
      (e) => e.type === 'decision' && (e.data as { effect: string }).effect === 'allow',
    );
    for (const d of allowed) expect(JSON.stringify(d.data)).not.toMatch(/command rm|"operation":"attach"/);
  });

  it('Watch of a path with dot segments is classified as what it becomes, and masked', async () => {
    const kc = world.gate.as(agent).kubeConfig();
    const events: unknown[] = [];
    const req = await new Watch(kc).watch(
      '/api/v1/namespaces/prod/pods/../secrets',
      {},
      (_t, o) => events.push(o),
      () => undefined,
    );
    await eventually(() => events.length > 0);
    req.abort();
    expect(JSON.stringify(events)).not.toContain(Buffer.from(world.secrets.token).toString('base64'));
    expect(JSON.stringify(events)).toContain('[REDACTED:kubernetes-secret]');
  });
});

describe('the listener', () => {
  it('refuses absolute-form targets, CONNECT and SPDY upgrades', async () => {
    const token = tokenOf(world.gate.as(agent).kubeConfig());
    const port = Number(new URL(world.gate.url).port);
    const absolute = await raw(
      port,
      `GET ${world.api.url}/api/v1/namespaces/prod/secrets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
    expect(absolute).toMatch(/^HTTP\/1\.1 400/);
    const tunnel = await raw(
      port,
      `CONNECT 127.0.0.1:${new URL(world.api.url).port} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
    expect(tunnel).toMatch(/^HTTP\/1\.1 405/);
    const spdy = await raw(
      port,
      `POST /api/v1/namespaces/prod/pods/web-1/exec?command=ls HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n`,
    );
    expect(spdy).toMatch(/^HTTP\/1\.1 400/);
    expect(spdy).toMatch(/SPDY clients are not served/);
    expect(world.api.received).toEqual([]);
  });

  it('a non-upgrade GET of …/exec (kubectl get --raw) is still exec, with its command', async () => {
    const token = tokenOf(world.gate.as(agent).kubeConfig());
    const answer = await get(
      `${world.gate.url}/api/v1/namespaces/prod/pods/web-1/exec?command=sh&command=-c&command=rm%20-rf%20/`,
      { authorization: `Bearer ${token}` },
    );
    expect(answer.status).toBe(403);
    expect((JSON.parse(answer.body) as { message: string }).message).toMatch(/rm -rf \//);
    expect(upstreamCalls(world.api)).toEqual([]);
  });

  it('proxy subresources are gated and masked, and redirects from the proxied service are not followed', async () => {
    const session = world.gate.as(logReader);
    const denied = await get(`${world.gate.url}/api/v1/namespaces/prod/pods/web-1/proxy/`, {
      authorization: `Bearer ${tokenOf(session.kubeConfig())}`,
    });
    expect(denied.status).toBe(403);
    const token = tokenOf(world.gate.as(agent).kubeConfig());
    const page = await get(
      `${world.gate.url}/api/v1/namespaces/prod/services/web/proxy/echo?k=${world.secrets.token}`,
      { authorization: `Bearer ${token}` },
    );
    expect(page.status).toBe(200);
    const moved = await get(`${world.gate.url}/api/v1/namespaces/prod/pods/web-1/proxy/redirect`, {
      authorization: `Bearer ${token}`,
    });
    expect(moved.status).toBe(302);
    expect(moved.headers.location).toBe('http://127.0.0.1:9/elsewhere');
    expect(upstreamCalls(world.api).map((c) => c.url)).toEqual([
      `/api/v1/namespaces/prod/services/web/proxy/echo?k=${world.secrets.token}`,
      '/api/v1/namespaces/prod/pods/web-1/proxy/redirect',
    ]);
  });

  it('every request of an informer-style reconnect loop is gated: no decision is cached per connection', async () => {
    const session = world.gate.as(agent);
    const token = tokenOf(session.kubeConfig());
    for (let i = 0; i < 3; i++) {
      await get(`${world.gate.url}/api/v1/namespaces/prod/pods?watch=true&timeoutSeconds=1`, {
        authorization: `Bearer ${token}`,
      }).catch(() => undefined);
    }
    const requests = world.sink.events.filter((e) => e.type === 'request');
    expect(requests.length).toBeGreaterThanOrEqual(3);
  });
});
