// The SSH and Kubernetes tools through the SDK's own Client: a real OpenSSH sshd behind
// @portcullis/ssh and the Kubernetes API stand-in behind @portcullis/k8s. Each tool is shown
// allowed with masked output, and denials and reviews come back as error results.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import {
  createMemoryApprovalStore,
  createPortcullis,
  parsePolicy,
  type Portcullis,
  type Principal,
} from '@portcullis/core';
import { createKubeGate, type KubeGate } from '@portcullis/k8s';
import { createGatedSsh, type GatedSsh } from '@portcullis/ssh';
import { sshdUnavailable, startTestSshd, type TestSshd } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandInApiServer, type StandInApiServer } from '../../adapters-k8s/test/stand-in/api-server.js';
import { createMcpServer } from '../src/index.js';

const missing = sshdUnavailable();
const suite = missing === undefined ? describe : (describe.skip.bind(describe) as typeof describe);
const agent: Principal = { subject: 'alice', groups: ['ops'], kind: 'agent', actor: 'copilot' };
const bob: Principal = { subject: 'bob', groups: ['managers'], kind: 'human' };
// A token-shaped secret assembled at run time, planted in files, logs and a Secret.
const SECRET = ['ghp', randomBytes(18).toString('hex')].join('_');

function policy(home: string): string {
  return `version: 1
targets: { bastion: { protocol: ssh }, cluster: { protocol: kubernetes } }
rules:
  - id: ops-read-commands
    effect: allow
    when: { groups: [ops], targets: [bastion], operations: [exec], resources: ["cat ${home}/*", "echo *", "ls *"] }
  - id: ops-remove-needs-manager
    effect: review
    when: { groups: [ops], targets: [bastion], operations: [exec, write], resources: ["rm *", "${home}/*"] }
    review: { approvers: { groups: [managers] } }
    reason: Removing files needs a manager
  - id: ops-files
    effect: allow
    when: { groups: [ops], targets: [bastion], operations: [sftp_read, sftp_write], resources: ["${home}/**"] }
  - id: ops-cluster-read
    effect: allow
    when: { groups: [ops], targets: [cluster], operations: [get, list] }
  - id: ops-cluster-exec-cat
    effect: allow
    when: { groups: [ops], targets: [cluster], operations: [exec, command], resources: ["namespaces/prod/pods/web-1/exec", "cat /**"] }
  - id: ops-cluster-writes-need-manager
    effect: review
    when: { groups: [ops], targets: [cluster], operations: [create, patch, update] }
    review: { approvers: { groups: [managers] } }
    reason: Cluster changes need a manager
  - id: no-deletes
    effect: deny
    when: { targets: [cluster], operations: [delete, deletecollection] }
    reason: Nothing is deleted from the cluster by an agent
`;
}

