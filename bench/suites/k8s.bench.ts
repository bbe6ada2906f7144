// What the Kubernetes gate costs: the same requests straight to the API server stand-in (the
// host's credential, plain HTTP on loopback) and through the gate (a session token, TLS on
// loopback, classify + decide + record + mask, then the upstream hop). `get pod` is measured
// with a bare keep-alive HTTP client and with client-node's CoreV1Api; the log suite streams a
// generated 8 MiB log (a secret in every 50th line) with and without masking.
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { createPortcullis, createRecorder, parsePolicy, type Principal, type RecordingSink } from '@portcullis/core';
import { createKubeGate, type KubeGate } from '@portcullis/k8s';
import { startStandInApiServer, type StandInApiServer } from '../../packages/adapters-k8s/test/stand-in/api-server.js';
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
let direct: CoreV1Api | undefined;
let gated: CoreV1Api | undefined;
let users = 0;
const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 4 });
let httpsAgent: HttpsAgent | undefined;
const memory: Record<string, string | number> = {};
const nullSink: RecordingSink = { append: async () => undefined, flush: async () => undefined, close: async () => undefined };

async function setup(): Promise<() => Promise<void>> {
  users++;
  if (api === undefined) {
    api = await startStandInApiServer();
    api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'prod', labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } });
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
    const portcullis = await createPortcullis({ policy: parsePolicy(POLICY), recorder: createRecorder({ sink: nullSink }) });
    gate = await createKubeGate({ kubeConfig: host, portcullis, target: 'prod-cluster' });
    const session = gate.as(sre);
    const kc = session.kubeConfig();
    sessionToken = kc.getCurrentUser()?.token ?? '';
    httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 4, ca: gate.ca });
    direct = host.makeApiClient(CoreV1Api);
    gated = kc.makeApiClient(CoreV1Api);
    await measureMemory();
  }
  return async () => {
    if (--users > 0) return;
    await gate?.close();
    await api?.close();
    httpAgent.destroy();
    httpsAgent?.destroy();
    api = undefined;
  };
}

/** GETs a path and drains the body; resolves with its length. */
function fetchAll(viaGate: boolean, path: string, onChunk?: () => void): Promise<number> {
  const server = api as StandInApiServer;
  const url = new URL(path, viaGate ? (gate as KubeGate<KubeConfig>).url : server.url);
  const send = viaGate ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      { agent: viaGate ? httpsAgent : httpAgent, headers: { authorization: `Bearer ${viaGate ? sessionToken : server.token}`, accept: 'application/json' } },
      (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => {
          n += c.length;
          onChunk?.();
        });
        res.on('end', () => (res.statusCode === 200 ? resolve(n) : reject(new Error(`status ${res.statusCode}`))));
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
  for (const [label, bytes] of [['8 MiB', 8 << 20], ['64 MiB', 64 << 20]] as const) {
    server.generateLog('prod', 'big', bytes, logLine);
    server.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'big', namespace: 'prod' } });
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let chunks = 0;
    await fetchAll(true, '/api/v1/namespaces/prod/pods/big/log', () => {
      if (++chunks % 16 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    });
    memory[`peak heap growth streaming ${label} of log through the gate`] = `${((peak - before) / (1 << 20)).toFixed(1)} MiB`;
  }
}

export const suites: readonly BenchSuite[] = [
  {
    name: 'k8s get pod',
    description: 'GET one pod: straight to the stand-in vs through the gate (bare HTTP client, then client-node CoreV1Api)',
    setup,
    baseline: { name: 'http client → stand-in (direct)', fn: () => fetchAll(false, '/api/v1/namespaces/prod/pods/web-1') },
    tasks: [
      { name: 'http client → gate → stand-in', fn: () => fetchAll(true, '/api/v1/namespaces/prod/pods/web-1') },
      { name: 'client-node → stand-in (direct)', fn: () => (direct as CoreV1Api).readNamespacedPod({ namespace: 'prod', name: 'web-1' }) },
      { name: 'client-node → gate → stand-in', fn: () => (gated as CoreV1Api).readNamespacedPod({ namespace: 'prod', name: 'web-1' }) },
    ],
  },
  {
    name: 'k8s log streaming',
    description: 'an 8 MiB container log (a GitHub token in every 50th line): raw from the stand-in vs masked through the gate',
    setup,
    bytesPerOp: LOG_BYTES,
    timeMs: 3000,
    notes: memory,
    baseline: { name: 'raw log (direct)', fn: () => fetchAll(false, '/api/v1/namespaces/prod/pods/logger/log') },
    tasks: [{ name: 'masked log through the gate', fn: () => fetchAll(true, '/api/v1/namespaces/prod/pods/logger/log') }],
  },
];
