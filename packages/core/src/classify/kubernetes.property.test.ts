import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KubeRequest } from '../types.js';
import { OPERATION_VOCABULARY } from '../policy/vocabulary.js';
import { classifyKubeRequest } from './kubernetes.js';

// Every action must use the policy vocabulary: a name outside it could never be matched by a rule.
const OPERATIONS = new Set(OPERATION_VOCABULARY.kubernetes);
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

const segment = fc.oneof(
  fc.constantFrom(
    'api',
    'apis',
    'v1',
    'apps',
    'namespaces',
    'prod',
    'pods',
    'web',
    'exec',
    'proxy',
    'watch',
    'status',
    'log',
  ),
  fc.stringMatching(/^[a-z0-9][a-z0-9.:-]{0,10}$/),
  fc.constantFrom('..', '.', '', '%2f', '%2F', '%2e%2e', '%252f', '%', '%zz', 'a b', '\\', '#', '?'),
);
const randomPath = fc.array(segment, { maxLength: 9 }).map((s) => `/${s.join('/')}`);
const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom('?watch=true', '?watch=0', '?watch', '?dryRun=All', '?command=sh&stdin=1', '?a=%zz;b'),
);

const wellFormed = (request: KubeRequest): void => {
  const actions = classifyKubeRequest(request);
  expect(actions.length).toBeGreaterThan(0);
  for (const a of actions) {
    expect(OPERATIONS.has(a.operation)).toBe(true);
    if (a.operation === 'unknown') continue;
    expect(a.resource).toBeTypeOf('string');
    // Impersonated names are opaque strings; API paths never carry a segment the server
    // could resolve differently.
    if (a.operation === 'impersonate') continue;
    expect(a.resource).not.toMatch(/(^|\/)\.\.?(\/|$)|\/\/|%/);
  }
};

describe('classifyKubeRequest properties', () => {
  it('never throws and returns well-formed actions for any method, path and headers', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...METHODS, 'get', 'OPTIONS', ''), fc.string()),
        fc.oneof(
          fc.tuple(randomPath, query).map(([p, q]) => p + q),
          fc.string(),
        ),
        fc.dictionary(
          fc.oneof(
            fc.constantFrom('Impersonate-User', 'impersonate-group', 'Impersonate-Extra-x', 'Accept'),
            fc.string(),
          ),
          fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 })),
          { maxKeys: 3 },
        ),
        (method, path, headers) => {
          wellFormed({ type: 'kube', method, path, headers });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('dot segments, empty segments and encoded separators are always unknown', () => {
    const bad = fc.constantFrom('..', '.', '', '%2f', '%2F', '%2e', '%2E%2E', '%252f', '%5c');
    fc.assert(
      fc.property(
        fc.constantFrom(...METHODS),
        fc.array(fc.constantFrom('api', 'v1', 'namespaces', 'prod', 'pods', 'web'), {
          minLength: 1,
          maxLength: 5,
        }),
        bad,
        fc.nat(),
        (method, segments, badSegment, at) => {
          const parts: string[] = [...segments];
          parts.splice(at % (parts.length + 1), 0, badSegment);
          // A trailing empty segment is a trailing slash, which Go trims: keep the bad one inside.
          if (badSegment === '' && at % parts.length === parts.length - 1) parts.push('x');
          const result = classifyKubeRequest({ type: 'kube', method, path: `/${parts.join('/')}` });
          expect(result).toEqual([{ operation: 'unknown' }]);
        },
      ),
    );
  });

  it('methods outside the API server verbs are unknown', () => {
    fc.assert(
      fc.property(
        fc.string().filter((m) => !METHODS.includes(m.toUpperCase())),
        fc.constantFrom('/api/v1/pods', '/version', '/api/v1/namespaces/p/pods/w/exec'),
        (method, path) => {
          expect(classifyKubeRequest({ type: 'kube', method, path })).toEqual([{ operation: 'unknown' }]);
        },
      ),
    );
  });

  it('every impersonated user and group shows up as an action', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9:-]{0,12}$/);
    fc.assert(
      fc.property(name, fc.array(name, { maxLength: 4 }), (user, groups) => {
        const actions = classifyKubeRequest({
          type: 'kube',
          method: 'GET',
          path: '/api/v1/pods',
          headers: { 'impersonate-user': user, 'Impersonate-Group': groups },
        });
        expect(actions).toContainEqual({ operation: 'impersonate', resource: `users/${user}` });
        for (const g of groups)
          expect(actions).toContainEqual({ operation: 'impersonate', resource: `groups/${g}` });
      }),
    );
  });
  it('headers give the same actions as a record, a Map or a fetch Headers object', () => {
    const name = fc.constantFrom(
      'Impersonate-User',
      'impersonate-group',
      'Impersonate-Uid',
      'Accept',
      'X-Trace',
    );
    const value = fc.stringMatching(/^[a-z][a-z0-9:-]{0,12}$/);
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 4 }), (record) => {
        const base = { type: 'kube', method: 'GET', path: '/api/v1/pods' } as const;
        // Headers lower-cases names and joins repeats; the record has unique keys, so only order
        // can differ.
        const sorted = (r: unknown) =>
          [...classifyKubeRequest({ ...base, headers: r } as unknown as KubeRequest)].sort((a, b) =>
            JSON.stringify(a).localeCompare(JSON.stringify(b)),
          );
        const expected = sorted(record);
        expect(sorted(new Map(Object.entries(record)))).toEqual(expected);
        expect(sorted(new Headers(record))).toEqual(expected);
      }),
    );
  });

  it('a method override header always makes the request itself unknown', () => {
    const override = fc.constantFrom('X-HTTP-Method-Override', 'x-http-method', 'X-Method-Override');
    fc.assert(
      fc.property(
        fc.constantFrom(...METHODS),
        fc.tuple(randomPath, query).map(([p, q]) => p + q),
        override,
        fc.constantFrom(...METHODS),
        (method, path, header, other) => {
          const actions = classifyKubeRequest({ type: 'kube', method, path, headers: { [header]: other } });
          expect(actions).toEqual([{ operation: 'unknown' }]);
        },
      ),
    );
  });
});
