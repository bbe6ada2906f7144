import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Principal, Request } from '../types.js';
import { canonicalJson } from '../record/canonical-json.js';
import { canonicalRequest, hashRequest, hashScope, shownRequest } from './hash-request.js';

const alice: Principal = { subject: 'alice', groups: ['analysts'], kind: 'human' };
const aliceViaCopilot: Principal = { ...alice, kind: 'agent', actor: 'copilot' };
const sql = (text: string): Request => ({ type: 'sql', sql: text });

describe('canonicalJson', () => {
  it.each([
    [{ b: 1, a: [2, { d: 3, c: 4 }] }, '{"a":[2,{"c":4,"d":3}],"b":1}'],
    [{ x: undefined, y: null }, '{"y":null}'],
    ['a"b', '"a\\"b"'],
    [[true, 1.5], '[true,1.5]'],
  ])('encodes %j as %s', (value, text) => {
    expect(canonicalJson(value)).toBe(text);
  });

  it.each([[Infinity], [NaN], [undefined], [1n], [() => 1]])('refuses %s', (value) => {
    expect(() => canonicalJson(value)).toThrow(TypeError);
  });

  it('does not depend on key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(record));
      }),
    );
  });
});

describe('canonicalRequest', () => {
  it.each<[Request, Record<string, unknown>]>([
    [sql(' SELECT 1 '), { type: 'sql', sql: ' SELECT 1 ' }],
    [
      { type: 'command', command: 'ls  -la' },
      { type: 'command', command: 'ls  -la' },
    ],
    [{ type: 'shell' }, { type: 'shell' }],
    [
      { type: 'command', command: 'bash', env: { A: '1' }, stdin: { sha256: 'ab', bytes: 2 }, pty: false },
      { type: 'command', command: 'bash', env: { A: '1' }, stdinSha256: 'ab', pty: false },
    ],
    [
      { type: 'shell', pty: true },
      { type: 'shell', pty: true },
    ],
    [
      { type: 'sftp', mode: 'write', path: '/a', operation: 'rename', to: '/b' },
      { type: 'sftp', mode: 'write', path: '/a', operation: 'rename', to: '/b' },
    ],
    [
      {
        type: 'sftp',
        mode: 'write',
        path: '/a',
        operation: 'writeFile',
        contentSha256: 'cd',
        permissions: 0o600,
      },
      {
        type: 'sftp',
        mode: 'write',
        path: '/a',
        operation: 'writeFile',
        contentSha256: 'cd',
        permissions: 0o600,
      },
    ],

    [
      { type: 'sftp', mode: 'write', path: '/etc/x' },
      { type: 'sftp', mode: 'write', path: '/etc/x' },
    ],
    [
      { type: 'forward', host: 'db.internal', port: 5432 },
      { type: 'forward', to: 'db.internal:5432' },
    ],
    [
      {
        type: 'kube',
        method: 'delete',
        path: '/api/v1/nodes/n1',
        headers: { 'User-Agent': 'kubectl', 'Impersonate-Group': ['b', 'a'], 'impersonate-user': 'root' },
      },
      {
        type: 'kube',
        method: 'DELETE',
        path: '/api/v1/nodes/n1',
        impersonate: [
          ['impersonate-group', ['a', 'b']],
          ['impersonate-user', ['root']],
        ],
      },
    ],
  ])('%j → %j', (request, canonical) => {
    expect(canonicalRequest(request)).toEqual(canonical);
  });

  it('refuses what is not a request', () => {
    expect(() => canonicalRequest({ type: 'ftp' } as unknown as Request)).toThrow(TypeError);
  });
});

