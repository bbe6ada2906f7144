// Secrets are masked in every answer to a request for Secrets, whatever shape the answer takes
// (object, list, Table, PartialObjectMetadata, watch events of either) and whatever the
// request's path holds (a namespace or Secret named `log`, `proxy` or `watch`): the gate picks
// the relay and the masking from the request as it was classified, which reads `watch` as the
// API server does. An answer about Secrets that is not JSON is not shown at all. The passwords
// are made at run time and match no content detector, so only the Secret rule can hide them.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import {
  createMemoryApprovalStore,
  createMemorySink,
  createPortcullis,
  createRecorder,
  parsePolicy,
} from '@portcullis/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createKubeGate, type KubeGate, type KubeSession } from '../src/index.js';
import { agent, POLICY, startWorld, type World } from './fixtures.js';

const KUBECTL = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

/** A random password no content detector has a pattern for. */
function plainPassword(): string {
  return `pw-${randomBytes(18).toString('hex')}`;
}
const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** What `kubectl apply -f secret.yaml` leaves on a Secret: the manifest, its data included. */
function lastApplied(name: string, namespace: string, password: string): Record<string, string> {
  return {
    'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace },
      data: { blob: b64(password) },
      stringData: { other: password },
    }),
  };
}

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json';
const METADATA = 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io,application/json';

interface Answer {
  status: number;
  body: string;
  headers: IncomingMessage['headers'];
}

/** One request to the session's in-process (plain) listener; a connection cut short resolves with what came. */
function send(
  session: KubeSession<KubeConfig>,
  method: string,
  path: string,
  headers: Record<string, string | string[]> = {},
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
        headers: { authorization: `Bearer ${token}`, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        const done = (): void => {
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          });
        };
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', done);
        res.on('error', done);
        res.on('aborted', done);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

let world: World | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await world?.close();
  world = undefined;
  while (cleanups.length > 0) await cleanups.pop()?.();
});

describe('Secret masking against the stand-in', () => {
  it('a Table of Secrets (what `kubectl get secrets` asks for) hides the last-applied annotation of each row', async () => {
    world = await startWorld();
    const password = plainPassword();
    world.api.put({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'applied', namespace: 'prod', annotations: lastApplied('applied', 'prod', password) },
      data: { blob: b64(password) },
      type: 'Opaque',
    });
    const session = world.gate.as(agent);
    for (const path of ['/api/v1/namespaces/prod/secrets', '/api/v1/namespaces/prod/secrets/applied']) {
      const table = await send(session, 'GET', path, { accept: TABLE });
      expect(table.status, path).toBe(200);
      expect(table.body, path).toContain('PartialObjectMetadata');
      expect(table.body, path).toContain('[REDACTED:kubernetes-secret]');
      expect(table.body, path).not.toContain(b64(password));
      expect(table.body, path).not.toContain(password);
    }
  });

  it.skipIf(!KUBECTL)(
    '`kubectl get secret -v=9` (a Table request) prints no last-applied Secret data',
    async () => {
      world = await startWorld();
      const password = plainPassword();
      world.api.put({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: 'applied',
          namespace: 'prod',
          annotations: lastApplied('applied', 'prod', password),
        },
        data: { blob: b64(password) },
        type: 'Opaque',
      });
      const dir = await mkdtemp(join(tmpdir(), 'portcullis-k8s-secrets-'));
      const kubeconfig = join(dir, 'agent.kubeconfig');
      await world.gate.as(agent).writeKubeconfig(kubeconfig);
      const out = await new Promise<string>((resolve) => {
        execFile(
          'kubectl',
          ['--kubeconfig', kubeconfig, '-n', 'prod', 'get', 'secret', 'applied', '-v=9'],
          { timeout: 30_000, env: { PATH: process.env['PATH'] ?? '', HOME: dir } },
          (_error, stdout, stderr) => {
            resolve(stdout + stderr);
          },
        );
      });
      expect(out).toContain('applied');
      expect(out).not.toContain(b64(password));
      expect(out).not.toContain(password);
    },
  );

  it('a Secret in a namespace named `log` or `proxy`, or named `log` or `proxy`, is masked', async () => {
    world = await startWorld();
    const password = plainPassword();
    for (const [namespace, name] of [
      ['log', 'db'],
      ['proxy', 'db'],
      ['prod', 'log'],
      ['prod', 'proxy'],
    ] as const) {
      world.api.put({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace },
        data: { blob: b64(password) },
        type: 'Opaque',
      });
    }
    const session = world.gate.as(agent);
    for (const path of [
      '/api/v1/namespaces/log/secrets/db',
      '/api/v1/namespaces/log/secrets',
      '/api/v1/namespaces/proxy/secrets/db',
      '/api/v1/namespaces/prod/secrets/log',
      '/api/v1/namespaces/prod/secrets/proxy',
    ]) {
      const answer = await send(session, 'GET', path);
      expect(answer.status, path).toBe(200);
      expect(answer.body, path).toContain('[REDACTED:kubernetes-secret]');
      expect(answer.body, path).not.toContain(b64(password));
    }
  });

  it('a pod log is still relayed as text (the log relay is chosen by the classified subresource)', async () => {
    world = await startWorld();
    world.api.appendLog('prod', 'web-1', 'plain line\n');
    const answer = await send(world.gate.as(agent), 'GET', '/api/v1/namespaces/prod/pods/web-1/log');
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('plain line');
  });
});

