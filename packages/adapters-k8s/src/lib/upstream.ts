// The gate's side of the API server: the real credential, applied per request from the host's
// KubeConfig (so exec plugins and rotating tokens keep working), and kept-alive connections.
// Nothing here is reachable from a session.
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
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null || typeof cluster.server !== 'string') {
    throw new TypeError('createKubeGate: the kubeConfig has no current cluster');
  }
  let origin: URL;
  try {
    origin = new URL(cluster.server);
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
      await kubeConfig.applyToHTTPSOptions(opts);
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
