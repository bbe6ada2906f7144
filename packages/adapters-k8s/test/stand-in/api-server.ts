// A Kubernetes API server stand-in for tests and benchmarks. No real API server can run on the
// machines these tests run on, so this follows the real API's observable behaviour closely
// enough for real clients (`kubectl`, `@kubernetes/client-node`) to work against it:
// discovery documents, CRUD with resourceVersion and conflicts, `Status` errors, Table output
// for kubectl, watch streams (with replay from a resourceVersion and `410 Gone`), log streams
// with `follow`, exec and attach over the v4/v5 WebSocket channel protocol, port-forward over
// the WebSocket channel protocol (client-node) and over SPDY/3.1 tunnelled in WebSocket (kubectl;
// see spdy-port-forward.ts), and proxy subresources. It is a stand-in, not an emulator:
// admission, RBAC, server-side apply and protobuf are not implemented.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { serveSpdyPortForward, type PodPort } from './spdy-port-forward.js';
import { readTar, writeTar } from './tar.js';

/** One resource type the stand-in serves. */
interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly name: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly short?: readonly string[];
}

const RESOURCES: readonly ResourceType[] = [
  { group: '', version: 'v1', name: 'pods', kind: 'Pod', namespaced: true, short: ['po'] },
  { group: '', version: 'v1', name: 'secrets', kind: 'Secret', namespaced: true },
  { group: '', version: 'v1', name: 'configmaps', kind: 'ConfigMap', namespaced: true, short: ['cm'] },
  { group: '', version: 'v1', name: 'services', kind: 'Service', namespaced: true, short: ['svc'] },
  { group: '', version: 'v1', name: 'namespaces', kind: 'Namespace', namespaced: false, short: ['ns'] },
  { group: '', version: 'v1', name: 'nodes', kind: 'Node', namespaced: false, short: ['no'] },
  {
    group: 'apps',
    version: 'v1',
    name: 'deployments',
    kind: 'Deployment',
    namespaced: true,
    short: ['deploy'],
  },
];

const SUBRESOURCES: Readonly<Record<string, readonly string[]>> = {
  pods: ['log', 'exec', 'attach', 'portforward', 'proxy', 'ephemeralcontainers', 'status'],
  services: ['proxy'],
  nodes: ['proxy'],
  namespaces: ['status'],
  deployments: ['status', 'scale'],
};

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const CHANNEL_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
/** kubectl's port-forward: SPDY/3.1 frames inside WebSocket binary messages. */
const SPDY_PORT_FORWARD = 'SPDY/3.1+portforward.k8s.io';
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Test hook: reads of an object with this annotation fail with its value as the message. */
export const FAIL_ANNOTATION = 'stand-in.portcullis.dev/fail-with';

/** What the stand-in received: every request and upgrade, before authentication. */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A program run by exec: gets the argv and stdin, writes stdout/stderr, returns an exit code. */
export type StandInProgram = (io: ProgramIo) => Promise<number> | number;

/** The streams of one exec or attach. */
export interface ProgramIo {
  readonly argv: readonly string[];
  readonly pod: { readonly namespace: string; readonly name: string };
  readonly files: Map<string, Buffer>;
  readonly tty: boolean;
  stdout(data: string | Buffer): void;
  stderr(data: string | Buffer): void;
  /** Resolves with all of stdin once the client closes it. */
  stdin(): Promise<Buffer>;
  /** Every chunk of stdin as it arrives; ends when stdin closes. */
  stdinChunks(): AsyncIterable<Buffer>;
  /** Terminal sizes the client sent on the resize channel. */
  readonly resizes: unknown[];
}

/** A running stand-in. */
export interface StandInApiServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The bearer token it accepts; anything else is `401`. */
  readonly token: string;
  /** Every request and upgrade received, in order. */
  readonly received: ReceivedRequest[];
  /** Stores an object as if created (fills metadata). */
  put(object: Record<string, unknown>): Record<string, unknown>;
  /** An object by resource, namespace and name. */
  object(resource: string, namespace: string | undefined, name: string): Record<string, unknown> | undefined;
  /** Appends text to a pod's log (followers see it at once). */
  appendLog(namespace: string, pod: string, text: string): void;
  /**
   * Makes a pod's log `bytes` long, generated as it is sent (written with backpressure, never
   * held in memory), by repeating `line`.
   */
  generateLog(namespace: string, pod: string, bytes: number, line: string): void;
  /** Files in a pod's (only) container. */
  files(namespace: string, pod: string): Map<string, Buffer>;
  /** Registers a program for exec (`argv[0]`). */
  program(name: string, run: StandInProgram): void;
  /** What the backends of port-forward connections received, per pod. */
  readonly forwarded: Map<string, Buffer[]>;
  close(): Promise<void>;
}