describe('hashRequest', () => {
  const base = { principal: alice, target: 'warehouse', request: sql('DELETE FROM orders WHERE id = 1') };

  it('is 64 hex digits and stable', () => {
    expect(hashRequest(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashRequest({ ...base, principal: { ...alice, groups: ['other'] } })).toBe(hashRequest(base));
  });

  it('changes with the subject, the actor chain and the target', () => {
    const hashes = new Set([
      hashRequest(base),
      hashRequest({ ...base, principal: { ...alice, subject: 'bob' } }),
      hashRequest({ ...base, principal: aliceViaCopilot }),
      hashRequest({ ...base, principal: { ...aliceViaCopilot, actorChain: ['copilot', 'orchestrator'] } }),
      hashRequest({ ...base, target: 'warehouse-2' }),
    ]);
    expect(hashes.size).toBe(5);
  });

  it('treats actor and a one-element actorChain alike', () => {
    expect(hashRequest({ ...base, principal: { ...aliceViaCopilot, actorChain: ['copilot'] } })).toBe(
      hashRequest({ ...base, principal: aliceViaCopilot }),
    );
  });

  it('ignores kube headers other than impersonation, and header name case and order', () => {
    const kube = (headers: Record<string, string | string[]>, method = 'PATCH'): string =>
      hashRequest({ ...base, request: { type: 'kube', method, path: '/api/v1/nodes/n1', headers } });
    expect(kube({ 'Impersonate-User': 'root', 'User-Agent': 'a' }, 'patch')).toBe(
      kube({ 'user-agent': 'b', 'impersonate-user': 'root' }),
    );
    expect(kube({ 'Impersonate-User': 'root' })).not.toBe(kube({ 'Impersonate-User': 'rooT' }));
    expect(kube({})).not.toBe(kube({ 'Impersonate-Group': 'system:masters' }));
  });

  it('binds a kube request to its body', () => {
    const patch = (body?: string): string =>
      hashRequest({
        ...base,
        request: {
          type: 'kube',
          method: 'PATCH',
          path: '/apis/apps/v1/namespaces/prod/deployments/web',
          ...(body === undefined ? {} : { body }),
        },
      });
    expect(patch('{"spec":{"replicas":3}}')).not.toBe(patch('{"spec":{"replicas":30}}'));
    expect(patch('{"spec":{"replicas":3}}')).not.toBe(patch());
    expect(patch('{"spec":{"replicas":3}}')).toBe(patch('{"spec":{"replicas":3}}'));
  });

  it('binds a kube request to its media type, in one spelling', () => {
    const body = '{"data":{"a":"2"}}';
    const patch = (headers: Record<string, string | string[]>): string =>
      hashRequest({
        ...base,
        request: {
          type: 'kube',
          method: 'PATCH',
          path: '/api/v1/namespaces/prod/configmaps/cfg',
          headers,
          body,
        },
      });
    const merge = patch({ 'content-type': 'application/merge-patch+json' });
    // The same bytes as another kind of patch, or as server-side apply, are another request.
    expect(patch({ 'content-type': 'application/strategic-merge-patch+json' })).not.toBe(merge);
    expect(patch({ 'content-type': 'application/apply-patch+yaml' })).not.toBe(merge);
    expect(patch({ 'content-type': 'application/json-patch+json' })).not.toBe(merge);
    expect(patch({})).not.toBe(merge);
    expect(
      patch({ 'content-type': ['application/merge-patch+json', 'application/apply-patch+yaml'] }),
    ).not.toBe(merge);
    // Spellings of one media type are one request.
    expect(patch({ 'Content-Type': 'Application/Merge-Patch+JSON' })).toBe(merge);
    const charset = patch({ 'content-type': 'application/merge-patch+json; charset=utf-8' });
    expect(charset).not.toBe(merge);
    expect(patch({ 'content-type': 'application/merge-patch+json;Charset="UTF-8"' })).toBe(charset);
    expect(patch({ 'content-type': ' application/merge-patch+json ;  charset = utf-8 ;' })).toBe(charset);
    expect(
      canonicalRequest({
        type: 'kube',
        method: 'PATCH',
        path: '/p',
        headers: { 'Content-Type': 'application/apply-patch+yaml; b=2; A="1"' },
      })['contentType'],
    ).toEqual(['application/apply-patch+yaml;a=1;b=2']);
  });

  it('binds a kube request to the exact bytes of a binary body (protobuf)', () => {
    const path = '/api/v1/namespaces/prod/configmaps';
    const post = (body: string | Uint8Array): string =>
      hashRequest({ ...base, request: { type: 'kube', method: 'POST', path, body } });
    // k8s\0 magic, then bytes that are not UTF-8: a lossy text decoding would make these equal.
    const a = Uint8Array.from([0x6b, 0x38, 0x73, 0x00, 0xff, 0x01]);
    const b = Uint8Array.from([0x6b, 0x38, 0x73, 0x00, 0xfe, 0x01]);
    expect(post(a)).not.toBe(post(b));
    expect(post(a)).toBe(post(Buffer.from(a)));
    expect(post(a)).toBe(post(Uint8Array.from(a)));
    // The same bytes sent as text or as bytes are the same request.
    expect(post('{"a":"é"}')).toBe(post(new TextEncoder().encode('{"a":"é"}')));
    // A view onto part of a larger buffer covers only its own bytes.
    const big = Uint8Array.from([9, 9, ...a, 9]);
    expect(post(big.subarray(2, 2 + a.length))).toBe(post(a));
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (bytes, at, delta) => {
          const other = Uint8Array.from(bytes);
          const i = at % other.length;
          other[i] = ((other[i] ?? 0) + delta) % 256;
          expect(post(other)).not.toBe(post(bytes));
        },
      ),
    );
  });

  it('reads impersonation headers given as a Map or a fetch Headers object', () => {
    const kube = (headers: unknown): string =>
      hashRequest({
        ...base,
        request: { type: 'kube', method: 'GET', path: '/api/v1/pods', headers } as unknown as Request,
      });
    const plain = kube({ 'Impersonate-User': 'root' });
    expect(kube(new Map([['Impersonate-User', 'root']]))).toBe(plain);
    expect(kube(new Headers({ 'Impersonate-User': 'root' }))).toBe(plain);
    expect(kube(new Map())).not.toBe(plain);
  });

  it('differs for texts differing by one character', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.nat(),
        fc.string({ minLength: 1, maxLength: 1 }),
        (text, at, ch) => {
          const i = at % text.length;
          const other = text.slice(0, i) + ch + text.slice(i + 1);
          fc.pre(other !== text);
          expect(hashRequest({ ...base, request: sql(other) })).not.toBe(
            hashRequest({ ...base, request: sql(text) }),
          );
          expect(hashRequest({ ...base, request: { type: 'command', command: other } })).not.toBe(
            hashRequest({ ...base, request: { type: 'command', command: text } }),
          );
        },
      ),
    );
  });
});

