// The JSON helpers of a session (get, list, apply, delete, exec, logs, watch): plain HTTP and
// WebSocket requests to the gate with the session token, like any other client, so they take
// the same path through classification, decision, masking and recording. Their calls keep
// their order: each starts when the previous one settled (even while one waits for approval).
import { Agent, request as httpRequest } from 'node:https';
import { createGateQueue } from '@portcullis/core';
import { WebSocket } from 'ws';
import { KubeApiError } from '../kube-api-error.js';
import type {
  KubeExecOptions,
  KubeExecResult,
  KubeListOptions,
  KubeLogsOptions,
  KubeObjectRef,
  KubeWatchEvent,
  KubeWatchOptions,
} from '../types.js';

/** The header naming an enforcement outcome the gate keeps for its own session helpers. */
export const OUTCOME_HEADER = 'x-portcullis-outcome';

/** Names and namespaces: what the API server accepts in a path segment. */
const SEGMENT = /^[a-z0-9A-Z]([-a-z0-9A-Z._:]*[a-z0-9A-Z])?$/;
const API_VERSION = /^(?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[a-z][a-z0-9]*$/;
const MAX_RESPONSE = 64 << 20;

/** What a session's helpers need from the gate. */
export interface SessionClientDeps {
  readonly url: string;
  /** The gate's certificate, the only one trusted. */
  readonly ca: string;
  readonly token: string;
  /** The enforcement error the gate answered with, by the id in {@link OUTCOME_HEADER}. */
  outcome(id: string): Error | undefined;
}

/** The helpers, bound to one session. */
export function createSessionClient(deps: SessionClientDeps) {
  const origin = new URL(deps.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 8, ca: deps.ca });
  const queue = createGateQueue();

  const call = (
    method: string,
    path: string,
    body?: { readonly type: string; readonly data: string },
    accept?: (status: number) => boolean,
  ): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          hostname: origin.hostname,
          port: origin.port,
          method,
          path,
          agent,
          headers: {
            authorization: `Bearer ${deps.token}`,
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': body.type }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE) res.destroy(new Error('the response is larger than the helpers accept'));
            else chunks.push(chunk);
          });
          res.on('error', reject);
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            if (status < 300 || accept?.(status) === true) return resolve({ status, text });
            reject(failure(status, text, res.headers[OUTCOME_HEADER]));
          });
        },
      );
      req.on('error', reject);
      req.end(body?.data);
    });

  const failure = (status: number, text: string, outcome: string | string[] | undefined): Error => {
    const own = typeof outcome === 'string' ? deps.outcome(outcome) : undefined;
    if (own !== undefined) return own;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text) as unknown;
    } catch {
      parsed = undefined;
    }
    const message = (parsed as { message?: unknown } | undefined)?.message;
    return new KubeApiError(typeof message === 'string' ? message : text.slice(0, 500), status, parsed);
  };

  const json = async (method: string, path: string, body?: { type: string; data: string }): Promise<unknown> =>
    JSON.parse((await call(method, path, body)).text) as unknown;

  const inOrder =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      queue.enqueue(() => fn(...args));

  return {
    get: inOrder((ref: KubeObjectRef) => json('GET', objectPath(ref))),
    list: inOrder((options: KubeListOptions) => json('GET', collectionPath(options) + query(listQuery(options)))),
    delete: inOrder((ref: KubeObjectRef) => json('DELETE', objectPath(ref))),
    apply: inOrder(async (object: Readonly<Record<string, unknown>>, options?: { readonly resource?: string }) => {
      const ref = refOf(object, options?.resource);
      const data = JSON.stringify(object);
      const created = await call('POST', collectionPath(ref), { type: 'application/json', data }, (s) => s === 409);
      if (created.status !== 409) return JSON.parse(created.text) as unknown;
      return json('PATCH', objectPath(ref), { type: 'application/merge-patch+json', data });
    }),
    logs: inOrder(async (options: KubeLogsOptions) => {
      const q: Record<string, string> = {};
      if (options.container !== undefined) q['container'] = segment(options.container, 'container');
      if (options.tailLines !== undefined) q['tailLines'] = String(whole(options.tailLines, 'tailLines'));
      if (options.sinceSeconds !== undefined) q['sinceSeconds'] = String(whole(options.sinceSeconds, 'sinceSeconds'));
      if (options.previous === true) q['previous'] = 'true';
      const path = `${objectPath({ resource: 'pods', namespace: options.namespace, name: options.pod })}/log${query(q)}`;
      return (await call('GET', path)).text;
    }),
    watch: inOrder((options: KubeWatchOptions) => watch(options)),
    exec: inOrder((options: KubeExecOptions) => exec(options)),
    close: () => agent.destroy(),
  };

  async function watch(options: KubeWatchOptions): Promise<readonly KubeWatchEvent[]> {
    const timeout = options.timeoutSeconds ?? 5;
    const max = options.maxEvents ?? 100;
    const q: Record<string, string> = { ...listQuery(options), watch: 'true', timeoutSeconds: String(whole(timeout, 'timeoutSeconds')) };
    if (options.resourceVersion !== undefined) q['resourceVersion'] = options.resourceVersion;
    const path = collectionPath(options) + query(q);
    return new Promise((resolve, reject) => {
      const events: KubeWatchEvent[] = [];
      let pending = '';
      const req = httpRequest(
        { hostname: origin.hostname, port: origin.port, method: 'GET', path, agent, headers: { authorization: `Bearer ${deps.token}`, accept: 'application/json' } },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 300) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => reject(failure(status, Buffer.concat(chunks).toString('utf8'), res.headers[OUTCOME_HEADER])));
            return;
          }
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            pending += chunk;
            let nl = pending.indexOf('\n');
            while (nl !== -1 && events.length < max) {
              const line = pending.slice(0, nl).trim();
              pending = pending.slice(nl + 1);
              if (line !== '') {
                const event = JSON.parse(line) as { type?: unknown; object?: unknown };
                events.push({ type: String(event.type), object: event.object });
              }
              nl = pending.indexOf('\n');
            }
            if (events.length >= max) {
              res.destroy();
              resolve(events);
            }
          });
          res.on('end', () => resolve(events));
          res.on('close', () => resolve(events));
          res.on('error', () => resolve(events));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  async function exec(options: KubeExecOptions): Promise<KubeExecResult> {
    if (!Array.isArray(options.command) || options.command.length === 0 || !options.command.every((a) => typeof a === 'string')) {
      throw new TypeError('exec: command is a non-empty array of strings');
    }
    const params = new URLSearchParams();
    for (const arg of options.command) params.append('command', arg);
    if (options.container !== undefined) params.set('container', segment(options.container, 'container'));
    params.set('stdout', 'true');
    params.set('stderr', 'true');
    if (options.stdin !== undefined) params.set('stdin', 'true');
    const path = `${objectPath({ resource: 'pods', namespace: options.namespace, name: options.pod })}/exec?${params.toString()}`;
    const ws = new WebSocket(`wss://${origin.host}${path}`, ['v5.channel.k8s.io', 'v4.channel.k8s.io'], {
      headers: { authorization: `Bearer ${deps.token}` },
      ca: deps.ca,
      perMessageDeflate: false,
      followRedirects: false,
    });
    return new Promise<KubeExecResult>((resolve, reject) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let status: { status?: string; details?: { causes?: { reason?: string; message?: string }[] } } | undefined;
      ws.on('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => reject(failure(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), res.headers[OUTCOME_HEADER])));
      });
      ws.on('error', reject);
      ws.on('open', () => {
        if (options.stdin === undefined) return;
        ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(options.stdin, 'utf8')]));
        if (ws.protocol === 'v5.channel.k8s.io') ws.send(Buffer.from([255, 0]));
      });
      ws.on('message', (data: Buffer) => {
        const channel = data[0];
        const payload = data.subarray(1);
        if (channel === 1) stdout.push(Buffer.from(payload));
        else if (channel === 2) stderr.push(Buffer.from(payload));
        else if (channel === 3) {
          try {
            status = JSON.parse(payload.toString('utf8')) as typeof status;
          } catch {
            status = undefined;
          }
        }
      });
      ws.on('close', () => {
        let exitCode: number | null = null;
        if (status?.status === 'Success') exitCode = 0;
        else {
          const cause = status?.details?.causes?.find((c) => c.reason === 'ExitCode');
          if (cause?.message !== undefined) exitCode = Number(cause.message);
        }
        resolve({ stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), exitCode });
      });
    });
  }
}