// -------------------------------------------------------------------------------------------
// A fake upstream for the answers the stand-in does not give. It follows the real API server
// (k8s.io/apiserver) where that matters here, and nothing else:
// - pretty output (`handlers/negotiation`'s isPrettyPrint): the first `pretty` value when it is
//   not empty (Go's strconv.ParseBool), else a User-Agent starting with curl, Wget or
//   Mozilla/5.0; pretty JSON is indented over many lines. Watch streams are never pretty.
// - the query read as Go's url.ParseQuery reads it (pairs holding `;` dropped), and `watch` as
//   metav1 ListOptions decodes it: the first value counts, an empty value is true. Only a GET
//   on a collection is a watch; a GET on a named object is a get whatever its query.
// - a JSON watch served as plain `application/json`, one event per line.
// - Tables with the Secret printer's columns (Name, Type, Data, Age) and PartialObjectMetadata
//   rows carrying the object's metadata (annotations included); a Table watch names its
//   columns in its first event only. `as=PartialObjectMetadata(List)` answers with metadata.
// Two switches make it hostile: `extraColumn` adds a Table column holding a Secret value, and
// `broken` answers Secrets with text (or a watch line) that is not JSON and holds the value.
// -------------------------------------------------------------------------------------------
interface FakeApi {
  readonly url: string;
  readonly token: string;
  close(): Promise<void>;
}

interface FakeOptions {
  readonly extraColumn?: boolean;
  readonly broken?: 'text' | 'watch-line';
}

/** Go's url.ParseQuery (as URL.Query() uses it): `&`-separated pairs, pairs with `;` dropped. */
function goQuery(raw: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const pair of raw.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const decode = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
    const key = decode(eq === -1 ? pair : pair.slice(0, eq));
    const value = decode(eq === -1 ? '' : pair.slice(eq + 1));
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}

