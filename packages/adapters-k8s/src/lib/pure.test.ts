import { DeniedError, ReviewRequiredError, type Decision } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import type { KubeCall } from './kube-call.js';
import { maskKubeJson, SECRET_VALUE } from './mask-kube-json.js';
import { forwardedHeaders } from './request-headers.js';
import { outcomeStatus } from './status.js';
import { toRequest } from './to-request.js';

const keep = (d: unknown): unknown => d;

describe('forwardedHeaders', () => {
  it('keeps repeats in order, drops transport headers and narrows Accept to JSON', () => {
    expect(
      forwardedHeaders([
        'Authorization',
        'Bearer x',
        'Host',
        'gate',
        'Kubectl-Session',
        'abc',
        'Accept',
        'application/vnd.kubernetes.protobuf;as=Table;g=meta.k8s.io;v=v1,application/json;as=Table;g=meta.k8s.io;v=v1,application/json',
        'Accept-Encoding',
        'gzip',
        'Impersonate-Group',
        'a',
        'impersonate-group',
        'b',
        'Sec-WebSocket-Key',
        'k',
      ]),
    ).toEqual({
      accept: ['application/json;as=Table;g=meta.k8s.io;v=v1,application/json'],
      'impersonate-group': ['a', 'b'],
    });
  });

  it('asks for JSON when the client accepts only protobuf', () => {
    expect(forwardedHeaders(['Accept', 'application/vnd.kubernetes.protobuf'])).toEqual({
      accept: ['application/json'],
    });
  });
});

describe('maskKubeJson', () => {
  const secret = {
    kind: 'Secret',
    metadata: {
      name: 's',
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"k":"dg=="}}',
        keep: 'me',
      },
    },
    data: { k: 'dg==' },
    stringData: { t: 'v' },
  };

  it('hides every Secret value and its last-applied annotation, in objects, lists and watch events', () => {
    const masked = {
      kind: 'Secret',
      metadata: {
        name: 's',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': SECRET_VALUE, keep: 'me' },
      },
      data: { k: SECRET_VALUE },
      stringData: { t: SECRET_VALUE },
    };
    expect(maskKubeJson(secret, keep, false)).toEqual(masked);
    const { kind: _kind, ...item } = secret;
    const { kind: _k, ...maskedItem } = masked;
    expect(maskKubeJson({ kind: 'SecretList', items: [item] }, keep, false)).toEqual({
      kind: 'SecretList',
      items: [maskedItem],
    });
    expect(maskKubeJson({ type: 'ADDED', object: secret }, keep, false)).toEqual({
      type: 'ADDED',
      object: masked,
    });
    expect(
      maskKubeJson({ kind: 'List', items: [secret, { kind: 'ConfigMap', data: { k: 'v' } }] }, keep, false),
    ).toEqual({
      kind: 'List',
      items: [masked, { kind: 'ConfigMap', data: { k: 'v' } }],
    });
  });

  it('treats kind-less items as Secrets when the request was for secrets', () => {
    const { kind: _kind, ...item } = secret;
    expect(
      (maskKubeJson({ items: [item] }, keep, true) as { items: { data: unknown }[] }).items[0]?.data,
    ).toEqual({ k: SECRET_VALUE });
  });

  it('leaves its input as it was, and hands on what has no Secret in it as it is', () => {
    const before = JSON.stringify(secret);
    const list = { kind: 'List', items: [{ kind: 'Pod', metadata: { name: 'p' } }, secret] };
    const masked = maskKubeJson(list, keep, false) as typeof list;
    expect(JSON.stringify(secret)).toBe(before);
    expect(masked).not.toBe(list);
    expect(masked.items[0]).toBe(list.items[0]);
    expect(masked.items[1]).not.toBe(secret);
    const pod = { kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } };
    expect(maskKubeJson(pod, keep, false)).toBe(pod);
    // A member named __proto__ (JSON.parse makes it an own member) stays a member.
    const odd = JSON.parse('{"kind":"Secret","__proto__":{"x":1},"data":{"k":"dg=="}}') as object;
    const hidden = maskKubeJson(odd, keep, false) as Record<string, unknown>;
    expect(Object.getPrototypeOf(hidden)).toBe(Object.prototype);
    expect(Object.keys(hidden)).toEqual(['kind', '__proto__', 'data']);
    expect(hidden['data']).toEqual({ k: SECRET_VALUE });
  });

  it('runs the profile over the result', () => {
    expect(maskKubeJson({ kind: 'ConfigMap', data: { k: 'v' } }, () => 'masked', false)).toBe('masked');
  });
});

describe('toRequest', () => {
  const base = { method: 'GET', headers: {} };
  it('classifies the exact target and body bytes', () => {
    const body = Buffer.from([0x6b, 0x38, 0x73, 0x00, 0xff]);
    const call = {
      ...base,
      kind: 'http',
      path: '/api/v1/pods?x=%2F',
      body,
      response: {},
    } as unknown as KubeCall;
    expect(toRequest(call)).toEqual({
      request: {
        type: 'kube',
        method: 'GET',
        path: '/api/v1/pods?x=%2F',
        headers: {},
        body: new Uint8Array(body),
      },
      key: '["GET","/api/v1/pods?x=%2F",{}]',
    });
  });

  it('keys the plan by everything the classifier reads: method, target and every header', () => {
    const call = (method: string, path: string, headers: Record<string, string[]>): KubeCall =>
      ({ kind: 'http', method, path, headers, body: Buffer.alloc(0), response: {} }) as unknown as KubeCall;
    const keys = [
      toRequest(call('GET', '/api/v1/pods', {})).key,
      toRequest(call('DELETE', '/api/v1/pods', {})).key,
      toRequest(call('GET', '/api/v1/pods?watch=1', {})).key,
      toRequest(call('GET', '/api/v1/pods', { 'impersonate-user': ['admin'] })).key,
      toRequest(call('GET', '/api/v1/pods', { 'impersonate-user': ['admin', 'x'] })).key,
      toRequest(call('GET', '/api/v1/pods', { 'impersonate-user': ['admin,x'] })).key,
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('refuses upgrades whose target a URL library would rewrite', () => {
    for (const path of [
      '/api/v1/namespaces/p/pods/x/../y/exec',
      '/api/v1/namespaces/p/pods/x y/exec',
      '//evil/exec',
      '/a?',
    ]) {
      const call = { ...base, kind: 'upgrade', path, protocols: [] } as unknown as KubeCall;
      expect(toRequest(call).refuse, path).toMatch(/canonical/);
    }
    const ok = {
      ...base,
      kind: 'upgrade',
      path: '/api/v1/namespaces/p/pods/x/exec?command=ls&command=%2Ftmp',
      protocols: [],
    } as unknown as KubeCall;
    expect(toRequest(ok).refuse).toBeUndefined();
  });
});

describe('outcomeStatus', () => {
  const decision = {
    effect: 'review',
    rules: [],
    reasons: ['r'],
    actions: [],
    recordingRequired: false,
  } as unknown as Decision;
  it('is a 403 Forbidden Status; a review carries its approval id', () => {
    const review = outcomeStatus(new ReviewRequiredError('held; approval id ab12', decision, 'ab12'));
    expect(review).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
      message: 'held; approval id ab12',
    });
    expect(review.details?.causes).toContainEqual({
      reason: 'ERR_REVIEW_REQUIRED',
      message: 'ab12',
      field: 'approvalId',
    });
    expect(outcomeStatus(new DeniedError('no', { ...decision, effect: 'deny' }))).toMatchObject({
      code: 403,
      message: 'no',
    });
  });
});
