// The gate's side of the API server: the real credential, applied per request from the host's
// KubeConfig (so exec plugins and rotating tokens keep working), and kept-alive connections.
// Nothing here is reachable from a session.
//
// client-node reads the current context, cluster and user by name (`user.exec`,
// `user.impersonateUser`, `cluster.caFile`, and a `user`/`cluster`/`context` wrapper key while
// it looks them up). A host user made from an object literal has none of those names of its
// own, so a name planted on Object.prototype (a prototype pollution elsewhere in the host)
// would be read as its own: an exec credential plugin run in the host process, an impersonation
// header sent with the real credential. So client-node is handed copies of the three on null
// prototypes, holding only the host objects' own properties, in a KubeConfig of the host's class
// made afresh for each request (the host's later changes, such as a rotated token, still count).
// The same goes for an auth provider's settings (`user.authProvider.config`: a gcp provider's
// `cmd-path`, an exec plugin under `exec`, a `tokenFile`); what a provider writes there (a
// refreshed token) is given back to the host's settings, where client-node would have kept it.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions } from 'node:https';
import type { KubeConfigLike } from '../types.js';

/** How to reach the API server for one request. */
export interface UpstreamTarget {
  /** `https://host:port` (or `http://` for a plain-text server). */
  readonly origin: URL;
  /** The credential headers (`Authorization`) to add. */
  readonly headers: Readonly<Record<string, string>>;
  /** TLS options for a WebSocket client (CA, client certificate, server name). */
  readonly tls: Readonly<AgentOptions>;
  /** The connection pool for plain requests. */
  readonly agent: HttpAgent;
}

/** The upstream of one gate. */
export interface Upstream {
  /** Applies the real credential afresh (exec plugins and token files refresh here). */
  target(): Promise<UpstreamTarget>;
  /** Closes pooled connections. */
  close(): void;
}

const TLS_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

/**
 * The upstream for the host's KubeConfig: its current cluster's server and its current user's
 * credential.
 *
 * @throws TypeError when the KubeConfig has no current cluster or its server is not an
 * `https://` or `http://` URL.
 */
export function createUpstream(kubeConfig: KubeConfigLike): Upstream {
  const cluster = ownCurrent(kubeConfig)?.cluster;
  if (cluster === undefined || typeof cluster['server'] !== 'string') {
    throw new TypeError('createKubeGate: the kubeConfig has no current cluster');
  }
  let origin: URL;
  try {
    origin = new URL(cluster['server']);
  } catch {
    throw new TypeError('createKubeGate: the current cluster server is not a URL');
  }
  if (origin.protocol !== 'https:' && origin.protocol !== 'http:') {
    throw new TypeError('createKubeGate: the current cluster server must be an https:// or http:// URL');
  }
  if (origin.pathname !== '/' && origin.pathname !== '') {
    throw new TypeError('createKubeGate: a cluster server with a path prefix is not supported');
  }
  const secure = origin.protocol === 'https:';
  // The pool of the current TLS options: a new one (and the old one closed) only when they
  // change, as a rotated client certificate does.
  let pool: { readonly values: readonly unknown[]; readonly agent: HttpAgent } | undefined;

  return {
    async target() {
      const opts: { headers?: Record<string, unknown>; auth?: string } & Record<string, unknown> = {};
      const { view, settle } = ownView(kubeConfig);
      try {
        await view.applyToHTTPSOptions(opts);
      } finally {
        settle();
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(opts.headers ?? {})) {
        if (typeof value === 'string') headers[name] = value;
      }
      if (typeof opts.auth === 'string')
        headers['Authorization'] = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
      const tls: Record<string, unknown> = {};
      const values = TLS_KEYS.map((key) => opts[key]);
      TLS_KEYS.forEach((key, i) => {
        if (values[i] !== undefined) tls[key] = values[i];
      });
      if (pool === undefined || !values.every((value, i) => sameOption(value, pool?.values[i]))) {
        pool?.agent.destroy();
        const agent = secure
          ? new HttpsAgent({ keepAlive: true, maxSockets: 64, ...(tls as AgentOptions) })
          : new HttpAgent({ keepAlive: true, maxSockets: 64 });
        pool = { values, agent };
      }
      return { origin, headers, tls, agent: pool.agent };
    },
    close() {
      pool?.agent.destroy();
      pool = undefined;
    },
  };
}

