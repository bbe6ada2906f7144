import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeRequest } from '../types.js';
import { classifyKubeRequest } from './kubernetes.js';
import { classifyShellCommand, loadShellClassifier } from './shell.js';

beforeAll(async () => {
  await loadShellClassifier();
});

describe('classification caches', () => {
  it('answer a repeated shell command line from the cache, frozen', () => {
    const first = classifyShellCommand('ls -la | grep x');
    expect(classifyShellCommand('ls -la | grep x')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(first.every((a) => Object.isFrozen(a))).toBe(true);
    expect(classifyShellCommand('ls -la | grep y')).not.toBe(first);
  });

  it('answer a repeated Kubernetes call with plain headers from the cache', () => {
    const call: KubeRequest = { type: 'kube', method: 'GET', path: '/api/v1/pods', headers: { accept: 'x' } };
    const first = classifyKubeRequest(call);
    expect(classifyKubeRequest({ ...call, headers: { accept: 'x' } })).toBe(first);
    expect(
      classifyKubeRequest({ ...call, headers: { accept: 'x', 'Impersonate-User': 'admin' } }),
    ).toContainEqual({ operation: 'impersonate', resource: 'users/admin' });
  });

  it('classify headers that answer differently on each read afresh, never from a poisoned entry', () => {
    let reads = 0;
    const headers = {};
    Object.defineProperty(headers, 'Impersonate-User', {
      enumerable: true,
      get: () => (reads++ === 0 ? undefined : 'admin'),
    });
    const call = { type: 'kube', method: 'GET', path: '/api/v1/pods', headers } as KubeRequest;
    classifyKubeRequest(call);
    const plain = classifyKubeRequest({ type: 'kube', method: 'GET', path: '/api/v1/pods' });
    expect(plain).toEqual([{ operation: 'list', resource: 'pods' }]);
    const again = classifyKubeRequest({
      type: 'kube',
      method: 'GET',
      path: '/api/v1/pods',
      headers: { 'Impersonate-User': 'admin' },
    });
    expect(again).toContainEqual({ operation: 'impersonate', resource: 'users/admin' });
  });
});
