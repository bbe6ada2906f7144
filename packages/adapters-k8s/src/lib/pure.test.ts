import { classifyKubeRequest, DeniedError, ReviewRequiredError, type Decision } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import type { KubeCall } from './kube-call.js';
import { kubeJsonMasker, maskKubeJson, SECRET_VALUE } from './mask-kube-json.js';
import { forwardedHeaders } from './request-headers.js';
import { responsePlan } from './response-plan.js';
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

  it('for a Secrets request, hides Secret data in every object whatever its kind: Tables, PartialObjectMetadata, events', () => {
    const annotations = {
      'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"k":"dg=="}}',
      keep: 'me',
    };
    const hidden = { 'kubectl.kubernetes.io/last-applied-configuration': SECRET_VALUE, keep: 'me' };
    const partial = {
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { name: 's', annotations },
    };
    const maskedPartial = { ...partial, metadata: { name: 's', annotations: hidden } };
    expect(maskKubeJson(partial, keep, true)).toEqual(maskedPartial);
    expect(maskKubeJson({ kind: 'PartialObjectMetadataList', items: [partial] }, keep, true)).toEqual({
      kind: 'PartialObjectMetadataList',
      items: [maskedPartial],
    });
    expect(maskKubeJson({ type: 'MODIFIED', object: partial }, keep, true)).toEqual({
      type: 'MODIFIED',
      object: maskedPartial,
    });
    // Not a Secrets request: a PartialObjectMetadata is nobody's Secret.
    expect(maskKubeJson(partial, keep, false)).toBe(partial);
    // Data under any kind, and nested deeper than any Secret has it.
    expect(maskKubeJson({ kind: 'Other', spec: { data: { k: 'v' } } }, keep, true)).toEqual({
      kind: 'Other',
      spec: { data: { k: SECRET_VALUE } },
    });
  });

  it('keeps only the Table cells of Secret columns that hold no value (Name, Type, Data count, Age)', () => {
    const columnDefinitions = ['Name', 'Type', 'Data', 'Age', 'Extra'].map((name) => ({
      name,
      type: 'string',
    }));
    const row = (name: string, data: unknown): unknown => ({
      cells: [name, 'Opaque', data, '5m', 'c2VjcmV0'],
      object: { kind: 'PartialObjectMetadata', metadata: { name } },
    });
    const table = { kind: 'Table', columnDefinitions, rows: [row('a', 1), row('b', 'c2VjcmV0')] };
    const masked = maskKubeJson(table, keep, true) as { rows: { cells: unknown[] }[] };
    expect(masked.rows.map((r) => r.cells)).toEqual([
      ['a', 'Opaque', 1, '5m', SECRET_VALUE],
      ['b', 'Opaque', SECRET_VALUE, '5m', SECRET_VALUE],
    ]);
    // A Table watch names its columns in its first event only: the masker remembers them.
    const mask = kubeJsonMasker(keep, true);
    mask({ type: 'ADDED', object: table });
    const later = mask({
      type: 'ADDED',
      object: { kind: 'Table', columnDefinitions: [], rows: [row('c', 2)] },
    });
    expect((later as { object: { rows: { cells: unknown[] }[] } }).object.rows[0]?.cells).toEqual([
      'c',
      'Opaque',
      2,
      '5m',
      SECRET_VALUE,
    ]);
    // Columns never named: no cell can be told safe.
    const unnamed = maskKubeJson({ kind: 'Table', rows: [row('d', 3)] }, keep, true) as {
      rows: { cells: unknown[] }[];
    };
    expect(unnamed.rows[0]?.cells.every((c) => c === SECRET_VALUE)).toBe(true);
  });

  it('hides a member named __proto__ as a member, not by setting the prototype', () => {
    const odd = JSON.parse('{"metadata":{},"__proto__":{"data":{"k":"dg=="}}}') as object;
    const hidden = maskKubeJson(odd, keep, true) as Record<string, unknown>;
    expect(Object.getPrototypeOf(hidden)).toBe(Object.prototype);
    expect(JSON.stringify(hidden)).toBe(`{"metadata":{},"__proto__":{"data":{"k":"${SECRET_VALUE}"}}}`);
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

describe('responsePlan from the classified request', () => {
  // The relay and the Secret rule follow what the classifier made of the request, which reads
  // `watch` as the API server does: the first value counts, an empty value is true, a pair
  // holding `;` is dropped, and a GET on a named object is a get whatever its query.
  const plan = (method: string, path: string, headers: Record<string, string> = {}): string => {
    const p = responsePlan(classifyKubeRequest({ type: 'kube', method, path, headers }));
    return `${p.relay}${p.secrets ? ' secrets' : ''}`;
  };
  it.each([
    ['GET', '/api/v1/namespaces/prod/secrets', 'json secrets'],
    ['GET', '/api/v1/namespaces/prod/secrets/db', 'json secrets'],
    ['GET', '/api/v1/secrets', 'json secrets'],
    ['GET', '/api/v1/namespaces/log/secrets/db', 'json secrets'],
    ['GET', '/api/v1/namespaces/proxy/secrets', 'json secrets'],
    ['GET', '/api/v1/namespaces/prod/secrets/log', 'json secrets'],
    ['GET', '/api/v1/namespaces/prod/secrets/proxy', 'json secrets'],
    ['GET', '/api/v1/namespaces/watch/secrets', 'json secrets'],
    ['GET', '/api/v1/namespaces/prod/secrets/db?watch=1&pretty=true', 'json secrets'],
    ['GET', '/api/v1/namespaces/prod/secrets?watch=0&watch=1', 'json secrets'],
    ['GET', '/api/v1/namespaces/prod/secrets?watch=1;&pretty=true', 'json secrets'],
    ['GET', '/api/v1/namespaces/prod/secrets?watch=', 'watch secrets'],
    ['GET', '/api/v1/namespaces/prod/secrets?watch', 'watch secrets'],
    ['GET', '/api/v1/namespaces/prod/secrets?watch=1&watch=0', 'watch secrets'],
    ['GET', '/api/v1/watch/namespaces/prod/secrets', 'watch secrets'],
    ['GET', '/api/v1/namespaces/prod/secrets?fieldSelector=metadata.name%3Ddb&watch=true', 'watch secrets'],
    ['GET', '/apis/example.com/v1/namespaces/prod/secrets', 'json secrets'],
    ['GET', '/api/v1/namespaces/secrets', 'json'],
    ['GET', '/api/v1/namespaces/secrets/configmaps', 'json'],
    ['GET', '/api/v1/namespaces/prod/pods/web-1/log', 'text'],
    ['GET', '/api/v1/namespaces/log/pods/web-1/log', 'text'],
    ['GET', '/api/v1/namespaces/prod/services/web/proxy/metrics', 'text'],
    ['GET', '/api/v1/namespaces/prod/pods?watch=true', 'watch'],
    ['GET', '/api/v1/namespaces/prod/configmaps', 'json'],
    ['GET', '/version', 'json'],
    // Unknown requests may be anything, a Secret included.
    ['GET', '/api/v1/namespaces/prod/pods/x/../../secrets/db', 'json secrets'],
    ['GET', '/api/v1/namespaces/prod/configmaps', 'json secrets', { 'x-http-method-override': 'PUT' }],
  ] as [string, string, string, Record<string, string>?][])(
    '%s %s → %s',
    (method, path, expected, headers) => {
      expect(plan(method, path, headers)).toBe(expected);
    },
  );

  it('takes the request’s own action, not an impersonation or exec action after it', () => {
    expect(
      responsePlan([
        { operation: 'get', resource: 'namespaces/prod/secrets/db' },
        { operation: 'impersonate', resource: 'users/viewer' },
      ]),
    ).toEqual({ relay: 'json', secrets: true });
    expect(responsePlan([])).toEqual({ relay: 'json', secrets: true });
  });
});

describe('classification the gate relies on, as the API server’s request-info resolution reads it', () => {
  const ops = (method: string, path: string, headers: Record<string, string> = {}): string[] =>
    classifyKubeRequest({ type: 'kube', method, path, headers }).map((a) =>
      `${a.operation} ${a.resource ?? ''}`.trim(),
    );
  it.each([
    ['GET', '/api/v1/namespaces/prod/secrets?watch=', ['watch namespaces/prod/secrets']],
    ['GET', '/api/v1/namespaces/prod/secrets?watch=0&watch=1', ['list namespaces/prod/secrets']],
    ['GET', '/api/v1/namespaces/prod/secrets?watch=1;', ['list namespaces/prod/secrets']],
    ['GET', '/api/v1/namespaces/prod/secrets/db?watch=1', ['get namespaces/prod/secrets/db']],
    ['DELETE', '/api/v1/namespaces/prod/secrets', ['deletecollection namespaces/prod/secrets']],
    ['HEAD', '/api/v1/namespaces/prod/secrets', ['list namespaces/prod/secrets']],
    ['GET', '/api/v1/watch/secrets', ['watch secrets']],
    [
      'POST',
      '/api/v1/namespaces/prod/serviceaccounts/default/token',
      ['create namespaces/prod/serviceaccounts/default/token'],
    ],
    [
      'PATCH',
      '/api/v1/namespaces/prod/pods/web-1/ephemeralcontainers',
      ['patch namespaces/prod/pods/web-1/ephemeralcontainers'],
    ],
    ['POST', '/api/v1/nodes/n1/proxy/run/prod/web-1/app?cmd=id', ['proxy nodes/n1/proxy']],
    [
      'GET',
      '/api/v1/namespaces/prod/pods/web-1/attach?stdin=true',
      ['attach namespaces/prod/pods/web-1/attach', 'shell namespaces/prod/pods/web-1'],
    ],
    ['GET', '/api/v1/namespaces/prod/configmaps/%61pp', ['get namespaces/prod/configmaps/app']],
    ['GET', '/api/v1/namespaces/prod/configmaps/a%2Fb', ['unknown']],
    ['GET', '/api//v1/namespaces/prod/configmaps/app', ['unknown']],
    ['GET', '/api/v1/namespaces/prod/configmaps/app//', ['unknown']],
    ['GET', '/api/v1/namespaces/prod/pods/x/../../secrets/db', ['unknown']],
    ['GET', '/api/v1/namespaces/prod/pods/x/%2e%2e/secrets', ['unknown']],
  ] as [string, string, string[]][])('%s %s', (method, path, expected) => {
    expect(ops(method, path)).toEqual(expected);
  });

  it('classifies impersonation headers and refuses method overrides', () => {
    expect(ops('GET', '/api/v1/namespaces/prod/secrets', { 'impersonate-user': 'a,b' })).toContain(
      'impersonate users/a',
    );
    expect(ops('GET', '/api/v1/namespaces/prod/secrets', { 'X-HTTP-Method-Override': 'DELETE' })).toEqual([
      'unknown',
    ]);
  });
});
