import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import {
  createServer as createPlainServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createGate, createGateQueue, type GateSession, type PrincipalInput } from '@portcullis/core';
import { WebSocketServer, type WebSocket } from 'ws';
import type { KubeCall } from './lib/kube-call.js';
import { kubeAdapter, type KubeRaw } from './lib/kube-adapter.js';
import { forwardedHeaders } from './lib/request-headers.js';
import { createSessionClient, OUTCOME_HEADER } from './lib/session-client.js';
import { failureStatus, outcomeStatus, type KubeStatus } from './lib/status.js';
import { createTlsIdentity } from './lib/self-signed.js';
import { createUpstream } from './lib/upstream.js';
import type {
  CreateKubeGateOptions,
  KubeConfigLike,
  KubeGate,
  KubeSession,
  KubeSessionOptions,
} from './types.js';

/** Subprotocols the gate relays: the binary channel protocols and port-forward's. */
const RELAYED_PROTOCOLS: ReadonlySet<string> = new Set([
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
  'portforward.k8s.io',
  'SPDY/3.1+portforward.k8s.io',
]);

/** One live session token. */
interface Entry {
  readonly session: GateSession<KubeCall, KubeRaw>;
  /** Enforcement errors answered to this session, by id, for its own helpers (the last few). */
  readonly outcomes: Map<string, Error>;
  /**
   * The Status each recently refused WebSocket upgrade was answered with, by target: kubectl
   * retries a refused WebSocket upgrade over SPDY, which the gate does not serve, and should
   * print why the upgrade was refused (the denial, or the review's approval id) rather than
   * that SPDY is not served. Only the answer is reused; nothing is forwarded.
   */
  readonly refusals: Map<string, { readonly status: KubeStatus; readonly at: number }>;
}

const MAX_OUTCOMES = 64;
const REFUSAL_MS = 30_000;
const DEFAULT_MAX_BODY = 3 << 20;

/**
 * Starts a Kubernetes gate: a loopback HTTP/WebSocket listener in the host process that every
 * client of a session goes through. Each request and upgrade is authenticated by its session
 * token, classified from the exact method, target, headers and body that go upstream,
 * decided (and approved), forwarded with the host's real credential, masked and recorded. The
 * real credential never leaves the gate: sessions get a KubeConfig or kubeconfig file holding
 * only their session token.
 *
 * @example
 * ```ts
 * const gate = await createKubeGate({ kubeConfig, portcullis, target: 'prod-cluster' });
 * const session = gate.as({ subject: 'alice', groups: ['sre'], kind: 'agent', actor: 'copilot' });
 * const pods = session.kubeConfig().makeApiClient(CoreV1Api); // gated
 * await session.writeKubeconfig('/tmp/agent.kubeconfig'); // for kubectl
 * ```
 * @throws TypeError when the engine, target or KubeConfig is missing, the target is not a
 * `kubernetes` target of the policy, or the KubeConfig has no usable current cluster.
 */
