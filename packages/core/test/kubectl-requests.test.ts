// kubectl's real requests, classified. A loopback HTTP server plays just enough of an API server
// (discovery, one pod, one deployment; 404 for everything else) for kubectl to send the request
// each command is about; the test records every request exactly as received and asserts how it
// classifies. kubectl usually fails after that first request or two, which is all this needs.
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalRequest } from '../src/approvals/hash-request.js';
import { classifyKubeRequest } from '../src/classify/kubernetes.js';
import { loadShellClassifier } from '../src/classify/shell.js';
import type { Action, KubeRequest } from '../src/types.js';

const KUBECTL = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8', timeout: 20_000 });
const HAVE_KUBECTL = KUBECTL.status === 0;
const TITLE = HAVE_KUBECTL
  ? `kubectl's real request shapes (${(KUBECTL.stdout.split('\n')[0] ?? '').trim()})`
  : 'kubectl request shapes — SKIPPED: kubectl not on PATH (apt-get install -y kubernetes-client)';

/** One request as the server received it. */
interface Captured {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body: Uint8Array;
}

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '1' },
  spec: { containers: [{ name: 'app', image: 'x' }] },
  status: { phase: 'Running' },
};
const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', uid: 'u2', resourceVersion: '1', generation: 1 },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'x' }] } },
  },
  status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1, readyReplicas: 1 },
};

function resources(name: string, kind: string, subresources: readonly string[] = []): unknown[] {
  const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
  return [
    { name, singularName: kind.toLowerCase(), namespaced: true, kind, verbs },
    ...subresources.map((s) => ({ name: `${name}/${s}`, namespaced: true, kind, verbs: ['create', 'get'] })),
  ];
}

/** Discovery (legacy, uncached: kubectl falls back to it from aggregated discovery). */
const DISCOVERY: Readonly<Record<string, unknown>> = {
  '/api': { kind: 'APIVersions', versions: ['v1'] },
  '/apis': {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [
      {
        name: 'apps',
        versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
        preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
      },
      // A custom resource whose API version is not v<N>[alpha|beta<M>].
      {
        name: 'stable.example.com',
        versions: [{ groupVersion: 'stable.example.com/stable', version: 'stable' }],
        preferredVersion: { groupVersion: 'stable.example.com/stable', version: 'stable' },
      },
    ],
  },
  '/api/v1': {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      ...resources('pods', 'Pod', ['exec', 'log', 'attach', 'status']),
      ...resources('configmaps', 'ConfigMap'),
    ],
  },
  '/apis/stable.example.com/stable': {
    kind: 'APIResourceList',
    groupVersion: 'stable.example.com/stable',
    resources: resources('crontabs', 'CronTab'),
  },
  '/apis/apps/v1': {
    kind: 'APIResourceList',
    groupVersion: 'apps/v1',
    resources: resources('deployments', 'Deployment', ['status', 'scale']),
  },
};
const OBJECTS: Readonly<Record<string, unknown>> = {
  '/api/v1/namespaces/default/pods/web': pod,
  '/apis/apps/v1/namespaces/default/deployments/web': deployment,
};

/** Requests kubectl makes to find its way (not the subject of any command here). */
function isDiscovery(request: Captured): boolean {
  const p = request.path.split('?')[0] ?? '';
  return p in DISCOVERY || p === '/version' || p.startsWith('/openapi/');
}

/**
 * A command, and the actions of requests it must send (each list: one request's exact actions;
 * an action ending in `…` matches by prefix, where kubectl versions spell an argv differently).
 */
interface Case {
  readonly args: readonly string[];
  readonly sends: readonly (readonly string[])[];
}

const exec = 'namespaces/default/pods/web';
const CASES: readonly Case[] = [
  { args: ['get', 'pods', 'web'], sends: [[`get ${exec}`]] },
  // get NAME -w, wait and rollout status list/watch one object through a field selector.
  { args: ['get', 'pods', 'web', '-w'], sends: [[`get ${exec}`], [`watch ${exec}`]] },
  {
    args: ['wait', '--for=condition=Ready', 'pod/web', '--timeout=2s'],
    sends: [[`list ${exec}`]],
  },
  {
    args: ['rollout', 'status', 'deployment/web', '--timeout=2s'],
    sends: [
      ['get namespaces/default/deployments.apps/web'],
      ['list namespaces/default/deployments.apps/web'],
    ],
  },
  { args: ['get', 'deployments', '-w'], sends: [['list namespaces/default/deployments.apps']] },
  { args: ['get', 'pods', '-A'], sends: [['list pods']] },
  {
    args: ['get', 'crontabs', 'c1'],
    sends: [['get namespaces/default/crontabs.stable.example.com/c1']],
  },
  {
    args: ['delete', 'crontabs', 'c1', '--wait=false'],
    sends: [['delete namespaces/default/crontabs.stable.example.com/c1']],
  },
  {
    args: ['exec', 'web', '--', 'cat', '/etc/hosts'],
    sends: [[`exec ${exec}/exec`, 'command cat /etc/hosts']],
  },
  {
    args: ['exec', '-i', 'web', '--', 'sh'],
    sends: [[`exec ${exec}/exec`, 'command sh', `shell ${exec}`]],
  },
  {
    args: ['exec', 'web', '--', 'sh', '-c', 'ls /; id'],
    sends: [[`exec ${exec}/exec`, 'command sh -c ls /; id', 'command ls /', 'command id']],
  },
  { args: ['logs', 'web'], sends: [[`get ${exec}/log`]] },
  { args: ['logs', '-f', 'web', '-c', 'app'], sends: [[`get ${exec}/log`]] },
  {
    args: ['apply', '--validate=false', '-f', 'MANIFEST'],
    sends: [['get namespaces/default/configmaps/cfg'], ['create namespaces/default/configmaps']],
  },
  {
    args: ['patch', 'deployment', 'web', '-p', '{"spec":{"replicas":2}}'],
    sends: [['patch namespaces/default/deployments.apps/web']],
  },
  { args: ['delete', 'pod', 'web', '--wait=false'], sends: [[`delete ${exec}`]] },
  {
    args: ['cp', 'web:/etc/hosts', 'OUT'],
    sends: [[`exec ${exec}/exec`, 'command tar cf - …']],
  },
  // Copying into a pod feeds tar on stdin: an exec with stdin, so also `shell`.
  {
    args: ['cp', 'MANIFEST', 'web:/tmp/cm.yaml'],
    sends: [[`exec ${exec}/exec`, 'command tar …', 'write /tmp', 'write /tmp/', `shell ${exec}`]],
  },
  { args: ['attach', '-i', 'web'], sends: [[`attach ${exec}/attach`, `shell ${exec}`]] },
  // kubectl sends this one as protobuf, with an impersonation header.
  {
    args: ['auth', 'can-i', 'get', 'pods', '--as=bob'],
    sends: [['create selfsubjectaccessreviews.authorization.k8s.io', 'impersonate users/bob']],
  },
];