suite(`MCP tools for SSH and Kubernetes${missing === undefined ? '' : ` (skipped: ${missing})`}`, () => {
  let sshd: TestSshd;
  let api: StandInApiServer;
  let portcullis: Portcullis;
  let ssh: GatedSsh;
  let kube: KubeGate<KubeConfig>;
  let client: Client;
  let close: () => Promise<void>;

  beforeAll(async () => {
    sshd = await startTestSshd();
    await writeFile(path.join(sshd.home, 'app.env'), `API_TOKEN=${SECRET}\nMODE=fast\n`);
    await sshd.chownToUser(path.join(sshd.home, 'app.env'));
    api = await startStandInApiServer();
    api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod' } });
    api.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: 'prod' },
      spec: { containers: [{ name: 'app', image: 'nginx' }] },
    });
    api.put({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db-creds', namespace: 'prod' },
      data: { password: Buffer.from(SECRET).toString('base64') },
      type: 'Opaque',
    });
    api.appendLog('prod', 'web-1', `booted with token ${SECRET}\n`);
    api.files('prod', 'web-1').set('etc/app.conf', Buffer.from(`token=${SECRET}\n`));
    portcullis = await createPortcullis({
      policy: parsePolicy(policy(sshd.home)),
      approvals: createMemoryApprovalStore(),
    });
    ssh = createGatedSsh({
      connect: {
        host: sshd.host,
        port: sshd.port,
        username: sshd.username,
        privateKey: sshd.privateKey,
        hostKey: sshd.hostKey,
      },
      portcullis,
      target: 'bastion',
    });
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'stand-in', server: api.url, skipTLSVerify: true }],
      users: [{ name: 'host', token: api.token }],
      contexts: [{ name: 'host', cluster: 'stand-in', user: 'host' }],
      currentContext: 'host',
    });
    kube = await createKubeGate({ kubeConfig: kc, portcullis, target: 'cluster' });
    const served = createMcpServer(agent, {
      portcullis,
      targets: { bastion: { protocol: 'ssh', gate: ssh }, cluster: { protocol: 'kubernetes', gate: kube } },
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await served.server.connect(serverSide);
    client = new Client({ name: 'agent', version: '1.0.0' });
    await client.connect(clientSide);
    close = served.close;
  }, 60_000);

  afterAll(async () => {
    await client.close();
    await close();
    await ssh.end();
    await kube.close();
    await api.close();
    await sshd.stop();
  });

  const call = async (name: string, args: Record<string, unknown>): Promise<CallToolResult> =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;

  it('lists exactly the tools of the configured protocols', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      [
        'approval_status',
        'kube_apply',
        'kube_delete',
        'kube_exec',
        'kube_get',
        'kube_list',
        'kube_logs',
        'sftp_read',
        'sftp_write',
        'ssh_exec',
      ].sort(),
    );
    expect(tools.find((t) => t.name === 'ssh_exec')?.description).toContain(
      'On bastion (ssh) you may exec (only "cat ',
    );
    expect(tools.find((t) => t.name === 'kube_delete')?.description).toContain(
      'On cluster (kubernetes) you may',
    );
  });

  it('ssh_exec runs an allowed command with its output masked; a review comes back with its id', async () => {
    const r = await call('ssh_exec', { target: 'bastion', command: `cat ${sshd.home}/app.env` });
    expect(r.isError).not.toBe(true);
    expect(r.structuredContent).toMatchObject({ code: 0 });
    expect((r.structuredContent as { stdout: string }).stdout).toContain('MODE=fast');
    expect(JSON.stringify(r)).not.toContain(SECRET);
    const held = await call('ssh_exec', { target: 'bastion', command: `rm ${sshd.home}/app.env` });
    expect(held.structuredContent).toMatchObject({ decision: 'review' });
    const { approvalId } = held.structuredContent as { approvalId: string };
    await portcullis.approvals.approve(approvalId, bob);
    const status = await call('approval_status', { id: approvalId });
    expect(status.structuredContent).toMatchObject({ status: 'approved' });
    const denied = await call('ssh_exec', { target: 'bastion', command: 'shutdown -h now' });
    expect(denied.structuredContent).toMatchObject({ decision: 'deny' });
  });

  it('sftp_write and sftp_read work inside the allowed tree, masked, and nowhere else', async () => {
    const file = `${sshd.home}/notes.txt`;
    const w = await call('sftp_write', { target: 'bastion', path: file, content: `note ${SECRET}\n` });
    expect(w.structuredContent).toMatchObject({ path: file, bytes: SECRET.length + 6 });
    const r = await call('sftp_read', { target: 'bastion', path: file });
    expect((r.structuredContent as { content: string }).content).toMatch(/^note /);
    expect(JSON.stringify(r)).not.toContain(SECRET);
    const outside = await call('sftp_read', { target: 'bastion', path: '/etc/hostname' });
    expect(outside.structuredContent).toMatchObject({ decision: 'deny' });
  });

  it('kube_get and kube_list return objects with Secret data masked', async () => {
    const secret = await call('kube_get', {
      target: 'cluster',
      resource: 'secrets',
      namespace: 'prod',
      name: 'db-creds',
    });
    expect(secret.isError).not.toBe(true);
    expect(JSON.stringify(secret)).not.toContain(Buffer.from(SECRET).toString('base64'));
    expect(JSON.stringify(secret)).not.toContain(SECRET);
    const pods = await call('kube_list', { target: 'cluster', resource: 'pods', namespace: 'prod' });
    expect(JSON.stringify(pods.structuredContent)).toContain('web-1');
  });

  it('kube_logs and kube_exec return masked output', async () => {
    const logs = await call('kube_logs', { target: 'cluster', namespace: 'prod', pod: 'web-1' });
    expect((logs.structuredContent as { log: string }).log).toContain('booted with token');
    expect(JSON.stringify(logs)).not.toContain(SECRET);
    const exec = await call('kube_exec', {
      target: 'cluster',
      namespace: 'prod',
      pod: 'web-1',
      command: ['cat', '/etc/app.conf'],
    });
    expect(exec.isError).not.toBe(true);
    expect((exec.structuredContent as { stdout: string }).stdout).toContain('token=');
    expect(JSON.stringify(exec)).not.toContain(SECRET);
  });

  it('kube_apply is held for review and runs once approved; kube_delete is denied', async () => {
    const manifest = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'flags', namespace: 'prod' },
      data: { beta: 'on' },
    };
    const held = await call('kube_apply', { target: 'cluster', manifest });
    expect(held.structuredContent).toMatchObject({ decision: 'review' });
    const { approvalId } = held.structuredContent as { approvalId: string };
    await portcullis.approvals.approve(approvalId, bob);
    const applied = await call('kube_apply', { target: 'cluster', manifest });
    expect(applied.isError).not.toBe(true);
    expect(api.object('configmaps', 'prod', 'flags')).toMatchObject({ data: { beta: 'on' } });
    const del = await call('kube_delete', {
      target: 'cluster',
      resource: 'pods',
      namespace: 'prod',
      name: 'web-1',
    });
    expect(del.structuredContent).toMatchObject({ decision: 'deny' });
    expect(api.object('pods', 'prod', 'web-1')).toBeDefined();
  });
});