export async function createKubeGate<K extends KubeConfigLike>(
  options: CreateKubeGateOptions<K>,
): Promise<KubeGate<K>> {
  // Checked at run time too: JavaScript callers are not held to the types.
  const given = options as Partial<CreateKubeGateOptions<K>> | null;
  if (typeof given !== 'object' || given === null) {
    throw new TypeError('createKubeGate() takes { kubeConfig, portcullis, target }');
  }
  const { kubeConfig, portcullis, target } = options;
  const config = given.kubeConfig as Partial<KubeConfigLike> | undefined;
  const methods = [
    'applyToHTTPSOptions',
    'loadFromOptions',
    'getContexts',
    'getClusters',
    'getUsers',
    'getCurrentContext',
  ] as const;
  if (config === undefined || methods.some((name) => typeof config[name] !== 'function')) {
    throw new TypeError('createKubeGate() needs a @kubernetes/client-node KubeConfig as kubeConfig');
  }
  const engine = given.portcullis as Partial<typeof portcullis> | undefined;
  if (engine?.policy?.targets.get(target)?.protocol !== 'kubernetes') {
    throw new TypeError(`target ${JSON.stringify(target)} is not a kubernetes target of the policy`);
  }
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  if (!Number.isInteger(maxBody) || maxBody < 0) throw new TypeError('maxBodyBytes is a whole number');
  const upstream = createUpstream(kubeConfig);
  const gate = createGate({
    portcullis,
    target,
    adapter: kubeAdapter(upstream),
    ...(options.caps === undefined ? {} : { caps: options.caps }),
    ...(options.review === undefined ? {} : { review: options.review }),
    ...(options.hashKey === undefined ? {} : { hashKey: options.hashKey }),
  });
  const KubeConfigClass = (Object.getPrototypeOf(kubeConfig) as { constructor: new () => K }).constructor;
  const sessions = new Map<string, Entry>();
  const sockets = new Set<Socket>();
  const chosen = new WeakMap<IncomingMessage, string>();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 16 << 20 });
  // The gate answers with the subprotocol the API server chose. ws would refuse a subprotocol
  // that is not an HTTP token, and kubectl's port-forward offers `SPDY/3.1+portforward.k8s.io`
  // (a `/` in it), so the offer is taken out of the request before ws sees it (it was read
  // and filtered already) and the choice is written into the handshake answer here.
  wss.on('headers', (headers: string[], req: IncomingMessage) => {
    const protocol = chosen.get(req);
    if (protocol !== undefined && protocol !== '') headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
  });

  const authenticate = (req: IncomingMessage): Entry | undefined => {
    let value: string | undefined;
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if ((req.rawHeaders[i] as string).toLowerCase() !== 'authorization') continue;
      if (value !== undefined) return undefined; // two credentials: refuse, do not pick one
      value = req.rawHeaders[i + 1];
    }
    const match = /^Bearer ([A-Za-z0-9_-]{43})$/.exec(value ?? '');
    return match === null ? undefined : sessions.get(tokenKey(match[1] as string));
  };

  const tls = createTlsIdentity();
  const serverOptions = { maxHeaderSize: 32 << 10, requestTimeout: 0, headersTimeout: 30_000 };
  // Two listeners with the same handlers: HTTPS for kubeconfig files (client-go sends bearer
  // tokens only over TLS), plain HTTP for the in-process KubeConfigs of `kubeConfig()` (client-node
  // makes a new connection pool per request, so a TLS handshake on every call would dominate;
  // loopback traffic is readable only by root, who can read the host process anyway).
  const secure = createServer({ ...tls, ...serverOptions });
  const plain = createPlainServer(serverOptions);
  for (const s of [secure, plain]) {
    s.keepAliveTimeout = 30_000;
    s.maxConnections = 1024;
  }
  secure.on('tlsClientError', (_error, socket: Socket) => socket.destroy());
  const onConnection = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const onClientError = (_error: Error, socket: Socket): void => {
    socket.destroy();
  };
  const onConnect = (req: IncomingMessage, socket: Socket): void => {
    const status =
      authenticate(req) === undefined
        ? unauthorized()
        : failureStatus(405, 'MethodNotAllowed', 'CONNECT is not served by the Portcullis gate');
    writeRaw(socket, status, {});
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const entry = authenticate(req);
    if (entry === undefined) {
      sendStatus(res, unauthorized(), { connection: 'close' });
      req.socket.destroySoon();
      return;
    }
    const refusal = refuseTarget(req);
    if (refusal !== undefined) {
      sendStatus(res, refusal, { connection: 'close' });
      return;
    }
    void readBody(req, maxBody).then(
      async (body) => {
        if (body === undefined) {
          sendStatus(
            res,
            failureStatus(413, 'RequestEntityTooLarge', `the request body is larger than ${maxBody} bytes`),
            { connection: 'close' },
          );
          return;
        }
        const call: KubeCall = {
          kind: 'http',
          ...requestParts(req),
          body,
          response: res,
        };
        try {
          // Requests over HTTP are independent (kubectl and informers send many at once, and a
          // watch never ends), so each is ordered on its own queue; every one is decided.
          await entry.session.run(call, { queue: createGateQueue() });
        } catch (error) {
          if (res.headersSent) res.destroy();
          else sendStatus(res, outcomeStatus(error), outcomeHeader(entry, error));
        }
      },
      () => res.destroy(),
    );
  };

  const onUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    const entry = authenticate(req);
    if (entry === undefined) {
      writeRaw(socket, unauthorized(), {});
      return;
    }
    const refusal =
      refuseTarget(req) ??
      ((req.headers.upgrade ?? '').toLowerCase() === 'websocket' ? undefined : spdyRefusal(entry, req));
    if (refusal !== undefined) {
      writeRaw(socket, refusal, {});
      return;
    }
    const offered = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '');
    const protocols = offered.filter((p) => RELAYED_PROTOCOLS.has(p));
    let settled = false;
    const call: KubeCall = {
      kind: 'upgrade',
      ...requestParts(req),
      protocols,
      accept: (protocol) =>
        new Promise<WebSocket>((resolve, reject) => {
          // Only a subprotocol the client offered goes into the answer (and no header injection).
          if (protocol !== '' && !protocols.includes(protocol)) {
            reject(new Error('the API server chose a subprotocol the client did not offer'));
            return;
          }
          settled = true;
          chosen.set(req, protocol);
          delete req.headers['sec-websocket-protocol'];
          wss.handleUpgrade(req, socket, head, resolve);
        }),
      refuse: (code, contentType, body) => {
        settled = true;
        socket.end(
          `HTTP/1.1 ${code} ${code < 500 ? 'Refused' : 'Failed'}\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      },
    };
    void entry.session.run(call, { queue: createGateQueue() }).catch((error: unknown) => {
      if (settled) return socket.destroy();
      const status = outcomeStatus(error);
      entry.refusals.set(req.url ?? '', { status, at: Date.now() });
      if (entry.refusals.size > MAX_OUTCOMES)
        entry.refusals.delete(entry.refusals.keys().next().value as string);
      writeRaw(socket, status, outcomeHeader(entry, error));
    });
  };

  for (const listener of [secure, plain]) {
    listener.on('connection', onConnection);
    listener.on('clientError', onClientError);
    listener.on('connect', onConnect);
    listener.on('request', onRequest);
    listener.on('upgrade', onUpgrade);
  }

  const listen = (listener: Server, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, '127.0.0.1', () => {
        resolve((listener.address() as AddressInfo).port);
      });
    });
  const url = `https://127.0.0.1:${await listen(secure, options.port ?? 0)}`;
  const plainUrl = `http://127.0.0.1:${await listen(plain, 0)}`;
  const caData = Buffer.from(tls.cert).toString('base64');

  const open = (principal: PrincipalInput, sessionOptions: KubeSessionOptions = {}): KubeSession<K> => {
    const token = randomBytes(32).toString('base64url');
    const key = tokenKey(token);
    const entry: Entry = {
      session: gate.open(
        principal,
        sessionOptions.review === undefined ? {} : { review: sessionOptions.review },
      ),
      outcomes: new Map(),
      refusals: new Map(),
    };
    sessions.set(key, entry);
    const client = createSessionClient({ url, ca: tls.cert, token, outcome: (id) => entry.outcomes.get(id) });
    const namespace = sessionOptions.namespace;
    const config = (): Record<string, unknown> => ({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'portcullis', cluster: { server: url, 'certificate-authority-data': caData } }],
      users: [{ name: 'portcullis-session', user: { token } }],
      contexts: [
        {
          name: 'portcullis',
          context: {
            cluster: 'portcullis',
            user: 'portcullis-session',
            ...(namespace === undefined ? {} : { namespace }),
          },
        },
      ],
      'current-context': 'portcullis',
      preferences: {},
    });
    return Object.freeze({
      principal: entry.session.principal,
      target,
      kubeConfig(): K {
        const kc = new KubeConfigClass();
        kc.loadFromOptions({
          // client-node refuses http:// unless told to skip TLS verification; there is no TLS to
          // verify on the plain loopback listener.
          clusters: [{ name: 'portcullis', server: plainUrl, skipTLSVerify: true }],
          users: [{ name: 'portcullis-session', token }],
          contexts: [
            {
              name: 'portcullis',
              cluster: 'portcullis',
              user: 'portcullis-session',
              ...(namespace === undefined ? {} : { namespace }),
            },
          ],
          currentContext: 'portcullis',
        });
        return kc;
      },
      async writeKubeconfig(path: string): Promise<void> {
        await writeNewFile(path, `${JSON.stringify(config(), null, 2)}\n`);
      },
      get: client.get,
      list: client.list,
      apply: client.apply,
      delete: client.delete,
      exec: client.exec,
      logs: client.logs,
      watch: client.watch,
      async end(): Promise<void> {
        sessions.delete(key);
        client.close();
        await entry.session.end();
      },
    });
  };

  return Object.freeze({
    url,
    ca: tls.cert,
    target,
    as: open,
    async withToken(token: string, sessionOptions?: KubeSessionOptions): Promise<KubeSession<K>> {
      return open(await portcullis.resolvePrincipal(token), sessionOptions);
    },
    async close(): Promise<void> {
      const ending = [...sessions.values()].map((entry) => entry.session.end().catch(() => undefined));
      sessions.clear();
      for (const socket of sockets) socket.destroy();
      wss.close();
      await Promise.all(
        [secure, plain].map(
          (l) =>
            new Promise<void>((resolve) =>
              l.close(() => {
                resolve();
              }),
            ),
        ),
      );
      await Promise.all(ending);
      upstream.close();
    },
  });
}

