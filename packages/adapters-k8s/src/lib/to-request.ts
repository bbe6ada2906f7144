import type { GateRequest, KubeRequest } from '@portcullis/core';
import type { KubeCall } from './kube-call.js';

/**
 * The request the policy decides on for a call at the gate: its method, its target exactly as
 * received, the headers that go upstream (repeats kept), and its exact body bytes. An upgrade whose target
 * a WebSocket client library would normalise before sending (dot segments, characters it
 * escapes) is refused, so what is classified is always what goes upstream.
 *
 * @example
 * ```ts
 * toRequest({ kind: 'http', method: 'GET', path: '/api/v1/pods', headers: {}, body: Buffer.alloc(0), response });
 * // → { request: { type: 'kube', method: 'GET', path: '/api/v1/pods', headers: {} }, key: '["GET","/api/v1/pods",{}]' }
 * ```
 */
export function toRequest(call: KubeCall): GateRequest {
  const request: KubeRequest = {
    type: 'kube',
    method: call.method,
    path: call.path,
    headers: call.headers,
    ...(call.kind === 'http' && call.body.length > 0 ? { body: new Uint8Array(call.body) } : {}),
  };
  if (call.kind === 'upgrade' && !sentAsIs(call.path)) {
    return {
      request,
      refuse: 'the upgrade target is not in the canonical form a WebSocket client would send',
    };
  }
  // The classifier reads the method, the target and the headers, never the body: the plan is
  // keyed by exactly those (JSON, so no two requests share a key), which is cheaper than the
  // canonical JSON of the whole request the gate runtime would otherwise build per call.
  return { request, key: JSON.stringify([call.method, call.path, call.headers]) };
}

/** Whether a URL library would send `path` unchanged. */
function sentAsIs(path: string): boolean {
  if (!path.startsWith('/') || path.startsWith('//')) return false;
  try {
    const url = new URL(path, 'http://gate.invalid');
    return url.pathname + url.search === path;
  } catch {
    return false;
  }
}
