// Shared set-up of the gate tests: the API server stand-in, a host KubeConfig holding its real
// token, an engine with a policy for the `prod-cluster` target, and secrets generated at run
// time.
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import {
  createMemoryApprovalStore,
  createMemorySink,
  createPortcullis,
  createRecorder,
  parsePolicy,
  type ApprovalStore,
  type MemorySink,
  type Portcullis,
  type Principal,
  type Recorder,
} from '@portcullis/core';
import { createKubeGate, type KubeGate } from '../src/index.js';
import { startStandInApiServer, type StandInApiServer } from './stand-in/api-server.js';

export const POLICY = `
version: 1
recording: { required: true }
targets:
  prod-cluster: { protocol: kubernetes }
rules:
  - id: sre-read
    effect: allow
    when: { groups: [sre], targets: [prod-cluster], operations: [get, list, watch] }
    mask: default
  - id: sre-exec
    effect: allow
    when: { groups: [sre], targets: [prod-cluster], operations: [exec, command], resources: ["namespaces/*/pods/*/exec", "cat /**", "cat", "echo *", "echo */**", "tar *", "tar */**", "leak"] }
  - id: sre-shell-review
    effect: review
    when: { groups: [sre], targets: [prod-cluster], operations: [shell] }
    review: { approvers: { groups: [managers] }, minApprovals: 1, ttl: 30m }
    reason: Interactive sessions need a manager
  - id: sre-attach
    effect: allow
    when: { groups: [attachers], targets: [prod-cluster], operations: [attach] }
  - id: sre-portforward
    effect: allow
    when: { groups: [sre], targets: [prod-cluster], operations: [portforward] }
  - id: sre-proxy
    effect: allow
    when: { groups: [sre], targets: [prod-cluster], operations: [proxy] }
  - id: sre-create-services
    effect: allow
    when: { groups: [sre], targets: [prod-cluster], operations: [create, update, patch, delete], resources: ["namespaces/*/services", "namespaces/*/services/*"] }
  - id: sre-write-config-needs-manager
    effect: review
    when: { groups: [sre], targets: [prod-cluster], operations: [create, update, patch], resources: ["namespaces/*/configmaps", "namespaces/*/configmaps/*"] }
    review: { approvers: { groups: [managers] }, minApprovals: 1, ttl: 30m }
    reason: Configuration changes need a manager
  - id: impersonate-viewers
    effect: allow
    when: { groups: [sre], targets: [prod-cluster], operations: [impersonate], resources: ["users/viewer"] }
  - id: no-deletes-of-config
    effect: deny
    when: { targets: [prod-cluster], operations: [delete, deletecollection], resources: ["namespaces/*/configmaps/**", "namespaces/*/secrets/**"] }
    reason: Configuration is never deleted by hand
  - id: logs-only
    effect: allow
    when: { groups: [log-readers], targets: [prod-cluster], operations: [get], resources: ["namespaces/*/pods/*/log"] }
  - id: discovery
    effect: allow
    when: { targets: [prod-cluster], operations: [get], resources: ["/api", "/api/**", "/apis", "/apis/**", "/version", "/openapi/**"] }
masking:
  default: default
  profiles:
    default: { detectors: [secrets, pii] }
`;

/** An SRE agent acting for alice. */
export const agent: Principal = { subject: 'alice', groups: ['sre'], kind: 'agent', actor: 'copilot' };
/** A manager who approves. */
export const manager: Principal = { subject: 'bob', groups: ['managers'], kind: 'human' };

const alnum = (n: number): string => {
  let out = '';
  while (out.length < n) out += randomBytes(n).toString('base64').replace(/[^A-Za-z0-9]/g, '');
  return out.slice(0, n);
};

/** Secrets generated per run: a GitHub-style token and an e-mail address. */
export function makeSecrets(): { token: string; email: string } {
  return { token: `ghp_${alnum(36)}`, email: `jane.roe.${alnum(6).toLowerCase()}@example.org` };
}

/** Everything one test needs. */
export interface World {
  readonly api: StandInApiServer;
  readonly hostConfig: KubeConfig;
  readonly portcullis: Portcullis;
  readonly gate: KubeGate<KubeConfig>;
  readonly sink: MemorySink;
  readonly secrets: { token: string; email: string };
  close(): Promise<void>;
}

/** A KubeConfig for the host that points at the stand-in with its real token. */
export function hostKubeConfig(api: StandInApiServer): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'stand-in', server: api.url, skipTLSVerify: true }],
    users: [{ name: 'host', token: api.token }],
    contexts: [{ name: 'host', cluster: 'stand-in', user: 'host' }],
    currentContext: 'host',
  });
  return kc;
}

/** Starts the stand-in with a few objects and a gate in front of it. */
export async function startWorld(
  options: { approvals?: ApprovalStore; recorder?: Recorder; policy?: string } = {},
): Promise<World> {
  const api = await startStandInApiServer();
  const secrets = makeSecrets();
  api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod' } });
  api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'prod', labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } });
  api.put({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'db-creds',
      namespace: 'prod',
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ stringData: { password: secrets.token } }),
      },
    },
    data: { password: Buffer.from(secrets.token).toString('base64') },
    type: 'Opaque',
  });
  api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: 'prod' }, data: { 'settings.ini': `token=${secrets.token}\nowner=${secrets.email}\n`, mode: 'fast' } });
  api.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
  api.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'prod' }, spec: { ports: [{ port: 80 }] } });
  api.files('prod', 'web-1').set('var/log/app.log', Buffer.from(`started with ${secrets.token}\n`));
  const sink = createMemorySink();
  const portcullis = await createPortcullis({
    policy: parsePolicy(options.policy ?? POLICY),
    approvals: options.approvals ?? createMemoryApprovalStore(),
    recorder: options.recorder ?? createRecorder({ sink }),
  });
  const hostConfig = hostKubeConfig(api);
  const gate = await createKubeGate({ kubeConfig: hostConfig, portcullis, target: 'prod-cluster' });
  return {
    api,
    hostConfig,
    portcullis,
    gate,
    sink,
    secrets,
    async close() {
      await gate.close();
      await api.close();
    },
  };
}

/** Requests the stand-in received that carried the gate's real credential (went upstream). */
export function upstreamCalls(api: StandInApiServer): { method: string; url: string }[] {
  return api.received.filter((r) => r.headers.authorization === `Bearer ${api.token}`).map((r) => ({ method: r.method, url: r.url }));
}

/** Polls until `check` holds (for events that arrive asynchronously). */
export async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
