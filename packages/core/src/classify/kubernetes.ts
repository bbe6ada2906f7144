// Kubernetes API requests → actions (SPEC.md §3 "Kubernetes API requests"). Mirrors the API
// server's own request-info resolution (k8s.io/apiserver, RequestInfoFactory.NewRequestInfo)
// so a policy sees the verb and object the server will authorize, and refuses every path shape
// where a proxy and the server could disagree.
import type { Action, KubeRequest } from '../types.js';
import { cachedActions, LruCache } from './sql/cache.js';
import { hasMethodOverride, headerEntries } from './kubernetes/headers.js';
import { impersonationActions } from './kubernetes/impersonation.js';
import { parseKubeTarget } from './kubernetes/url.js';

const UNKNOWN: Action = { operation: 'unknown' };

/** The verb the API server derives from an HTTP method on a resource path. */
const METHOD_VERBS: Readonly<Record<string, string>> = {
  GET: 'get',
  HEAD: 'get',
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** Subresources that are an operation of their own whatever the method (SPEC.md §3). */
const OWN_OPERATION_SUBRESOURCES: ReadonlySet<string> = new Set(['exec', 'attach', 'portforward', 'proxy']);

/** Subresources of a namespace object, not resources inside it (`namespaces/x/status`). */
const NAMESPACE_SUBRESOURCES: ReadonlySet<string> = new Set(['status', 'finalize']);

/** API versions: `v1`, `v2beta1`, `v1alpha3`. */
const VERSION = /^v\d+(?:(?:alpha|beta)\d+)?$/;
/** API group names are DNS subdomains. */
const GROUP = /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/;

/**
 * Classifies one Kubernetes API call (SPEC.md §3): the API server's verb for it (`get`, `list`,
 * `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`; `exec`, `attach`,
 * `portforward` and `proxy` subresources are their own operation whatever the method) on the
 * path without its `/api/v1` or `/apis/<group>/<version>` prefix, with the group appended to
 * the resource type; plus one `impersonate` action per impersonation header. Anything that
 * cannot be resolved with certainty is `unknown`. Never throws.
 *
 * @example
 * ```ts
 * classifyKubeRequest({ type: 'kube', method: 'GET', path: '/apis/apps/v1/namespaces/prod/deployments/web' });
 * // → [{ operation: 'get', resource: 'namespaces/prod/deployments.apps/web' }]
 * classifyKubeRequest({ type: 'kube', method: 'GET', path: '/api/v1/namespaces/prod/pods/web-1/exec?command=sh' });
 * // → [{ operation: 'exec', resource: 'namespaces/prod/pods/web-1/exec' }]
 * ```
 */
export function classifyKubeRequest(request: KubeRequest): readonly Action[] {
  // The same call classifies the same way: cached by its exact method, path and headers, when
  // they are plain strings (a header object with getters or class instances is classified
  // afresh, so what is cached is exactly what was classified).
  const copy = plainCopy(request);
  if (copy === undefined) return classifyUncached(request);
  return cachedActions(kubeCache, JSON.stringify(copy), MAX_CACHED_LENGTH, () => classifyUncached(copy));
}

const kubeCache = new LruCache<string, readonly Action[]>(1000);
const MAX_CACHED_LENGTH = 16_384;

/** A copy of the parts classification reads, or `undefined` when they are not plain data. */
function plainCopy(request: KubeRequest): KubeRequest | undefined {
  const given: unknown = request;
  if (typeof given !== 'object' || given === null) return undefined;
  const own = Object.getOwnPropertyDescriptors(given) as Record<string, PropertyDescriptor | undefined>;
  const method = own['method'];
  const path = own['path'];
  if (method === undefined || path === undefined || !('value' in method) || !('value' in path))
    return undefined;
  if (typeof method.value !== 'string' || typeof path.value !== 'string') return undefined;
  const headersProperty = own['headers'];
  if (headersProperty === undefined) return { type: 'kube', method: method.value, path: path.value };
  if (!('value' in headersProperty)) return undefined;
  const raw: unknown = headersProperty.value;
  if (raw === undefined || raw === null) return { type: 'kube', method: method.value, path: path.value };
  if (typeof raw !== 'object' || Object.getPrototypeOf(raw) !== Object.prototype) return undefined;
  const headers: Record<string, string | readonly string[]> = {};
  for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(raw))) {
    if (!('value' in descriptor) || !descriptor.enumerable) return undefined;
    const value: unknown = descriptor.value;
    if (typeof value === 'string') headers[name] = value;
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) headers[name] = [...value];
    else return undefined;
  }
  return { type: 'kube', method: method.value, path: path.value, headers };
}