interface Stored {
  readonly type: ResourceType;
  readonly object: Record<string, unknown>;
}

interface WatchEvent {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly key: string;
  readonly object: Record<string, unknown>;
}

/**
 * Starts the API server stand-in on 127.0.0.1 with a fresh bearer token.
 *
 * @example
 * ```ts
 * const api = await startStandInApiServer();
 * api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'prod' } });
 * ```
 */
export async function startStandInApiServer(options: { token?: string } = {}): Promise<StandInApiServer> {
  const token = options.token ?? `stand-in-${randomUUID()}`;
  const received: ReceivedRequest[] = [];
  const store = new Map<string, Stored>();
  const history: WatchEvent[] = [];
  const watchers = new Set<(event: WatchEvent) => void>();
  const logs = new Map<string, { text: string; followers: Set<(text: string) => void> }>();
  const podFiles = new Map<string, Map<string, Buffer>>();
  const programs = new Map<string, StandInProgram>();
  const forwarded = new Map<string, Buffer[]>();
  const generated = new Map<string, { bytes: number; line: string }>();
  const sockets = new Set<Socket>();
  let resourceVersion = 1000;

  const keyOf = (type: ResourceType, namespace: string | undefined, name: string): string =>
    `${type.group}/${type.name}/${type.namespaced ? (namespace ?? '') : ''}/${name}`;

  const emit = (type: WatchEvent['type'], key: string, object: Record<string, unknown>): void => {
    const event: WatchEvent = { rv: resourceVersion, type, key, object };
    history.push(event);
    if (history.length > 1000) history.shift();
    for (const watcher of watchers) watcher(event);
  };

  const save = (
    type: ResourceType,
    object: Record<string, unknown>,
    isNew: boolean,
  ): Record<string, unknown> => {
    const metadata = (object['metadata'] ?? {}) as Record<string, unknown>;
    const name = String(metadata['name']);
    const given = metadata['namespace'];
    const namespace = type.namespaced ? (typeof given === 'string' ? given : 'default') : undefined;
    const key = keyOf(type, namespace, name);
    const previous = store.get(key)?.object['metadata'] as Record<string, unknown> | undefined;
    resourceVersion++;
    const stored: Record<string, unknown> = {
      ...object,
      apiVersion: type.group === '' ? type.version : `${type.group}/${type.version}`,
      kind: type.kind,
      metadata: {
        ...metadata,
        ...(namespace === undefined ? {} : { namespace }),
        uid: previous?.['uid'] ?? randomUUID(),
        creationTimestamp:
          previous?.['creationTimestamp'] ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        resourceVersion: String(resourceVersion),
      },
    };
    if (type.name === 'pods' && stored['status'] === undefined) {
      stored['status'] = { phase: 'Running', podIP: '10.0.0.1' };
    }
    store.set(key, { type, object: stored });
    emit(isNew ? 'ADDED' : 'MODIFIED', key, stored);
    return stored;
  };

  const typeOf = (group: string, name: string): ResourceType | undefined =>
    RESOURCES.find((r) => r.group === group && r.name === name);

  const api: StandInApiServer = {
    url: '',
    token,
    received,
    forwarded,
    put(object) {
      const apiVersion = typeof object['apiVersion'] === 'string' ? object['apiVersion'] : 'v1';
      const group = apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
      const type = RESOURCES.find((r) => r.group === group && r.kind === object['kind']);
      if (type === undefined) throw new TypeError(`the stand-in does not serve ${String(object['kind'])}`);
      const metadata = object['metadata'] as Record<string, unknown>;
      const key = keyOf(type, metadata['namespace'] as string | undefined, String(metadata['name']));
      return save(type, object, !store.has(key));
    },
    object(resource, namespace, name) {
      const [plural = '', group = ''] = resource.split(/\.(.*)/s);
      const type = typeOf(group, plural);
      return type === undefined ? undefined : store.get(keyOf(type, namespace, name))?.object;
    },
    appendLog(namespace, pod, text) {
      const log = logOf(namespace, pod);
      log.text += text;
      for (const follower of log.followers) follower(text);
    },
    generateLog(namespace, pod, bytes, line) {
      generated.set(`${namespace}/${pod}`, { bytes, line });
    },
    files(namespace, pod) {
      let files = podFiles.get(`${namespace}/${pod}`);
      if (files === undefined) podFiles.set(`${namespace}/${pod}`, (files = new Map<string, Buffer>()));
      return files;
    },
    program(name, run) {
      programs.set(name, run);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      wss.close();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };

  const logOf = (
    namespace: string,
    pod: string,
  ): { text: string; followers: Set<(text: string) => void> } => {
    let log = logs.get(`${namespace}/${pod}`);
    if (log === undefined) logs.set(`${namespace}/${pod}`, (log = { text: '', followers: new Set() }));
    return log;
  };

  installPrograms(programs);

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.headers.authorization !== `Bearer ${token}`) {
        status(res, 401, 'Unauthorized', 'Unauthorized');
        return;
      }
      try {
        handle(req, res, body);
      } catch (error) {
        status(res, 500, 'InternalError', `stand-in: ${(error as Error).message}`);
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (offered) => CHANNEL_PROTOCOLS.find((p) => offered.has(p)) ?? false,
  });
  // ws refuses subprotocols that are not HTTP tokens (kubectl's tunnel has a `/`), so a
  // port-forward that offers it is taken out of ws's hands: the offer is removed from the
  // request and the choice written into the answer (as a Go API server would negotiate it).
  const tunnels = new WeakSet<IncomingMessage>();
  wss.on('headers', (headers: string[], req: IncomingMessage) => {
    if (tunnels.has(req)) headers.push(`Sec-WebSocket-Protocol: ${SPDY_PORT_FORWARD}`);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    received.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers }, body: '' });
    const refuse = (code: number, text: string): void => {
      socket.end(`HTTP/1.1 ${code} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    if (req.headers.authorization !== `Bearer ${token}`) {
      refuse(401, 'Unauthorized');
      return;
    }
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      refuse(400, 'Bad Request');
      return;
    }
    const route = parseRoute(req.url ?? '');
    const pod = route?.type?.name === 'pods' && route.name !== undefined ? route : undefined;
    const sub = pod?.subresource;
    if (pod === undefined || (sub !== 'exec' && sub !== 'attach' && sub !== 'portforward')) {
      refuse(400, 'Bad Request');
      return;
    }
    if (!store.has(keyOf(pod.type as ResourceType, pod.namespace, pod.name as string))) {
      refuse(404, 'Not Found');
      return;
    }
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (sub === 'portforward' && offered.includes(SPDY_PORT_FORWARD)) {
      tunnels.add(req);
      delete req.headers['sec-websocket-protocol'];
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const target = { namespace: pod.namespace ?? 'default', name: pod.name as string };
      if (tunnels.has(req)) {
        serveSpdyPortForward(ws, (port) => podPort(target, port));
      } else if (sub === 'portforward') servePortForward(ws, target, pod.query);
      else serveStreams(ws, target, sub, pod.query);
    });
  });

  function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    if (path === '/version') {
      json(res, 200, {
        major: '1',
        minor: '32',
        gitVersion: 'v1.32.0-stand-in',
        platform: 'linux/amd64',
      });
      return;
    }
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      text(res, 200, 'ok');
      return;
    }
    if (path === '/api') {
      json(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }],
      });
      return;
    }
    if (path === '/apis') {
      json(res, 200, groupList());
      return;
    }
    if (path === '/api/v1') {
      json(res, 200, resourceList('', 'v1'));
      return;
    }
    if (path === '/apis/apps') {
      json(res, 200, groupOf('apps'));
      return;
    }
    if (path === '/apis/apps/v1') {
      json(res, 200, resourceList('apps', 'v1'));
      return;
    }
    const route = parseRoute(url);
    if (route === undefined || route.type === undefined) {
      status(res, 404, 'NotFound', 'the server could not find the requested resource');
      return;
    }
    const { type, namespace, name, subresource, query } = route;
    if (subresource === 'exec' || subresource === 'attach' || subresource === 'portforward') {
      status(res, 400, 'BadRequest', 'Upgrade request required');
      return;
    }
    if (subresource === 'log') {
      serveLog(req, res, namespace ?? 'default', name ?? '', query);
      return;
    }
    if (subresource === 'proxy') {
      serveProxy(res, route.rest, name ?? '');
      return;
    }
    if (name === undefined) {
      if (method === 'GET' && isTrue(query.get('watch'))) {
        serveWatch(req, res, type, namespace, query);
        return;
      }
      if (method === 'GET') {
        json(res, 200, listOf(req, type, namespace, query));
        return;
      }
      if (method === 'POST') {
        create(res, type, namespace, body);
        return;
      }
      if (method === 'DELETE') {
        const list = listOf(req, type, namespace, query) as { items: Record<string, unknown>[] };
        for (const item of list.items) remove(type, namespace, nameOf(item));
        json(res, 200, list);
        return;
      }
      status(res, 405, 'MethodNotAllowed', `${method} is not supported`);
      return;
    }
    const key = keyOf(type, namespace, name);
    const existing = store.get(key)?.object;
    const notFound = (): void => {
      status(
        res,
        404,
        'NotFound',
        `${type.name}${type.group === '' ? '' : `.${type.group}`} "${name}" not found`,
        {
          name,
          group: type.group,
          kind: type.name,
        },
      );
    };
    if (method === 'GET') {
      if (existing === undefined) {
        notFound();
        return;
      }
      // Test hook: an object annotated with FAIL_ANNOTATION fails every read with that message,
      // as an API server failing mid-request would (a 500 Status naming what went wrong).
      const failure = ((existing['metadata'] as { annotations?: Record<string, string> }).annotations ?? {})[
        FAIL_ANNOTATION
      ];
      if (failure !== undefined) {
        status(res, 500, 'InternalError', failure);
        return;
      }
      json(res, 200, wantsTable(req) ? tableOf(type, [existing]) : existing);
      return;
    }
    if (method === 'DELETE') {
      if (existing === undefined) {
        notFound();
        return;
      }
      remove(type, namespace, name);
      json(res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: {
          name,
          group: type.group,
          kind: type.name,
          uid: (existing['metadata'] as Record<string, unknown>)['uid'],
        },
      });
      return;
    }
    if (method === 'PUT') {
      const object = parseBody(res, body);
      if (object === undefined) return;
      const rv = (object['metadata'] as Record<string, unknown> | undefined)?.['resourceVersion'];
      if (existing === undefined) {
        notFound();
        return;
      }
      const current = (existing['metadata'] as Record<string, unknown>)['resourceVersion'];
      if (rv !== undefined && rv !== current) {
        status(
          res,
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${type.name} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
          { name, group: type.group, kind: type.name },
        );
        return;
      }
      json(
        res,
        200,
        save(type, { ...object, metadata: { ...(object['metadata'] as object), name, namespace } }, false),
      );
      return;
    }
    if (method === 'PATCH') {
      if (existing === undefined) {
        notFound();
        return;
      }
      const contentType = req.headers['content-type'] ?? '';
      const patch = parseBody(res, body);
      if (patch === undefined) return;
      let next: Record<string, unknown>;
      if (contentType.startsWith('application/json-patch+json')) {
        next = jsonPatch(existing, patch as unknown as { op: string; path: string; value?: unknown }[]);
      } else if (
        contentType.startsWith('application/merge-patch+json') ||
        contentType.startsWith('application/strategic-merge-patch+json')
      ) {
        next = mergePatch(existing, patch) as Record<string, unknown>;
      } else {
        status(
          res,
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
        );
        return;
      }
      if (subresource === 'ephemeralcontainers' || subresource === 'status' || subresource === undefined) {
        json(res, 200, save(type, next, false));
        return;
      }
      status(res, 404, 'NotFound', 'the server could not find the requested resource');
      return;
    }
    status(res, 405, 'MethodNotAllowed', `${method} is not supported`);
  }

  function create(
    res: ServerResponse,
    type: ResourceType,
    namespace: string | undefined,
    body: string,
  ): void {
    const object = parseBody(res, body);
    if (object === undefined) return;
    const metadata = { ...((object['metadata'] ?? {}) as Record<string, unknown>) };
    if (metadata['name'] === undefined && typeof metadata['generateName'] === 'string') {
      metadata['name'] = `${metadata['generateName']}${randomUUID().slice(0, 5)}`;
    }
    const name = metadata['name'];
    if (typeof name !== 'string' || !DNS_SUBDOMAIN.test(name)) {
      status(res, 422, 'Invalid', `${type.kind} "${String(name)}" is invalid: metadata.name: Invalid value`);
      return;
    }
    if (type.namespaced) metadata['namespace'] = namespace ?? metadata['namespace'] ?? 'default';
    if (store.has(keyOf(type, metadata['namespace'] as string | undefined, name))) {
      status(res, 409, 'AlreadyExists', `${type.name} "${name}" already exists`, {
        name,
        group: type.group,
        kind: type.name,
      });
      return;
    }
    json(res, 201, save(type, { ...object, metadata }, true));
  }

  function remove(type: ResourceType, namespace: string | undefined, name: string): void {
    const key = keyOf(type, namespace, name);
    const stored = store.get(key);
    if (stored === undefined) return;
    store.delete(key);
    resourceVersion++;
    const object = {
      ...stored.object,
      metadata: { ...(stored.object['metadata'] as object), resourceVersion: String(resourceVersion) },
    };
    emit('DELETED', key, object);
    if (type.name === 'pods') {
      const log = logs.get(`${namespace ?? 'default'}/${name}`);
      for (const follower of log?.followers ?? []) follower('');
    }
  }

  function matching(
    type: ResourceType,
    namespace: string | undefined,
    query: URLSearchParams,
  ): Record<string, unknown>[] {
    const field = query.get('fieldSelector');
    const label = query.get('labelSelector');
    const out: Record<string, unknown>[] = [];
    for (const [key, stored] of store) {
      if (stored.type !== type) continue;
      if (
        type.namespaced &&
        namespace !== undefined &&
        !key.startsWith(`${type.group}/${type.name}/${namespace}/`)
      )
        continue;
      if (!selects(stored.object, field, label)) continue;
      out.push(stored.object);
    }
    return out;
  }

  function listOf(
    req: IncomingMessage,
    type: ResourceType,
    namespace: string | undefined,
    query: URLSearchParams,
  ): unknown {
    const items = matching(type, namespace, query);
    if (wantsTable(req)) return tableOf(type, items);
    return {
      kind: `${type.kind}List`,
      apiVersion: type.group === '' ? type.version : `${type.group}/${type.version}`,
      metadata: { resourceVersion: String(resourceVersion) },
      items: items.map((item) => {
        const { kind: _kind, apiVersion: _apiVersion, ...rest } = item;
        return rest;
      }),
    };
  }

  function serveWatch(
    req: IncomingMessage,
    res: ServerResponse,
    type: ResourceType,
    namespace: string | undefined,
    query: URLSearchParams,
  ): void {
    const since = query.get('resourceVersion');
    const field = query.get('fieldSelector');
    const label = query.get('labelSelector');
    const prefix = `${type.group}/${type.name}/${type.namespaced && namespace !== undefined ? `${namespace}/` : ''}`;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const send = (event: WatchEvent | { type: 'ERROR'; object: unknown }): void => {
      res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
    };
    const relevant = (event: WatchEvent): boolean =>
      event.key.startsWith(prefix) && selects(event.object, field, label);
    if (since === null || since === '' || since === '0') {
      for (const object of matching(type, namespace, query)) send({ rv: 0, type: 'ADDED', key: '', object });
    } else {
      const from = Number(since);
      const oldest = history[0]?.rv ?? resourceVersion;
      if (!Number.isFinite(from) || from < oldest - 1) {
        send({
          type: 'ERROR',
          object: statusBody(410, 'Expired', `too old resource version: ${since} (${oldest})`),
        });
        res.end();
        return;
      }
      for (const event of history) if (event.rv > from && relevant(event)) send(event);
    }
    const watcher = (event: WatchEvent): void => {
      if (relevant(event)) send(event);
    };
    watchers.add(watcher);
    const timeout = Number(query.get('timeoutSeconds') ?? '0');
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    const stop = (): void => {
      watchers.delete(watcher);
      if (timer !== undefined) clearTimeout(timer);
    };
    req.socket.on('close', stop);
    res.on('finish', stop);
  }

  function serveLog(
    req: IncomingMessage,
    res: ServerResponse,
    namespace: string,
    name: string,
    query: URLSearchParams,
  ): void {
    if (!store.has(keyOf(RESOURCES[0] as ResourceType, namespace, name))) {
      status(res, 404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' });
      return;
    }
    const spec = generated.get(`${namespace}/${name}`);
    if (spec !== undefined) {
      streamGenerated(res, spec.bytes, spec.line);
      return;
    }
    const log = logOf(namespace, name);
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    let initial = log.text;
    const tail = query.get('tailLines');
    if (tail !== null)
      initial = initial
        .split('\n')
        .slice(-Number(tail) - 1)
        .join('\n');
    if (initial !== '') res.write(initial);
    if (!isTrue(query.get('follow'))) {
      res.end();
      return;
    }
    const follower = (text: string): void => {
      if (text === '') res.end();
      else res.write(text);
    };
    log.followers.add(follower);
    req.socket.on('close', () => log.followers.delete(follower));
    res.on('finish', () => log.followers.delete(follower));
  }

  function serveProxy(res: ServerResponse, rest: readonly string[], name: string): void {
    const path = rest.join('/');
    if (path === 'redirect') {
      res.writeHead(302, { Location: 'http://127.0.0.1:9/elsewhere', 'Content-Type': 'text/plain' });
      res.end('moved');
      return;
    }
    text(res, 200, `proxied to ${name}: /${path}\n`);
  }

  function serveStreams(
    ws: WebSocket,
    pod: { namespace: string; name: string },
    sub: 'exec' | 'attach',
    query: URLSearchParams,
  ): void {
    const v5 = ws.protocol === 'v5.channel.k8s.io';
    const argv = sub === 'exec' ? query.getAll('command') : ['__attach__'];
    const stdinChunks: Buffer[] = [];
    let stdinClosed = !isTrue(query.get('stdin'));
    const waiters = new Set<() => void>();
    const resizes: unknown[] = [];
    const wake = (): void => {
      for (const w of waiters) w();
      waiters.clear();
    };
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary || data.length === 0) return;
      const channel = data[0];
      const payload = data.subarray(1);
      if (channel === 0) stdinChunks.push(Buffer.from(payload));
      else if (channel === 4) resizes.push(JSON.parse(payload.toString('utf8')) as unknown);
      else if (channel === 255 && v5 && payload[0] === 0) stdinClosed = true;
      wake();
    });
    ws.on('close', () => {
      stdinClosed = true;
      wake();
    });
    const frame = (channel: number, data: string | Buffer): void => {
      if (ws.readyState !== ws.OPEN) return;
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      ws.send(Buffer.concat([Buffer.from([channel]), bytes]));
    };
    let read = 0;
    const io: ProgramIo = {
      argv,
      pod,
      files: api.files(pod.namespace, pod.name),
      tty: isTrue(query.get('tty')),
      resizes,
      stdout: (data) => {
        frame(1, data);
      },
      stderr: (data) => {
        frame(2, data);
      },
      async stdin() {
        const parts: Buffer[] = [];
        for await (const chunk of io.stdinChunks()) parts.push(chunk);
        return Buffer.concat(parts);
      },
      async *stdinChunks() {
        for (;;) {
          while (read < stdinChunks.length) yield stdinChunks[read++] as Buffer;
          if (stdinClosed) return;
          await new Promise<void>((resolve) => waiters.add(resolve));
        }
      },
    };
    const program = programs.get(argv[0] ?? '');
    void (async () => {
      let code: number;
      try {
        if (program === undefined) {
          io.stderr(`exec: "${argv[0] ?? ''}": executable file not found in $PATH\n`);
          code = 127;
        } else {
          code = await program(io);
        }
      } catch (error) {
        io.stderr(`${(error as Error).message}\n`);
        code = 1;
      }
      const result =
        code === 0
          ? { metadata: {}, status: 'Success' }
          : {
              metadata: {},
              status: 'Failure',
              message: `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${code}`,
              reason: 'NonZeroExitCode',
              details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
            };
      frame(3, JSON.stringify(result));
      ws.close(1000);
    })();
  }

  /**
   * The process behind a pod's port: an echo server that answers in upper case. A pod whose
   * containers declare ports listens only on those; a connection to another is refused, as
   * the container runtime reports it.
   */
  function podPort(pod: { namespace: string; name: string }, port: number): PodPort | string {
    const key = `${pod.namespace}/${pod.name}`;
    const object = store.get(keyOf(RESOURCES[0] as ResourceType, pod.namespace, pod.name))?.object;
    const containers = ((object?.['spec'] as { containers?: unknown } | undefined)?.containers ?? []) as {
      ports?: { containerPort?: number }[];
    }[];
    const declared = containers.flatMap((c) => (c.ports ?? []).map((p) => p.containerPort));
    if (declared.length > 0 && !declared.includes(port)) {
      return `failed to connect to localhost:${port} inside the pod: connection refused`;
    }
    const seen: Buffer[] = forwarded.get(key) ?? [];
    forwarded.set(key, seen);
    return {
      answer(data) {
        seen.push(Buffer.from(data));
        return Buffer.from(data.toString('utf8').toUpperCase());
      },
    };
  }

  function servePortForward(
    ws: WebSocket,
    pod: { namespace: string; name: string },
    query: URLSearchParams,
  ): void {
    const ports = (query.get('ports') ?? '').split(',').map(Number);
    const key = `${pod.namespace}/${pod.name}`;
    const seen: Buffer[] = forwarded.get(key) ?? [];
    forwarded.set(key, seen);
    const portBytes = (port: number): Buffer => {
      const b = Buffer.alloc(2);
      b.writeUInt16LE(port, 0);
      return b;
    };
    ports.forEach((port, i) => {
      ws.send(Buffer.concat([Buffer.from([i * 2]), portBytes(port)]));
      ws.send(Buffer.concat([Buffer.from([i * 2 + 1]), portBytes(port)]));
    });
    // The backend of each port: an echo server that answers in upper case.
    ws.on('message', (data: Buffer) => {
      const channel = data[0] ?? 0;
      const payload = Buffer.from(data.subarray(1));
      if (channel % 2 !== 0 || payload.length === 0) return;
      seen.push(payload);
      ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(payload.toString('utf8').toUpperCase())]));
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (api as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}

function streamGenerated(res: ServerResponse, bytes: number, line: string): void {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  const block = Buffer.from(line.repeat(Math.max(1, Math.floor(65536 / line.length))));
  let left = bytes;
  const pump = (): void => {
    while (left > 0) {
      const chunk = left >= block.length ? block : block.subarray(0, left);
      left -= chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

function installPrograms(programs: Map<string, StandInProgram>): void {
  programs.set('echo', (io) => {
    io.stdout(`${io.argv.slice(1).join(' ')}\n`);
    return 0;
  });
  programs.set('cat', async (io) => {
    if (io.argv.length > 1) {
      for (const file of io.argv.slice(1)) {
        const content = io.files.get(file.replace(/^\//, ''));
        if (content === undefined) {
          io.stderr(`cat: ${file}: No such file or directory\n`);
          return 1;
        }
        io.stdout(content);
      }
      return 0;
    }
    for await (const chunk of io.stdinChunks()) io.stdout(chunk);
    return 0;
  });
  programs.set('__attach__', async (io) => {
    io.stdout('attached\n');
    for await (const chunk of io.stdinChunks()) io.stdout(chunk);
    return 0;
  });
  programs.set('sh', async (io) => {
    const script = io.argv[1] === '-c' ? (io.argv[2] ?? '') : undefined;
    if (script === undefined) {
      for await (const chunk of io.stdinChunks()) io.stdout(chunk);
      return 0;
    }
    const [program, ...args] = script.split(' ');
    const run = programs.get(program ?? '');
    if (run === undefined) {
      io.stderr(`sh: ${program ?? ''}: not found\n`);
      return 127;
    }
    return run({ ...io, argv: [program ?? '', ...args] });
  });
  programs.set('tar', async (io) => {
    // `tar cf - [-C dir] path…` (kubectl cp from a pod) and `tar xmf - [-C dir]` (to a pod).
    const args = io.argv.slice(1);
    const dirAt = args.indexOf('-C');
    const dir = dirAt === -1 ? '' : (args[dirAt + 1] ?? '').replace(/^\/+|\/+$/g, '');
    const inDir = (name: string): string => (dir === '' ? name : `${dir}/${name}`).replace(/^\/+/, '');
    if ((args[0] ?? '').includes('x')) {
      for (const [name, data] of readTar(await io.stdin())) io.files.set(inDir(name), data);
      return 0;
    }
    const paths = args.filter((a, i) => !a.startsWith('-') && i !== dirAt + 1 && a !== 'cf' && a !== 'cmf');
    const out = new Map<string, Buffer>();
    for (const path of paths) {
      const want = inDir(path.replace(/^\/+/, ''));
      for (const [name, data] of io.files) {
        if (name === want || name.startsWith(`${want}/`))
          out.set(name.slice(dir === '' ? 0 : dir.length + 1), data);
      }
    }
    if (out.size === 0) {
      io.stderr(`tar: ${paths.join(' ')}: Cannot stat: No such file or directory\n`);
      return 2;
    }
    io.stdout(writeTar(out));
    return 0;
  });
}

/** A request target as the stand-in routes it. */
interface Route {
  readonly type: ResourceType | undefined;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
  readonly rest: readonly string[];
  readonly query: URLSearchParams;
}

function parseRoute(url: string): Route | undefined {
  const q = url.indexOf('?');
  const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
  let segments: string[];
  try {
    segments = (q === -1 ? url : url.slice(0, q))
      .split('/')
      .slice(1)
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
  if (segments.at(-1) === '') segments.pop();
  let group: string;
  if (segments[0] === 'api' && segments[1] === 'v1') {
    group = '';
    segments = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 3) {
    group = segments[1] ?? '';
    segments = segments.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (segments[0] === 'namespaces' && segments.length >= 3) {
    namespace = segments[1];
    segments = segments.slice(2);
  }
  const [resource, name, subresource, ...rest] = segments;
  const type = RESOURCES.find((r) => r.group === group && r.name === resource);
  return { type, namespace, name, subresource, rest, query };
}

function selects(object: Record<string, unknown>, field: string | null, label: string | null): boolean {
  const metadata = object['metadata'] as Record<string, unknown>;
  if (field !== null && field !== '') {
    for (const term of field.split(',')) {
      const [k, v] = term.split('=');
      if (k === 'metadata.name' && metadata['name'] !== v) return false;
      if (k === 'metadata.namespace' && metadata['namespace'] !== v) return false;
    }
  }
  if (label !== null && label !== '') {
    const labels = (metadata['labels'] ?? {}) as Record<string, string>;
    for (const term of label.split(',')) {
      const [k = '', v] = term.split('=');
      if (v === undefined ? !(k in labels) : labels[k] !== v) return false;
    }
  }
  return true;
}

function nameOf(object: Record<string, unknown>): string {
  return String((object['metadata'] as Record<string, unknown>)['name']);
}

function wantsTable(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('as=Table');
}

function tableOf(type: ResourceType, items: readonly Record<string, unknown>[]): unknown {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: '' },
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name', priority: 0 },
      { name: 'Age', type: 'string', format: '', description: 'Age', priority: 0 },
    ],
    rows: items.map((item) => ({
      cells: [nameOf(item), '1m'],
      object: {
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: item['metadata'],
      },
    })),
    ...(type.kind === '' ? {} : {}),
  };
}

function groupOf(name: string): unknown {
  return {
    name,
    versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
    preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
  };
}

function groupList(): unknown {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [groupOf('apps')] };
}

function resourceList(group: string, version: string): unknown {
  const resources: unknown[] = [];
  for (const r of RESOURCES.filter((x) => x.group === group)) {
    resources.push({
      name: r.name,
      singularName: r.kind.toLowerCase(),
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: VERBS,
      ...(r.short === undefined ? {} : { shortNames: r.short }),
    });
    for (const sub of SUBRESOURCES[r.name] ?? []) {
      resources.push({
        name: `${r.name}/${sub}`,
        singularName: '',
        namespaced: r.namespaced,
        kind: sub === 'log' ? r.kind : sub === 'ephemeralcontainers' ? r.kind : `${r.kind}${sub}Options`,
        verbs: sub === 'log' ? ['get'] : ['create', 'get'],
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources,
  };
}

function statusBody(
  code: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details === undefined ? {} : { details }),
    code,
  };
}

function status(
  res: ServerResponse,
  code: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
): void {
  json(res, code, statusBody(code, reason, message, details));
}

function json(res: ServerResponse, code: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

function text(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function parseBody(res: ServerResponse, body: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed === 'object' && parsed !== null) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  status(res, 400, 'BadRequest', `the body of the request could not be decoded as JSON`);
  return undefined;
}

function isTrue(value: string | null): boolean {
  return value !== null && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) Reflect.deleteProperty(out, k);
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function jsonPatch(
  target: Record<string, unknown>,
  ops: readonly { op: string; path: string; value?: unknown }[],
): Record<string, unknown> {
  const out = structuredClone(target);
  for (const { op, path, value } of ops) {
    const keys = path
      .split('/')
      .slice(1)
      .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = keys.pop() ?? '';
    let node = out;
    for (const k of keys) node = node[k] as Record<string, unknown>;
    if (op === 'remove') Reflect.deleteProperty(node, last);
    else if (Array.isArray(node) && last === '-') (node as unknown[]).push(value);
    else node[last] = value;
  }
  return out;
}
