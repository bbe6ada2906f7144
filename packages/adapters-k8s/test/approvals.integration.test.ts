// An approval at the Kubernetes gate is bound to one exact request (method, target,
// impersonation, media type and body bytes) and used once; and the gate fails closed when it
// cannot record.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { createRecorder } from '@portcullis/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeSession } from '../src/index.js';
import { agent, manager, startWorld, upstreamCalls, type World } from './fixtures.js';

interface Answer {
  status: number;
  body: string;
  headers: IncomingMessage['headers'];
}

/** One request to the session's in-process (plain) listener. */
function send(
  session: KubeSession<KubeConfig>,
  method: string,
  path: string,
  headers: Record<string, string | string[]> = {},
  body?: string,
): Promise<Answer> {
  const kc = session.kubeConfig();
  const server = new URL(kc.getCurrentCluster()?.server ?? '');
  const token = kc.getCurrentUser()?.token ?? '';
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        hostname: server.hostname,
        port: server.port,
        method,
        path,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function approvalIdOf(answer: Answer): string {
  const status = JSON.parse(answer.body) as { details?: { causes?: { field?: string; message?: string }[] } };
  const id = status.details?.causes?.find((c) => c.field === 'approvalId')?.message;
  if (id === undefined) throw new Error(`no approval id in ${answer.body}`);
  return id;
}

let world: World | undefined;

/** A fresh world whose API server holds ConfigMap prod/cfg with `a: '1'`. */
async function worldWithConfigMap(): Promise<World> {
  const fresh = await startWorld();
  fresh.api.put({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg', namespace: 'prod' },
    data: { a: '1' },
  });
  return fresh;
}
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('approvals at the gate', () => {
  it('one approved create runs once, even when the agent fires it several times at once', async () => {
    world = await startWorld();
    const session = world.gate.as(agent);
    const body = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'flags', namespace: 'prod' },
      data: { a: '1' },
    });
    const headers = { 'content-type': 'application/json' };
    const first = await send(session, 'POST', '/api/v1/namespaces/prod/configmaps', headers, body);
    expect(first.status).toBe(403);
    await world.portcullis.approvals.approve(approvalIdOf(first), manager);
    const before = upstreamCalls(world.api).length;
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        send(session, 'POST', '/api/v1/namespaces/prod/configmaps', headers, body),
      ),
    );
    expect(upstreamCalls(world.api).length - before).toBe(1);
    expect(answers.filter((a) => a.status === 201 || a.status === 200 || a.status === 409)).toHaveLength(1);
  });

  it('an approval for one body does not run another body, another name, or with impersonation', async () => {
    world = await worldWithConfigMap();
    const session = world.gate.as(agent);
    const patch = JSON.stringify({ data: { a: '2' } });
    const merge = { 'content-type': 'application/merge-patch+json' };
    const first = await send(session, 'PATCH', '/api/v1/namespaces/prod/configmaps/cfg', merge, patch);
    expect(first.status).toBe(403);
    await world.portcullis.approvals.approve(approvalIdOf(first), manager);
    const evil = JSON.stringify({ data: { a: 'evil' } });
    expect((await send(session, 'PATCH', '/api/v1/namespaces/prod/configmaps/cfg', merge, evil)).status).toBe(
      403,
    );
    expect(
      (await send(session, 'PATCH', '/api/v1/namespaces/prod/configmaps/app', merge, patch)).status,
    ).toBe(403);
    const impersonating = { ...merge, 'impersonate-user': 'viewer' };
    expect(
      (await send(session, 'PATCH', '/api/v1/namespaces/prod/configmaps/cfg', impersonating, patch)).status,
    ).toBe(403);
    expect(world.api.object('configmaps', 'prod', 'cfg')?.['data']).toEqual({ a: '1' });
  });

  it('an approved merge patch is no permission to send the same bytes as another patch type or as apply', async () => {
    world = await worldWithConfigMap();
    const session = world.gate.as(agent);
    const patch = JSON.stringify({ data: { a: '2' } });
    const path = '/api/v1/namespaces/prod/configmaps/cfg';
    const first = await send(
      session,
      'PATCH',
      path,
      { 'content-type': 'application/merge-patch+json' },
      patch,
    );
    expect(first.status).toBe(403);
    await world.portcullis.approvals.approve(approvalIdOf(first), manager);
    // The approver saw a JSON merge patch. As a strategic merge patch, or as server-side apply
    // (which creates the object when it is missing and takes field ownership), the same bytes
    // do something else.
    for (const contentType of [
      'application/strategic-merge-patch+json',
      'application/apply-patch+yaml',
      'application/json-patch+json',
    ]) {
      const swapped = await send(session, 'PATCH', path, { 'content-type': contentType }, patch);
      expect(swapped.status, contentType).toBe(403);
    }
    expect(world.api.object('configmaps', 'prod', 'cfg')?.['data']).toEqual({ a: '1' });
    // The approved request itself still runs.
    const approved = await send(
      session,
      'PATCH',
      path,
      { 'content-type': 'application/merge-patch+json' },
      patch,
    );
    expect(approved.status).toBe(200);
    expect(world.api.object('configmaps', 'prod', 'cfg')?.['data']).toEqual({ a: '2' });
  });
});

describe('fail closed', () => {
  it('when the recording sink fails, nothing goes upstream and the client sees no data', async () => {
    const failing = {
      append: () => Promise.reject(new Error('disk full')),
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    world = await startWorld({ recorder: createRecorder({ sink: failing }) });
    const session = world.gate.as(agent);
    const answer = await send(session, 'GET', '/api/v1/namespaces/prod/configmaps/app').catch(
      (e: unknown) => ({
        status: -1,
        body: String(e),
        headers: {},
      }),
    );
    expect(answer.status).not.toBe(200);
    expect(answer.body).not.toContain(world.secrets.token);
    expect(upstreamCalls(world.api)).toEqual([]);
  });
});
