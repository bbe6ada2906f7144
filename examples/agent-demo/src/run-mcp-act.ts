// The demo's second act: the agent works through MCP. A real MCP client (the official SDK's)
// acting for alice calls the Portcullis MCP server's tools on three targets — the shop database,
// an SSH host and a Kubernetes cluster — and on each one sees an allowed request come back
// masked, a denied one refused, and one held for review that runs once bob approves.
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Portcullis, Principal } from '@portcullis/core';
import { createKubeGate } from '@portcullis/k8s';
import { createMcpServer } from '@portcullis/mcp';
import type { GatedPool } from '@portcullis/pg';
import { createGatedSsh } from '@portcullis/ssh';
import { startStandInApiServer } from '../../../packages/adapters-k8s/test/stand-in/api-server.js';
import { startDemoSshHost } from './demo-ssh-host.js';

/** One checked step of the act (the same shape as the demo's table rows). */
export interface ActStep {
  readonly who: string;
  readonly did: string;
  readonly expected: string;
  readonly outcome: string;
  readonly ok: boolean;
}

/**
 * Runs the MCP act: starts the SSH host and the Kubernetes API stand-in, gates them, serves the
 * MCP server for the agent's principal and drives it with the SDK's client. `approve` is how
 * bob approves (the demo passes the command line).
 */