/** `/api/v1` or `/apis/<group>/<version>`. */
function versionPath(apiVersion: string | undefined): string {
  const version = apiVersion ?? 'v1';
  if (!API_VERSION.test(version)) throw new TypeError(`apiVersion ${JSON.stringify(version)} is not a Kubernetes API version`);
  return version.includes('/') ? `/apis/${version}` : `/api/${version}`;
}

function segment(value: unknown, what: string): string {
  if (typeof value !== 'string' || !SEGMENT.test(value) || value.length > 253) {
    throw new TypeError(`${what} ${JSON.stringify(value)} is not a Kubernetes name`);
  }
  return value;
}

function whole(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new TypeError(`${what} is a whole number`);
  return value;
}

function collectionPath(options: { apiVersion?: string; resource: string; namespace?: string }): string {
  const namespace = options.namespace === undefined ? '' : `/namespaces/${segment(options.namespace, 'namespace')}`;
  return `${versionPath(options.apiVersion)}${namespace}/${segment(options.resource, 'resource')}`;
}

function objectPath(ref: KubeObjectRef): string {
  return `${collectionPath(ref)}/${segment(ref.name, 'name')}`;
}

function listQuery(options: KubeListOptions): Record<string, string> {
  const q: Record<string, string> = {};
  if (options.labelSelector !== undefined) q['labelSelector'] = String(options.labelSelector);
  if (options.fieldSelector !== undefined) q['fieldSelector'] = String(options.fieldSelector);
  if (options.limit !== undefined) q['limit'] = String(whole(options.limit, 'limit'));
  return q;
}

function query(params: Record<string, string>): string {
  const text = new URLSearchParams(params).toString();
  return text === '' ? '' : `?${text}`;
}

/** The reference of an object to apply: its apiVersion, kind's plural (or `resource`), namespace and name. */
function refOf(object: Readonly<Record<string, unknown>>, resource: string | undefined): KubeObjectRef {
  const kind = object['kind'];
  const metadata = object['metadata'] as { name?: unknown; namespace?: unknown } | undefined;
  if (typeof kind !== 'string' || typeof metadata?.name !== 'string') {
    throw new TypeError('apply: the object needs a kind and metadata.name');
  }
  return {
    apiVersion: typeof object['apiVersion'] === 'string' ? object['apiVersion'] : 'v1',
    resource: resource ?? pluralOf(kind),
    ...(typeof metadata.namespace === 'string' ? { namespace: metadata.namespace } : {}),
    name: metadata.name,
  };
}

/** The plural resource name Kubernetes derives from a kind (`Pod` → `pods`, `NetworkPolicy` → `networkpolicies`). */
function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith('s') || lower.endsWith('x') || lower.endsWith('ch') || lower.endsWith('sh')) return `${lower}es`;
  if (lower.endsWith('y') && !/[aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}
