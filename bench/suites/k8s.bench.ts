// What the Kubernetes gate costs: the same requests straight to the API server stand-in and
// through the gate, everything in this one process on loopback. Both sides of each pair use the
// same client with kept-alive connections and plain HTTP (the stand-in serves no TLS, and
// in-process session KubeConfigs reach the gate over its plain loopback listener); straight
// means the host's credential to the stand-in, gated means a session token to the gate, which
// classifies, decides, records (hash-chained; the sink drops the lines) and masks, and forwards
// over its own kept-alive pool with the real credential. Two rows only set the gate in context:
// the TLS listener (what kubectl and kubeconfig files use), and a bare Node.js proxy, the cost of
// one more HTTP hop in this process with no gate at all, which no gate can undercut. `get pod`
// is also measured with client-node's CoreV1Api (which opens a new connection per call on both
// sides); compare its gated row with its own straight row. The log suite streams a generated
// 8 MiB log (a secret in every 50th line) with and without masking.
import { createServer, request as httpRequest, Agent as HttpAgent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import {
  createPortcullis,
  createRecorder,
  parsePolicy,
  type Principal,
  type RecordingSink,
} from '@portcullis/core';
import { createKubeGate, type KubeGate } from '@portcullis/k8s';
import {
  startStandInApiServer,
  type StandInApiServer,
} from '../../packages/adapters-k8s/test/stand-in/api-server.js';
import type { BenchSuite } from '../harness.js';

const POLICY = `
version: 1
targets:
  prod-cluster: { protocol: kubernetes }
rules:
  - id: read
    effect: allow
    when: { groups: [sre], targets: [prod-cluster], operations: [get, list, watch] }
    mask: default
masking:
  profiles:
    default: { detectors: [secrets, pii] }
`;
const sre: Principal = { subject: 'alice', groups: ['sre'], kind: 'agent', actor: 'copilot' };
const LOG_BYTES = 8 << 20;
// Assembled at run time: no committed string looks like a live credential.
const secretLine = `login ok token=${'gh' + 'p_'}${'Bench0123456789'.repeat(3).slice(0, 36)}\n`;
const plainLine = 'GET /healthz 200 0.4ms upstream=10.0.0.7:8080 user-agent=kube-probe/1.32\n';
const logLine = plainLine.repeat(49) + secretLine;

let api: StandInApiServer | undefined;
let gate: KubeGate<KubeConfig> | undefined;
let sessionToken = '';
/** The gate's plain loopback listener, as a session's KubeConfig names it. */
let gatePlainUrl = '';
let bare: Server | undefined;
let bareUrl = '';
let direct: CoreV1Api | undefined;
let gated: CoreV1Api | undefined;
let users = 0;
const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 4 });
/** The bare proxy's pool to the stand-in. */
const upstreamAgent = new HttpAgent({ keepAlive: true, maxSockets: 64 });
let httpsAgent: HttpsAgent | undefined;
const memory: Record<string, string | number> = {};
const nullSink: RecordingSink = {
  append: () => Promise.resolve(),
  flush: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

async function setup(): Promise<() => Promise<void>> {
  users++;
  if (api === undefined) {
    api = await startStandInApiServer();
    api.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: 'prod', labels: { app: 'web' } },
      spec: { containers: [{ name: 'app', image: 'nginx' }] },
    });
    api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'logger', namespace: 'prod' } });
    api.generateLog('prod', 'logger', LOG_BYTES, logLine);
    const host = new KubeConfig();
    host.loadFromOptions({
      clusters: [{ name: 's', server: api.url, skipTLSVerify: true }],
      users: [{ name: 'h', token: api.token }],
      contexts: [{ name: 'c', cluster: 's', user: 'h' }],
      currentContext: 'c',
    });
    // Every request and output chunk is recorded (hash-chained); the sink drops the lines, so
    // the figures are the gate's, not a sink's storage.
    const portcullis = await createPortcullis({
      policy: parsePolicy(POLICY),
      recorder: createRecorder({ sink: nullSink }),
    });
    gate = await createKubeGate({ kubeConfig: host, portcullis, target: 'prod-cluster' });
    const session = gate.as(sre);
    const kc = session.kubeConfig();
    sessionToken = kc.getCurrentUser()?.token ?? '';
    gatePlainUrl = kc.getCurrentCluster()?.server ?? '';
    bare = startBareProxy(api);
    await new Promise<void>((resolve) => bare?.listen(0, '127.0.0.1', resolve));
    bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
    httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 4, ca: gate.ca });
    direct = host.makeApiClient(CoreV1Api);
    gated = kc.makeApiClient(CoreV1Api);
    await measureMemory();
  }
  return async () => {
    if (--users > 0) return;
    await gate?.close();
    await new Promise((resolve) => bare?.close(resolve));
    await api?.close();
    httpAgent.destroy();
    upstreamAgent.destroy();
    httpsAgent?.destroy();
    api = undefined;
  };
}