export async function runMcpAct(input: {
  readonly portcullis: Portcullis;
  readonly agent: Principal;
  readonly shop: GatedPool;
  readonly approve: (approvalId: string) => Promise<boolean>;
  readonly cleanup: (() => Promise<unknown>)[];
}): Promise<{ readonly steps: readonly ActStep[]; readonly planted: readonly string[] }> {
  const steps: ActStep[] = [];
  const step = (did: string, expected: string, outcome: string, ok: boolean): void => {
    steps.push({ who: 'agent (MCP)', did, expected, outcome, ok });
  };
  const { portcullis, cleanup } = input;
  // Generated per run, as a real host's secrets would be: never written in the repository.
  const dbPassword = `Vx${randomBytes(12).toString('base64url')}9!`;
  const apiToken = `ghp_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'Q')}`;
  const planted = [dbPassword, apiToken, Buffer.from(apiToken).toString('base64')];

  // --- the SSH host and the cluster, each behind its gate ---
  const host = await startDemoSshHost({
    '/etc/app/config.env': `DATABASE_PASSWORD=${dbPassword}\nGITHUB_TOKEN=${apiToken}\nLOG_LEVEL=info\n`,
    '/var/log/app/app.log': 'app started\nhealth ok\n',
  });
  cleanup.push(() => host.close());
  const ssh = createGatedSsh({
    connect: {
      host: host.host,
      port: host.port,
      username: host.username,
      privateKey: host.privateKey,
      hostKey: host.hostKey,
    },
    portcullis,
    target: 'bastion',
  });
  cleanup.push(() => ssh.end());
  const api = await startStandInApiServer();
  cleanup.push(() => api.close());
  api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
  api.put({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'shop' },
    spec: { containers: [{ name: 'web', image: 'shop:1.4' }] },
  });
  api.put({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'shop-db', namespace: 'shop' },
    type: 'Opaque',
    data: {
      password: Buffer.from(dbPassword).toString('base64'),
      token: Buffer.from(apiToken).toString('base64'),
    },
  });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'demo', server: api.url, skipTLSVerify: true }],
    users: [{ name: 'host', token: api.token }],
    contexts: [{ name: 'demo', cluster: 'demo', user: 'host' }],
    currentContext: 'demo',
  });
  const kube = await createKubeGate({ kubeConfig, portcullis, target: 'cluster' });
  cleanup.push(() => kube.close());

  // --- the MCP server for the agent's principal, and the SDK's client ---
  const served = createMcpServer(input.agent, {
    portcullis,
    targets: {
      shop: { protocol: 'postgres', gate: input.shop },
      bastion: { protocol: 'ssh', gate: ssh },
      cluster: { protocol: 'kubernetes', gate: kube },
    },
  });
  cleanup.push(() => served.close());
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await served.server.connect(serverSide);
  const client = new Client({ name: 'demo-agent', version: '1.0.0' });
  await client.connect(clientSide);
  cleanup.push(() => client.close());

  const { tools } = await client.listTools();
  step(
    'lists the MCP server’s tools',
    'sql_query, ssh_exec, sftp_*, kube_*, approval_status',
    `${String(tools.length)} tools: ${tools.map((t) => t.name).join(', ')}`,
    ['sql_query', 'ssh_exec', 'kube_get', 'kube_apply', 'approval_status'].every((n) =>
      tools.some((t) => t.name === n),
    ),
  );

  const call = async (name: string, args: Record<string, unknown>): Promise<CallToolResult> =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;
  const leaked = (r: CallToolResult): boolean => planted.some((s) => JSON.stringify(r).includes(s));
  const decision = (r: CallToolResult): string =>
    (r.structuredContent as { decision?: string } | undefined)?.decision ?? '';
  const summary = (r: CallToolResult): string => {
    const sc = (r.structuredContent ?? {}) as Record<string, unknown>;
    if (r.isError === true)
      return `${String(sc['code'])}: ${String((sc['reasons'] as string[] | undefined)?.join('; ') ?? sc['message'])}`;
    if (Array.isArray(sc['rows'])) {
      const first = (sc['rows'] as Record<string, unknown>[])[0] ?? {};
      const shown = Object.entries(first)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ');
      return `${String(sc['rowCount'])} row(s)${shown === '' ? '' : `; e.g. ${shown}`}`;
    }
    if (typeof sc['stdout'] === 'string')
      return `exit ${String(sc['code'])}${sc['stdout'] === '' ? '' : `: ${sc['stdout'].trim().split('\n').join(' ⏎ ')}`}`;
    const object = (sc['object'] ?? {}) as { kind?: string; data?: Record<string, unknown> };
    if (object.kind !== undefined)
      return `${object.kind}${
        object.data === undefined
          ? ''
          : ` data: ${Object.entries(object.data)
              .map(([k, v]) => `${k}=${String(v)}`)
              .join(' ')}`
      }`;
    return (r.content[0]?.type === 'text' ? r.content[0].text : '').split('\n')[0] ?? '';
  };

  /** Held for review, approved by bob, then the same call again runs. */
  const reviewed = async (
    name: string,
    args: Record<string, unknown>,
    what: string,
    check: (r: CallToolResult) => boolean,
  ): Promise<void> => {
    const held = await call(name, args);
    const id = (held.structuredContent as { approvalId?: string } | undefined)?.approvalId ?? '';
    step(
      `${name}: ${what}`,
      'held for review, with the approval id',
      decision(held) === 'review' ? `review; approval ${id}` : summary(held),
      decision(held) === 'review' && id !== '',
    );
    const approved = await input.approve(id);
    const status = await call('approval_status', { id });
    const after = await call(name, args);
    step(
      `bob approves; approval_status, then ${name} again`,
      'approved; the same call runs once',
      `${String((status.structuredContent as { status?: string } | undefined)?.status)}; ${summary(after)}`,
      approved && after.isError !== true && check(after),
    );
  };

  // PostgreSQL
  const rows = await call('sql_query', {
    target: 'shop',
    sql: 'SELECT name, email FROM customers ORDER BY id',
  });
  step(
    'sql_query: SELECT name, email FROM customers',
    'allowed; emails masked',
    summary(rows),
    rows.isError !== true && !JSON.stringify(rows).includes('@example.'),
  );
  const drop = await call('sql_query', { target: 'shop', sql: 'DROP TABLE api_keys' });
  step(
    'sql_query: DROP TABLE api_keys',
    'denied, as a tool result (isError)',
    summary(drop),
    decision(drop) === 'deny' && drop.isError === true,
  );
  await reviewed(
    'sql_query',
    { target: 'shop', sql: "UPDATE customers SET plan = 'team' WHERE id = 3" },
    'UPDATE customers … WHERE id = 3',
    (r) => (r.structuredContent as { rowCount?: number }).rowCount === 1,
  );

  // SSH
  const cat = await call('ssh_exec', { target: 'bastion', command: 'cat /etc/app/config.env' });
  step(
    'ssh_exec: cat /etc/app/config.env',
    'allowed; password and token masked',
    summary(cat),
    cat.isError !== true && !leaked(cat) && JSON.stringify(cat).includes('LOG_LEVEL=info'),
  );
  const rm = await call('ssh_exec', { target: 'bastion', command: 'rm -rf /var/lib/app' });
  step(
    'ssh_exec: rm -rf /var/lib/app',
    'denied; never reaches the host',
    summary(rm),
    decision(rm) === 'deny' && !host.ran.some((c) => c.startsWith('rm')),
  );
  await reviewed(
    'ssh_exec',
    { target: 'bastion', command: 'systemctl restart app' },
    'systemctl restart app',
    () => host.ran.filter((c) => c === 'systemctl restart app').length === 1,
  );

  // Kubernetes
  const secret = await call('kube_get', {
    target: 'cluster',
    resource: 'secrets',
    namespace: 'shop',
    name: 'shop-db',
  });
  step(
    'kube_get: secrets/shop-db',
    'allowed; Secret data masked',
    summary(secret),
    secret.isError !== true && !leaked(secret),
  );
  const del = await call('kube_delete', {
    target: 'cluster',
    resource: 'pods',
    namespace: 'shop',
    name: 'web-1',
  });
  step(
    'kube_delete: pods/web-1',
    'denied; the pod is still there',
    summary(del),
    decision(del) === 'deny' && api.object('pods', 'shop', 'web-1') !== undefined,
  );
  await reviewed(
    'kube_apply',
    {
      target: 'cluster',
      manifest: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'flags', namespace: 'shop' },
        data: { checkout_v2: 'on' },
      },
    },
    'ConfigMap shop/flags',
    () => api.object('configmaps', 'shop', 'flags') !== undefined,
  );

  await client.close();
  return { steps, planted };
}
