// How the gate relays and masks the answer to one request, decided from what the request
// CLASSIFIED as (the request-info result the policy was evaluated on), never from a second
// reading of the raw target. A second reading is a second parser: it disagreed with the API
// server about `?watch=` (empty is true), repeated and `;`-containing `watch` values, and about
// namespaces or Secrets named `log`, `proxy` or `watch`, and each disagreement sent Secret data
// down a relay without the Secret rule.
import type { Action } from '@portcullis/core';

/** How the answer to one request is relayed and masked. */
export interface ResponsePlan {
  /**
   * `watch`: a stream of JSON events, one per line (the request is a watch for the API
   * server); `json`: one JSON document; `text`: a log or proxied page, masked as a stream.
   * A `json` plan relays a non-JSON answer (an error page) as text unless `secrets` is set.
   */
  readonly relay: 'watch' | 'json' | 'text';
  /**
   * The request is for Secrets, or cannot be told apart from one (`unknown`): every object in
   * the answer loses its Secret values, and an answer (or watch event) that is not JSON is
   * never shown.
   */
  readonly secrets: boolean;
}

/** Subresources of a namespace object, not resources inside it (as the classifier reads them). */
const NAMESPACE_SUBRESOURCES: ReadonlySet<string> = new Set(['status', 'finalize']);

/** Unknown requests: whatever the API server makes of them may be a Secret. */
const FAIL_CLOSED: ResponsePlan = { relay: 'json', secrets: true };

/**
 * The relay and masking for a request's answer, from its classified actions (the first action
 * is the request's own; `command`, `shell` and `impersonate` actions follow it). The resource
 * type is read from the classified resource the way the classifier built it
 * (`[namespaces/<ns>/]<type>[/<name>[/<subresource>]]`); `secrets` of any group counts as
 * Secrets, so a lookalike API is masked like the real one.
 *
 * @example
 * ```ts
 * responsePlan([{ operation: 'watch', resource: 'namespaces/prod/secrets' }]);
 * // → { relay: 'watch', secrets: true }
 * responsePlan([{ operation: 'get', resource: 'namespaces/log/secrets/db' }]);
 * // → { relay: 'json', secrets: true }
 * responsePlan([{ operation: 'get', resource: 'namespaces/prod/pods/web-1/log' }]);
 * // → { relay: 'text', secrets: false }
 * ```
 */
export function responsePlan(actions: readonly Action[]): ResponsePlan {
  const main = actions[0];
  if (main === undefined || main.operation === 'unknown' || main.resource === undefined) return FAIL_CLOSED;
  const { operation, resource } = main;
  // Non-resource paths (`/version`, discovery, `/openapi/v2`, `/healthz`) keep their path.
  if (resource.startsWith('/')) return { relay: 'json', secrets: false };
  let parts = resource.split('/');
  if (parts[0] === 'namespaces' && parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? '')) {
    parts = parts.slice(2);
  }
  const [type = '', , subresource] = parts;
  const secrets = type === 'secrets' || type.startsWith('secrets.');
  if (operation === 'watch') return { relay: 'watch', secrets };
  if (secrets) return { relay: 'json', secrets };
  if (operation === 'proxy' || subresource === 'log') return { relay: 'text', secrets };
  return { relay: 'json', secrets };
}