describe('hashScope', () => {
  it('binds subject, actors and target but not the request', () => {
    const scope = hashScope({ principal: alice, target: 'warehouse' });
    expect(scope).toMatch(/^[0-9a-f]{64}$/);
    expect(hashScope({ principal: aliceViaCopilot, target: 'warehouse' })).not.toBe(scope);
    expect(hashScope({ principal: alice, target: 'bastion' })).not.toBe(scope);
    expect(scope).not.toBe(
      hashRequest({ principal: alice, target: 'warehouse', request: { type: 'shell' } }),
    );
  });
});

describe('SQL parameter values', () => {
  const base = { principal: alice, target: 'warehouse' };
  it('bind the approval: other values hash differently; none and [] hash as before', () => {
    const text = 'DELETE FROM t WHERE id = $1';
    const plain = hashRequest({ ...base, request: { type: 'sql', sql: text } });
    expect(hashRequest({ ...base, request: { type: 'sql', sql: text, params: [] } })).toBe(plain);
    const one = hashRequest({ ...base, request: { type: 'sql', sql: text, params: ['1'] } });
    expect(one).not.toBe(plain);
    expect(hashRequest({ ...base, request: { type: 'sql', sql: text, params: ['2'] } })).not.toBe(one);
    expect(hashRequest({ ...base, request: { type: 'sql', sql: text, params: [null] } })).not.toBe(
      hashRequest({ ...base, request: { type: 'sql', sql: text, params: ['null'] } }),
    );
  });

  it('are not shown or kept', () => {
    expect(shownRequest({ type: 'sql', sql: 'SELECT $1', params: ['x'] })).toEqual({
      type: 'sql',
      sql: 'SELECT $1',
    });
    const command = { type: 'command', command: 'ls' } as const;
    expect(shownRequest(command)).toBe(command);
  });
});

describe('a binary kube body as shown and kept', () => {
  const path = '/api/v1/namespaces/prod/configmaps';
  it('is its text when the bytes are UTF-8, so it reads (and records) like a text body', () => {
    const body = new TextEncoder().encode('{"kind":"ConfigMap"}');
    expect(shownRequest({ type: 'kube', method: 'POST', path, body })).toEqual({
      type: 'kube',
      method: 'POST',
      path,
      body: '{"kind":"ConfigMap"}',
    });
  });

  it('is base64, marked, and the same for a Buffer and a Uint8Array, when it is not text', () => {
    const bytes = Uint8Array.from([0x6b, 0x38, 0x73, 0x00, 0xff]);
    const shown = shownRequest({ type: 'kube', method: 'POST', path, body: bytes });
    expect(shown).toEqual({
      type: 'kube',
      method: 'POST',
      path,
      body: '[binary body: 5 bytes, base64] azhzAP8=',
    });
    expect(
      canonicalJson(shownRequest({ type: 'kube', method: 'POST', path, body: Buffer.from(bytes) })),
    ).toBe(canonicalJson(shown));
  });
});
