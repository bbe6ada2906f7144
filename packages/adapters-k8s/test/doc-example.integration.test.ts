// The example of docs/adapters/kubernetes.md, run against the API server stand-in: a client-node
// API through the gate, kubectl with the session's kubeconfig file, a JSON helper's denial, and
// a recording that verifies.
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import {
  createFileSink,
  createPortcullis,
  createRecorder,
  DeniedError,
  parsePolicy,
  verifyRecording,
} from '@portcullis/core';
import { expect, it } from 'vitest';
import { createKubeGate } from '../src/index.js';
import { hostKubeConfig, POLICY } from './fixtures.js';
import { startStandInApiServer } from './stand-in/api-server.js';

const KUBECTL = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

it('the documented example works end to end', async () => {
  const api = await startStandInApiServer();
  api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'default' } });
  api.put({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'app-config', namespace: 'default' },
    data: {},
  });
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-doc-'));
  const sink = await createFileSink(join(dir, 'k8s-recording.jsonl'));
  const portcullis = await createPortcullis({
    policy: parsePolicy(POLICY),
    recorder: createRecorder({ sink }),
  });
  const gate = await createKubeGate({ kubeConfig: hostKubeConfig(api), portcullis, target: 'prod-cluster' });
  const session = gate.as({ subject: 'alice', groups: ['sre'], kind: 'agent', actor: 'copilot' });

  const core = session.kubeConfig().makeApiClient(CoreV1Api);
  const pods = await core.listNamespacedPod({ namespace: 'default' });
  expect(pods.items.map((p) => p.metadata?.name)).toEqual(['web-1']);

  await session.writeKubeconfig(join(dir, 'agent.kubeconfig'));
  if (KUBECTL) {
    // Asynchronously here: the gate runs in this process (the documented host script may block).
    const { stdout, stderr } = await promisify(execFile)(
      'kubectl',
      ['--kubeconfig', join(dir, 'agent.kubeconfig'), 'get', 'secrets'],
      { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', HOME: dir } },
    );
    expect(stdout + stderr).toMatch(/No resources found in default namespace/);
  }

  const err = await session
    .delete({ resource: 'configmaps', namespace: 'default', name: 'app-config' })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DeniedError);

  await session.end();
  await gate.close();
  await sink.close();
  await api.close();
  const report = verifyRecording(await readFile(join(dir, 'k8s-recording.jsonl'), 'utf8'));
  expect(report.ok).toBe(true);
});