/** Whether two values of one TLS option are the same (the same bytes for certificates and keys). */
function sameOption(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A host object's own properties, on a null prototype (so nothing planted is read through it). */
type Own = Record<string, unknown>;

/** The value of `object`'s own data property `key`, else undefined (never a getter's answer). */
function own(object: unknown, key: string): unknown {
  if (typeof object !== 'object' || object === null) return undefined;
  const descriptor = Object.getOwnPropertyDescriptor(object, key);
  return descriptor !== undefined && 'value' in descriptor ? descriptor.value : undefined;
}

/** A copy of `object`'s own data properties on a null prototype. */
function ownCopy(object: object): Own {
  const copy = Object.create(null) as Own;
  for (const key of Object.keys(object)) {
    const value = own(object, key);
    if (value !== undefined) copy[key] = value;
  }
  return copy;
}

/**
 * client-node's lookup of an entry by name (a flat entry, or one that wraps its fields under
 * `key`), reading own properties only; a copy of what it finds.
 */
function ownEntry(list: readonly unknown[], name: unknown, key: string): Own | undefined {
  for (const entry of list) {
    if (typeof entry !== 'object' || entry === null || own(entry, 'name') !== name) continue;
    const wrapped = own(entry, key);
    const found = typeof wrapped === 'object' && wrapped !== null ? ownCopy(wrapped) : ownCopy(entry);
    found['name'] = name;
    return found;
  }
  return undefined;
}

/**
 * Replaces an exec credential plugin under `holder.exec` with a copy of its own settings only
 * (its command, arguments, environment).
 */
function ownExec(holder: Own): void {
  const exec = holder['exec'];
  if (typeof exec === 'object' && exec !== null) holder['exec'] = ownCopy(exec);
}

/**
 * A copy of an auth provider (`{ name, config }`) with its settings' own properties only (and
 * of an exec plugin among them, one level down), and a function that gives the host's settings
 * what the provider wrote into the copy (a refreshed token: client-node keeps it there).
 */
function ownProvider(provider: object): { copy: Own; settle: () => void } {
  const copy = ownCopy(provider);
  const hostConfig = own(provider, 'config');
  if (typeof hostConfig !== 'object' || hostConfig === null) {
    delete copy['config'];
    return { copy, settle: () => undefined };
  }
  const config = ownCopy(hostConfig);
  ownExec(config);
  copy['config'] = config;
  const given = new Map(Object.entries(config));
  return {
    copy,
    settle: () => {
      for (const key of Object.keys(config)) {
        if (config[key] !== given.get(key)) (hostConfig as Own)[key] = config[key];
      }
    },
  };
}

/**
 * The host's current context, cluster and user, as own-property copies (see above), and what
 * gives the host's auth provider settings what client-node wrote into the copy of them.
 */
function ownCurrent(
  kubeConfig: KubeConfigLike,
): { context: Own; cluster?: Own; user?: Own; settle: () => void } | undefined {
  const context = ownEntry(kubeConfig.getContexts(), kubeConfig.getCurrentContext(), 'context');
  if (context === undefined) return undefined;
  const cluster = ownEntry(kubeConfig.getClusters(), context['cluster'], 'cluster');
  const user = ownEntry(kubeConfig.getUsers(), context['user'], 'user');
  if (user !== undefined) ownExec(user);
  // An auth provider's own settings only (a gcp or azure provider's `cmd-path`, an exec plugin
  // under `config.exec`, a `tokenFile`, an OIDC issuer).
  const provider = user?.['authProvider'];
  let settle = (): void => undefined;
  if (user !== undefined && typeof provider === 'object' && provider !== null) {
    const owned = ownProvider(provider);
    user['authProvider'] = owned.copy;
    settle = owned.settle;
  }
  return {
    context,
    ...(cluster === undefined ? {} : { cluster }),
    ...(user === undefined ? {} : { user }),
    settle,
  };
}

/**
 * A KubeConfig of the host's class holding only the host's current context, cluster and user,
 * as own-property copies, and the host's own added authenticators: what client-node applies;
 * and `settle`, to call once it applied them.
 */
function ownView(kubeConfig: KubeConfigLike): { view: KubeConfigLike; settle: () => void } {
  const Class = (Object.getPrototypeOf(kubeConfig) as { constructor: new () => KubeConfigLike }).constructor;
  const view = new Class();
  const current = ownCurrent(kubeConfig);
  const options = Object.create(null) as Own;
  options['contexts'] = current === undefined ? [] : [current.context];
  options['clusters'] = current?.cluster === undefined ? [] : [current.cluster];
  options['users'] = current?.user === undefined ? [] : [current.user];
  options['currentContext'] = current?.context['name'];
  view.loadFromOptions(options);
  const added = own(kubeConfig, 'custom_authenticators');
  const into = own(view, 'custom_authenticators');
  if (Array.isArray(added) && Array.isArray(into)) into.push(...(added as unknown[]));
  return { view, settle: current?.settle ?? ((): void => undefined) };
}