async function startFakeApi(password: string, options: FakeOptions = {}): Promise<FakeApi> {
  const token = `fake-${randomBytes(8).toString('hex')}`;
  const secret = (name: string, namespace: string): Record<string, unknown> => ({
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: {
      name,
      namespace,
      resourceVersion: '7',
      annotations: lastApplied(name, namespace, password),
    },
    data: { blob: b64(password) },
    type: 'Opaque',
  });
  const server: Server = createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401).end();
      return;
    }
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const path = q === -1 ? target : target.slice(0, q);
    const query = goQuery(q === -1 ? '' : target.slice(q + 1));
    const first = (key: string): string | undefined => query.get(key)?.[0];
    const prettyParam = first('pretty');
    const pretty =
      prettyParam !== undefined && prettyParam !== ''
        ? ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(prettyParam)
        : /^(curl|Wget|Mozilla\/5\.0)/.test(req.headers['user-agent'] ?? '');
    const accept = req.headers.accept ?? '';
    const send = (document: unknown): void => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(pretty ? `${JSON.stringify(document, null, 2)}\n` : JSON.stringify(document));
    };
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/]+))?\/?$/.exec(path);
    if (m === null) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"kind":"Status","code":404}');
      return;
    }
    const [, namespace = '', name] = m;
    if (options.broken === 'text') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`storage error reading ${b64(password)}`);
      return;
    }
    const items =
      name === undefined ? [secret('a', namespace), secret('b', namespace)] : [secret(name, namespace)];
    const metadataOf = (s: Record<string, unknown>): Record<string, unknown> => ({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: s['metadata'],
    });
    const table = (
      rows: readonly Record<string, unknown>[],
      withColumns: boolean,
    ): Record<string, unknown> => ({
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: '7' },
      ...(withColumns
        ? {
            columnDefinitions: [
              { name: 'Name', type: 'string', format: 'name' },
              { name: 'Type', type: 'string' },
              { name: 'Data', type: 'string' },
              { name: 'Age', type: 'string' },
              ...(options.extraColumn === true ? [{ name: 'Value', type: 'string' }] : []),
            ],
          }
        : { columnDefinitions: [] }),
      rows: rows.map((s) => ({
        cells: [
          (s['metadata'] as { name: string }).name,
          'Opaque',
          1,
          '5m',
          ...(options.extraColumn === true ? [b64(password)] : []),
        ],
        object: metadataOf(s),
      })),
    });
    // A GET on a collection is a watch when the first `watch` value is not 0 or false.
    const watch = first('watch');
    if (name === undefined && watch !== undefined && watch !== '0' && watch.toLowerCase() !== 'false') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      items.forEach((s, i) => {
        const object = accept.includes('as=Table') ? table([s], i === 0) : s;
        res.write(`${JSON.stringify({ type: 'ADDED', object })}\n`);
      });
      // The broken line comes a moment later, after the events before it were shown.
      if (options.broken === 'watch-line') setTimeout(() => res.write(`not json: ${b64(password)}\n`), 50);
      setTimeout(() => res.end(), 100);
      return;
    }
    if (accept.includes('as=Table')) {
      send(table(items, true));
      return;
    }
    if (accept.includes('as=PartialObjectMetadataList') && name === undefined) {
      send({
        kind: 'PartialObjectMetadataList',
        apiVersion: 'meta.k8s.io/v1',
        metadata: {},
        items: items.map(metadataOf),
      });
      return;
    }
    if (accept.includes('as=PartialObjectMetadata') && name !== undefined) {
      send(metadataOf(items[0] as Record<string, unknown>));
      return;
    }
    if (name !== undefined) {
      send(items[0]);
      return;
    }
    send({
      kind: 'SecretList',
      apiVersion: 'v1',
      metadata: { resourceVersion: '7' },
      items: items.map(({ kind: _kind, apiVersion: _apiVersion, ...rest }) => rest),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`,
    token,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A session of a gate in front of a fake upstream holding Secrets with `password`. */
async function fakeSession(password: string, options?: FakeOptions): Promise<KubeSession<KubeConfig>> {
  const api = await startFakeApi(password, options);
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: api.url, skipTLSVerify: true }],
    users: [{ name: 'host', token: api.token }],
    contexts: [{ name: 'host', cluster: 'fake', user: 'host' }],
    currentContext: 'host',
  });
  const portcullis = await createPortcullis({
    policy: parsePolicy(POLICY),
    approvals: createMemoryApprovalStore(),
    recorder: createRecorder({ sink: createMemorySink() }),
  });
  const gate: KubeGate<KubeConfig> = await createKubeGate({
    kubeConfig: kc,
    portcullis,
    target: 'prod-cluster',
  });
  cleanups.push(async () => {
    await gate.close();
    await api.close();
  });
  return gate.as(agent);
}

function expectNoSecret(answer: Answer, password: string, what: string): void {
  expect(answer.body, what).not.toContain(b64(password));
  expect(answer.body, what).not.toContain(password);
}

describe('Secret masking against answers the stand-in does not give', () => {
  it('a get and a list of Secrets are masked, the last-applied annotation included', async () => {
    const password = plainPassword();
    const session = await fakeSession(password);
    for (const path of ['/api/v1/namespaces/prod/secrets/db', '/api/v1/namespaces/prod/secrets']) {
      const answer = await send(session, 'GET', path);
      expect(answer.status, path).toBe(200);
      expect(answer.body, path).toContain('[REDACTED:kubernetes-secret]');
      expectNoSecret(answer, password, path);
    }
  });

  it('PartialObjectMetadata and PartialObjectMetadataList of Secrets hide the last-applied annotation', async () => {
    const password = plainPassword();
    const session = await fakeSession(password);
    for (const [path, accept] of [
      ['/api/v1/namespaces/prod/secrets', METADATA_LIST],
      ['/api/v1/namespaces/prod/secrets/db', METADATA],
    ] as const) {
      const answer = await send(session, 'GET', path, { accept });
      expect(answer.status, path).toBe(200);
      expect(answer.body, path).toContain('PartialObjectMetadata');
      expectNoSecret(answer, password, path);
    }
  });

  it('a Table cell in a column that is not known to be safe is hidden; Name, Type, Data and Age are kept', async () => {
    const password = plainPassword();
    const session = await fakeSession(password, { extraColumn: true });
    const answer = await send(session, 'GET', '/api/v1/namespaces/prod/secrets', { accept: TABLE });
    expect(answer.status).toBe(200);
    expectNoSecret(answer, password, 'table');
    const table = JSON.parse(answer.body) as { rows: { cells: unknown[] }[] };
    // `Data` is a count of keys; a string there is hidden as well.
    expect(table.rows[0]?.cells).toEqual(['a', 'Opaque', 1, '5m', '[REDACTED:kubernetes-secret]']);
  });

  it('a Table watch of Secrets hides cells of columns named only in its first event', async () => {
    const password = plainPassword();
    const session = await fakeSession(password, { extraColumn: true });
    const answer = await send(session, 'GET', '/api/v1/namespaces/prod/secrets?watch=true', {
      accept: TABLE,
    });
    expect(answer.status).toBe(200);
    const events = answer.body.trim().split('\n');
    expect(events).toHaveLength(2);
    expectNoSecret(answer, password, 'table watch');
    const second = JSON.parse(events[1] ?? '') as { object: { rows: { cells: unknown[] }[] } };
    expect(second.object.rows[0]?.cells).toEqual(['b', 'Opaque', 1, '5m', '[REDACTED:kubernetes-secret]']);
  });

  // Each of these is a get or list for the API server, answered as pretty (multi-line) JSON; a
  // gate that took them for a watch would relay them line by line.
  it.each([
    [
      '`?watch=1&pretty=true` on a named Secret (a get)',
      '/api/v1/namespaces/prod/secrets/db?watch=1&pretty=true',
      {},
    ],
    [
      '`?watch=0&watch=1&pretty=true` (the first value counts: a list)',
      '/api/v1/namespaces/prod/secrets?watch=0&watch=1&pretty=true',
      {},
    ],
    [
      '`?watch=1;&pretty=true` (a pair with `;` is dropped: a list)',
      '/api/v1/namespaces/prod/secrets?watch=1;&pretty=true',
      {},
    ],
    [
      'a namespace named `watch`, with curl’s User-Agent',
      '/api/v1/namespaces/watch/secrets',
      { 'user-agent': 'curl/8.5.0' },
    ],
    [
      'a Secret named `watch`, with a browser’s User-Agent',
      '/api/v1/namespaces/prod/secrets/watch',
      { 'user-agent': 'Mozilla/5.0 (X11)' },
    ],
  ])('%s is masked', async (_name, path, headers) => {
    const password = plainPassword();
    const session = await fakeSession(password);
    const answer = await send(session, 'GET', path, headers);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('[REDACTED:kubernetes-secret]');
    expectNoSecret(answer, password, path);
  });

  it.each([
    ['`?watch=` (an empty value is true)', '/api/v1/namespaces/prod/secrets?watch=&timeoutSeconds=1'],
    ['`?watch=1&watch=0` (the first value counts)', '/api/v1/namespaces/prod/secrets?watch=1&watch=0'],
    ['`?watch` (no value)', '/api/v1/namespaces/prod/secrets?watch'],
  ])('%s streams masked Secret events', async (_name, path) => {
    const password = plainPassword();
    const session = await fakeSession(password);
    const answer = await send(session, 'GET', path);
    expect(answer.status).toBe(200);
    const events = answer.body.trim().split('\n');
    expect(events).toHaveLength(2);
    expect(events.every((e) => (JSON.parse(e) as { type: string }).type === 'ADDED')).toBe(true);
    expectNoSecret(answer, password, path);
  });

  it('an answer about Secrets that is not JSON is not shown, whatever its content type', async () => {
    const password = plainPassword();
    const session = await fakeSession(password, { broken: 'text' });
    const answer = await send(session, 'GET', '/api/v1/namespaces/prod/secrets/db');
    expect(answer.status).toBe(502);
    expectNoSecret(answer, password, 'text answer');
  });

  it('a watch event line that is not JSON ends the watch; nothing of it is shown', async () => {
    const password = plainPassword();
    const session = await fakeSession(password, { broken: 'watch-line' });
    const answer = await send(session, 'GET', '/api/v1/namespaces/prod/secrets?watch=true');
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('ADDED');
    expectNoSecret(answer, password, 'watch');
  });
});