function classifyUncached(request: KubeRequest): readonly Action[] {
  try {
    const headers = headerEntries((request as { headers?: unknown }).headers);
    if (headers === undefined) return [UNKNOWN];
    // A proxy honouring a method override would run another verb than the one classified.
    const main = hasMethodOverride(headers) ? UNKNOWN : mainAction(request);
    const impersonation = impersonationActions(headers);
    const out: Action[] = [];
    const seen = new Set<string>();
    for (const action of [main, ...impersonation]) {
      const key = `${action.operation}\u0000${action.resource ?? ''}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(action);
      }
    }
    return out;
  } catch {
    return [UNKNOWN];
  }
}

function mainAction(request: KubeRequest): Action {
  const { method, path } = request as { method?: unknown; path?: unknown };
  if (typeof method !== 'string' || typeof path !== 'string') return UNKNOWN;
  const upper = method.toUpperCase();
  // OPTIONS reaches the API server only through a proxy subresource (it proxies OPTIONS to the
  // backend); anywhere else it is no verb the server knows.
  const methodVerb = METHOD_VERBS[upper];
  if (methodVerb === undefined && upper !== 'OPTIONS') return UNKNOWN;
  const target = parseKubeTarget(path);
  if (target === undefined) return UNKNOWN;
  let parts = target.segments;

  // Non-resource requests: anything outside /api/<v>/… and /apis/<g>/<v>/… (discovery,
  // /version, /healthz, /metrics, /openapi/v2). The verb is the method's.
  const prefix = parts[0];
  const groupless = prefix === 'api';
  if ((prefix !== 'api' && prefix !== 'apis') || parts.length < (groupless ? 3 : 4)) {
    if (methodVerb === undefined) return UNKNOWN;
    return { operation: methodVerb, resource: parts.length === 0 ? '/' : `/${parts.join('/')}` };
  }
  const group = groupless ? '' : (parts[1] ?? '');
  if (!groupless && !GROUP.test(group)) return UNKNOWN;
  const version = parts[groupless ? 1 : 2] ?? '';
  if (!VERSION.test(version)) return UNKNOWN;
  parts = parts.slice(groupless ? 2 : 3);

  // The deprecated verb-in-path forms: /api/v1/watch/… and /api/v1/proxy/….
  let pathVerb: 'watch' | 'proxy' | undefined;
  if (parts[0] === 'watch' || parts[0] === 'proxy') {
    if (parts.length < 2) return UNKNOWN;
    pathVerb = parts[0];
    parts = parts.slice(1);
  }

  // /namespaces/<ns>/<resource>/… is relative to the resource; /namespaces/<ns>[/status] is
  // the namespace object itself.
  let namespacePrefix: string[] = [];
  if (parts[0] === 'namespaces' && parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? '')) {
    namespacePrefix = parts.slice(0, 2);
    parts = parts.slice(2);
  }
  const [resource, name, subresource] = parts;
  if (resource === undefined) return UNKNOWN;
  const resourceType = groupless ? resource : `${resource}.${group}`;

  if (pathVerb === 'proxy') {
    // /api/v1/proxy/<resource>/<name>/<path…>: the same as <resource>/<name>/proxy/<path…>.
    if (name === undefined) return UNKNOWN;
    return { operation: 'proxy', resource: [...namespacePrefix, resourceType, name, 'proxy'].join('/') };
  }
  // resource/name/subresource is all a request names; only a proxy carries a path after it.
  if (parts.length > 3 && subresource !== 'proxy') return UNKNOWN;
  const shown = [...namespacePrefix, resourceType, ...(name === undefined ? [] : [name])];
  if (subresource !== undefined) shown.push(subresource);
  const resourcePath = shown.join('/');

  if (subresource !== undefined && OWN_OPERATION_SUBRESOURCES.has(subresource)) {
    if (methodVerb === undefined && subresource !== 'proxy') return UNKNOWN;
    return { operation: subresource, resource: resourcePath };
  }
  if (methodVerb === undefined) return UNKNOWN;
  if (pathVerb === 'watch') return { operation: 'watch', resource: resourcePath };
  let verb = methodVerb;
  if (name === undefined && verb === 'get') {
    // Like metav1.ListOptions decoding: watch is true unless absent, "0" or "false".
    const watch = target.query.get('watch')?.[0];
    verb = watch === undefined || watch === '0' || watch.toLowerCase() === 'false' ? 'list' : 'watch';
  }
  if (name === undefined && verb === 'delete') verb = 'deletecollection';
  return { operation: verb, resource: resourcePath };
}