function show(actions: readonly Action[]): string[] {
  return actions.map((a) => (a.resource === undefined ? a.operation : `${a.operation} ${a.resource}`));
}

function matches(actions: readonly string[], expected: readonly string[]): boolean {
  return (
    actions.length === expected.length &&
    expected.every((e, i) => (e.endsWith('…') ? actions[i]?.startsWith(e.slice(0, -1)) : actions[i] === e))
  );
}

function toRequest(c: Captured): KubeRequest {
  return { type: 'kube', method: c.method, path: c.path, headers: c.headers, body: c.body };
}

describe.skipIf(!HAVE_KUBECTL)(TITLE, () => {
  let server: http.Server;
  let dir: string;
  let captured: Captured[] = [];

  beforeAll(async () => {
    await loadShellClassifier();
    dir = mkdtempSync(path.join(tmpdir(), 'portcullis-kubectl-'));
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(req.headers))
          if (value !== undefined) headers[name] = value;
        const target = req.url ?? '/';
        captured.push({ method: req.method ?? '', path: target, headers, body: Buffer.concat(chunks) });
        const p = target.split('?')[0] ?? '';
        const body = DISCOVERY[p] ?? (req.method === 'GET' ? OBJECTS[p] : undefined);
        res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            body ?? { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 },
          ),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    writeFileSync(
      path.join(dir, 'config'),
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{ name: c, cluster: { server: "http://127.0.0.1:${String(port)}" } }]`,
        'users: [{ name: u, user: {} }]',
        'contexts: [{ name: x, context: { cluster: c, user: u, namespace: default } }]',
        'current-context: x',
      ].join('\n'),
    );
    writeFileSync(
      path.join(dir, 'cm.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cfg, namespace: default }\ndata: { a: b }\n',
    );
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs kubectl to its end (it fails once it meets a 404) and returns what it sent. */
  async function run(args: readonly string[]): Promise<Captured[]> {
    captured = [];
    const argv = args.map((a) =>
      a === 'MANIFEST' ? path.join(dir, 'cm.yaml') : a === 'OUT' ? path.join(dir, 'out') : a,
    );
    await new Promise<void>((resolve) => {
      const child = execFile(
        'kubectl',
        ['--request-timeout=3s', '--cache-dir', path.join(dir, 'cache'), ...argv],
        { env: { ...process.env, HOME: dir, KUBECONFIG: path.join(dir, 'config') }, timeout: 15_000 },
        () => {
          resolve();
        },
      );
      child.stdin?.end();
    });
    return captured.filter((c) => !isDiscovery(c));
  }

  for (const { args, sends } of CASES) {
    it(`kubectl ${args.join(' ')}`, async () => {
      const requests = await run(args);
      const classified = requests.map((r) => show(classifyKubeRequest(toRequest(r))));
      for (const expected of sends) {
        const found = classified.some((actions) => matches(actions, expected));
        expect(
          found,
          `a request classified as ${JSON.stringify(expected)} in ${JSON.stringify(classified)}`,
        ).toBe(true);
      }
      // Nothing kubectl sends for these everyday commands is unknown.
      for (const actions of classified) expect(actions).not.toContain('unknown');
    }, 30_000);
  }

  it('binds the approval to the exact bytes of a protobuf body', async () => {
    const requests = await run(['auth', 'can-i', 'get', 'pods', '--as=bob']);
    const review = requests.find((r) => r.method === 'POST');
    expect(review?.headers['content-type']).toBe('application/vnd.kubernetes.protobuf');
    const body = review?.body ?? new Uint8Array();
    // The protobuf envelope: "k8s\0".
    expect([...body.subarray(0, 4)]).toEqual([0x6b, 0x38, 0x73, 0x00]);
    const bound = canonicalRequest(toRequest({ ...(review as Captured), body }));
    expect(bound['bodySha256']).toBe(createHash('sha256').update(body).digest('hex'));
    const flipped = Uint8Array.from(body);
    flipped[flipped.length - 1] = (flipped.at(-1) ?? 0) ^ 1;
    expect(canonicalRequest(toRequest({ ...(review as Captured), body: flipped }))['bodySha256']).not.toBe(
      bound['bodySha256'],
    );
  }, 30_000);
});