/** What is classified and forwarded of a request: its method, target as received, and forwarded headers. */
function requestParts(req: IncomingMessage): {
  method: string;
  path: string;
  headers: Record<string, string[]>;
} {
  return { method: req.method ?? 'GET', path: req.url ?? '/', headers: forwardedHeaders(req.rawHeaders) };
}

/** Session tokens are kept only as their SHA-256, so a lookup reveals nothing by its timing. */
function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function unauthorized(): KubeStatus {
  return failureStatus(
    401,
    'Unauthorized',
    'Unauthorized: the Portcullis gate accepts only its session tokens',
  );
}

/** Only origin-form targets (`/path?query`) are served: no absolute-form, no `*`. */
function refuseTarget(req: IncomingMessage): KubeStatus | undefined {
  const url = req.url ?? '';
  if (!url.startsWith('/') || url.startsWith('//')) {
    return failureStatus(
      400,
      'BadRequest',
      'the Portcullis gate serves only origin-form request targets (a path), not absolute URLs',
    );
  }
  return undefined;
}

/** The answer to an upgrade other than WebSocket (SPDY): refused, saying why. */
function spdyRefusal(entry: Entry, req: IncomingMessage): KubeStatus {
  const recent = entry.refusals.get(req.url ?? '');
  if (recent !== undefined && Date.now() - recent.at < REFUSAL_MS) return recent.status;
  return failureStatus(
    400,
    'BadRequest',
    `${req.headers.upgrade ?? 'this'} upgrade is not served by the Portcullis gate: SPDY clients are not served; use a client that speaks WebSocket (kubectl 1.30 or newer, @kubernetes/client-node)`,
  );
}