/** Where a request goes: straight to the stand-in, through the gate (plain or TLS), or through the bare proxy. */
type Route = 'direct' | 'gate' | 'gate-tls' | 'bare';

/**
 * A proxy with nothing of a gate: it forwards the request with the stand-in's token over a
 * kept-alive pool and pipes the answer back. The floor of any in-process HTTP hop.
 */
function startBareProxy(server: StandInApiServer): Server {
  const origin = new URL(server.url);
  return createServer((req, res) => {
    const forwarded = httpRequest(
      {
        hostname: origin.hostname,
        port: origin.port,
        method: req.method,
        path: req.url,
        headers: { authorization: `Bearer ${server.token}`, accept: 'application/json' },
        agent: upstreamAgent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, {
          'content-type': answer.headers['content-type'] ?? 'application/octet-stream',
        });
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    forwarded.end();
  });
}

/** GETs a path and drains the body; resolves with its length. */
function fetchAll(route: Route, path: string, onChunk?: () => void): Promise<number> {
  const server = api as StandInApiServer;
  const base = { direct: server.url, gate: gatePlainUrl, 'gate-tls': gate?.url ?? '', bare: bareUrl }[route];
  const url = new URL(path, base);
  const send = route === 'gate-tls' ? httpsRequest : httpRequest;
  const gated = route === 'gate' || route === 'gate-tls';
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        agent: route === 'gate-tls' ? httpsAgent : httpAgent,
        headers: {
          authorization: `Bearer ${gated ? sessionToken : server.token}`,
          accept: 'application/json',
        },
      },
      (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => {
          n += c.length;
          onChunk?.();
        });
        res.on('end', () => {
          if (res.statusCode === 200) resolve(n);
          else reject(new Error(`status ${String(res.statusCode)}`));
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Peak heap growth while 8 MiB and then 64 MiB of log stream through the gate: flat memory means the two are alike. */
async function measureMemory(): Promise<void> {
  const server = api as StandInApiServer;
  for (const [label, bytes] of [
    ['8 MiB', 8 << 20],
    ['64 MiB', 64 << 20],
  ] as const) {
    server.generateLog('prod', 'big', bytes, logLine);
    server.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'big', namespace: 'prod' } });
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let chunks = 0;
    await fetchAll('gate', '/api/v1/namespaces/prod/pods/big/log', () => {
      if (++chunks % 16 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    });
    memory[`peak heap growth streaming ${label} of log through the gate`] =
      `${((peak - before) / (1 << 20)).toFixed(1)} MiB`;
  }
}

const POD = '/api/v1/namespaces/prod/pods/web-1';
const LOG = '/api/v1/namespaces/prod/pods/logger/log';

export const suites: readonly BenchSuite[] = [
  {
    name: 'k8s get pod',
    description:
      'GET one pod: straight to the stand-in vs through the gate, both plain HTTP with kept-alive connections (bare HTTP client, then client-node CoreV1Api: compare with its own straight row)',
    setup,
    baseline: {
      name: 'http client → stand-in (direct)',
      fn: () => fetchAll('direct', POD),
    },
    tasks: [
      {
        name: 'http client → gate → stand-in',
        fn: () => fetchAll('gate', POD),
      },
      {
        name: 'http client → gate over TLS → stand-in (kubectl)',
        fn: () => fetchAll('gate-tls', POD),
      },
      {
        name: 'http client → bare proxy → stand-in (one more hop, no gate)',
        fn: () => fetchAll('bare', POD),
      },
      {
        name: 'client-node → stand-in (direct)',
        fn: () => (direct as CoreV1Api).readNamespacedPod({ namespace: 'prod', name: 'web-1' }),
      },
      {
        name: 'client-node → gate → stand-in',
        fn: () => (gated as CoreV1Api).readNamespacedPod({ namespace: 'prod', name: 'web-1' }),
      },
    ],
  },
  {
    name: 'k8s log streaming',
    description:
      'an 8 MiB container log (a GitHub token in every 50th line): raw from the stand-in vs masked through the gate (both plain HTTP, kept alive)',
    setup,
    bytesPerOp: LOG_BYTES,
    timeMs: 3000,
    notes: memory,
    baseline: {
      name: 'raw log (direct)',
      fn: () => fetchAll('direct', LOG),
    },
    tasks: [
      {
        name: 'masked log through the gate',
        fn: () => fetchAll('gate', LOG),
      },
    ],
  },
];