function outcomeHeader(entry: Entry, error: unknown): Record<string, string> {
  if (!(error instanceof Error)) return {};
  const id = randomBytes(12).toString('hex');
  entry.outcomes.set(id, error);
  if (entry.outcomes.size > MAX_OUTCOMES) entry.outcomes.delete(entry.outcomes.keys().next().value as string);
  return { [OUTCOME_HEADER]: id };
}

function sendStatus(res: ServerResponse, status: KubeStatus, headers: Record<string, string>): void {
  const body = JSON.stringify(status);
  res.writeHead(status.code, {
    ...headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}

function writeRaw(socket: Socket, status: KubeStatus, headers: Record<string, string>): void {
  const body = JSON.stringify(status);
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status.code} ${status.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`,
  );
}

/**
 * Open flags of a kubeconfig file: created here or not at all. `O_EXCL` refuses an existing
 * path (a symlink included, dangling or not) and `O_NOFOLLOW` says so once more, so whoever
 * holds a session handle cannot make the host truncate or re-permission a file it can write
 * (the recording, the policy). `O_NOFOLLOW` is 0 where the platform has none (Windows).
 */
const CREATE_NEW =
  constants.O_WRONLY |
  constants.O_CREAT |
  constants.O_EXCL |
  ((constants as Partial<typeof constants>).O_NOFOLLOW ?? 0);

/**
 * Writes `text` to a file this call creates, mode 0600 from its creation (the umask can only
 * narrow it). A file cut short by a failed write is left as it is rather than removed: by then
 * the path may name something else.
 */
async function writeNewFile(path: string, text: string): Promise<void> {
  if (typeof path !== 'string' || path === '') throw new TypeError('writeKubeconfig() takes a file path');
  const file = await openFile(path, CREATE_NEW, 0o600);
  try {
    await file.writeFile(text);
  } finally {
    await file.close();
  }
}

const NO_BODY = Buffer.alloc(0);

/** The request body, or `undefined` when it is longer than `max` bytes. */
async function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  // Without Content-Length and Transfer-Encoding a request has no body (RFC 9112 §6.3), which
  // is what Node's parser reads too: a GET need not wait for an end it already knows of.
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined)
    return NO_BODY;
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > max) {
    req.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
