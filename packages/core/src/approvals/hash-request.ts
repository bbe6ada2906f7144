import { createHash } from 'node:crypto';
import type { Principal, Request } from '../types.js';
import { canonicalJson } from '../record/canonical-json.js';
import { headerEntries } from '../classify/kubernetes/headers.js';

/** What an approval is bound to: who asks, where, and exactly what. */
export interface RequestIdentity {
  readonly principal: Principal;
  readonly target: string;
  readonly request: Request;
}

/**
 * The principal's actor chain, current actor first: `actorChain` when the token carried one,
 * else `[actor]`, else empty.
 *
 * @example
 * ```ts
 * actorsOf({ subject: 'alice', groups: [], kind: 'agent', actor: 'copilot' }); // ['copilot']
 * ```
 */
export function actorsOf(principal: Principal): readonly string[] {
  if (principal.actorChain !== undefined && principal.actorChain.length > 0) return principal.actorChain;
  return principal.actor === undefined ? [] : [principal.actor];
}

/**
 * The part of a request that decides what it does, in a fixed shape: SQL text (with its
 * parameter values when it has any) and command lines exactly as given (with the environment,
 * the SHA-256 of the stdin and the terminal flag when the request has them); Kubernetes method upper-cased, path as given, the `Impersonate-*`
 * headers (names lower-cased, sorted; values sorted), the `Content-Type` values when there are
 * any (each lower-cased, its parameters normalised and sorted, in order) and the SHA-256 of the
 * body when there is one; SFTP mode, path, operation, rename target, content hash and permissions; shell terminal flag; forward `host:port`.
 * Other Kubernetes headers (user agent, tracing) do not change what the call does and are left
 * out so that a retry with a new trace id is still the approved request.
 *
 * @example
 * ```ts
 * canonicalRequest({ type: 'kube', method: 'delete', path: '/api/v1/nodes/n1', headers: { 'User-Agent': 'x' } });
 * // { type: 'kube', method: 'DELETE', path: '/api/v1/nodes/n1', impersonate: [] }
 * canonicalRequest({ type: 'kube', method: 'PATCH', path: '/api/v1/nodes/n1', headers: { 'Content-Type': 'Application/Merge-Patch+JSON' } });
 * // { type: 'kube', method: 'PATCH', path: '/api/v1/nodes/n1', impersonate: [], contentType: ['application/merge-patch+json'] }
 * ```
 * @throws TypeError for a value that is not a {@link Request}.
 */
export function canonicalRequest(request: Request): Readonly<Record<string, unknown>> {
  switch (request.type) {
    case 'sql':
      // Without values the form (and so every earlier hash) is unchanged.
      return request.params === undefined || request.params.length === 0
        ? { type: 'sql', sql: request.sql }
        : { type: 'sql', sql: request.sql, params: [...request.params] };
    case 'command':
      // Without env, stdin or pty the form (and so every earlier hash) is unchanged.
      return {
        type: 'command',
        command: request.command,
        ...(request.env === undefined ? {} : { env: { ...request.env } }),
        ...(request.stdin === undefined ? {} : { stdinSha256: request.stdin.sha256 }),
        ...(request.pty === undefined ? {} : { pty: request.pty }),
      };
    case 'shell':
      return request.pty === undefined ? { type: 'shell' } : { type: 'shell', pty: request.pty };
    case 'sftp':
      return {
        type: 'sftp',
        mode: request.mode,
        path: request.path,
        ...(request.operation === undefined ? {} : { operation: request.operation }),
        ...(request.to === undefined ? {} : { to: request.to }),
        ...(request.contentSha256 === undefined ? {} : { contentSha256: request.contentSha256 }),
        ...(request.permissions === undefined ? {} : { permissions: request.permissions }),
      };
    case 'forward':
      return { type: 'forward', to: `${request.host}:${String(request.port)}` };
    case 'kube': {
      const impersonate: [string, string[]][] = [];
      const contentType: string[] = [];
      // The classifier reads a Map or fetch Headers too; the binding must see what it saw.
      const entries = headerEntries(request.headers);
      if (entries === undefined) throw new TypeError('kube request headers are not a record, Map or Headers');
      for (const [name, value] of entries) {
        const lower = name.trim().toLowerCase();
        const values =
          typeof value === 'string' ? [value] : Array.isArray(value) ? value.map(String) : [String(value)];
        if (lower === 'content-type') contentType.push(...values.map(normalMediaType));
        if (!lower.startsWith('impersonate-')) continue;
        impersonate.push([lower, values.sort()]);
      }
      impersonate.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return {
        type: 'kube',
        method: request.method.toUpperCase(),
        path: request.path,
        impersonate,
        // The media type says what the body does: the same bytes are a JSON merge patch, a
        // strategic merge patch, a JSON patch or a server-side apply (which creates the object
        // and takes field ownership) by their Content-Type alone. Only requests that carry one
        // bind it, so the hash of every other request is unchanged; an approval stored before
        // this binding for a request with a Content-Type no longer matches it (fail closed: it
        // is asked for again).
        ...(contentType.length === 0 ? {} : { contentType }),
        // The body binds the approval to what is written, not only where (a hash of its exact
        // bytes keeps the canonical form small for large manifests and protobuf alike).
        ...(request.body === undefined ? {} : { bodySha256: sha256(request.body) }),
      };
    }
    default:
      throw new TypeError(`not a Portcullis request: ${JSON.stringify(request)}`);
  }
}

/**
 * A media type in one spelling: lower-cased, whitespace around `;` and `=` removed, quoted
 * parameter values unquoted, empty parameters dropped, parameters sorted
 * (`Application/JSON; Charset="UTF-8"` → `application/json;charset=utf-8`). Media types and
 * the parameters Kubernetes reads are case-insensitive, so spellings that mean the same are
 * one binding.
 */
function normalMediaType(value: string): string {
  const [type = '', ...parameters] = value.toLowerCase().split(';');
  const kept: string[] = [];
  for (const parameter of parameters) {
    const eq = parameter.indexOf('=');
    const name = (eq === -1 ? parameter : parameter.slice(0, eq)).trim();
    let given = eq === -1 ? '' : parameter.slice(eq + 1).trim();
    if (given.length >= 2 && given.startsWith('"') && given.endsWith('"')) given = given.slice(1, -1);
    if (name !== '') kept.push(eq === -1 ? name : `${name}=${given}`);
  }
  return [type.trim(), ...kept.sort()].join(';');
}

/** SHA-256 (hex) of bytes, or of text's UTF-8 bytes. */
function sha256(data: string | Uint8Array): string {
  const hash = createHash('sha256');
  if (typeof data === 'string') hash.update(data, 'utf8');
  else hash.update(data);
  return hash.digest('hex');
}

/**
 * The SHA-256 (hex) an approval is bound to: over the canonical JSON of the subject, the actor
 * chain, the target name and {@link canonicalRequest}. A request differing by one character,
 * made by another subject or through another agent, or sent to another target hashes
 * differently, so an approval never carries over to it.
 *
 * @example
 * ```ts
 * hashRequest({ principal: alice, target: 'warehouse', request: { type: 'sql', sql: 'DELETE FROM t' } });
 * // '3f0c…' (64 hex digits)
 * ```
 * @throws TypeError for a value that is not a {@link Request}.
 */
export function hashRequest(identity: RequestIdentity): string {
  return sha256(
    canonicalJson({
      v: 1,
      kind: 'request',
      subject: identity.principal.subject,
      actors: actorsOf(identity.principal),
      target: identity.target,
      request: canonicalRequest(identity.request),
    }),
  );
}

/**
 * The SHA-256 (hex) of (subject, actor chain, target): the key `window` grants are stored and
 * found under, so that a window approved for alice through copilot on warehouse is never
 * found for bob, for alice directly, or for another target.
 *
 * @example
 * ```ts
 * hashScope({ principal: alice, target: 'warehouse' }); // 64 hex digits
 * ```
 */
export function hashScope(scope: { readonly principal: Principal; readonly target: string }): string {
  return sha256(
    canonicalJson({
      v: 1,
      kind: 'scope',
      subject: scope.principal.subject,
      actors: actorsOf(scope.principal),
      target: scope.target,
    }),
  );
}

/**
 * The request as it is shown and kept (in recordings and approval records): an SQL request's
 * parameter values are left out, because they may hold secrets the recording must not — or, with
 * `maskValue` (approval records), kept as that function shows them, so approvers see what they
 * approve. A value that cannot be masked is shown as `[UNSHOWN]`. The approval binds the real
 * values through {@link hashRequest} either way. A Kubernetes body given as bytes is shown as
 * its text when it is UTF-8, else as `[binary body: N bytes, base64] …`, so the kept form is
 * JSON whatever the byte type.
 *
 * @example
 * ```ts
 * shownRequest({ type: 'sql', sql: 'SELECT $1', params: ['x'] }); // { type: 'sql', sql: 'SELECT $1' }
 * ```
 */
export function shownRequest(request: Request, maskValue?: (value: string) => string): Request {
  if (request.type === 'kube') {
    return typeof request.body === 'string' || request.body === undefined
      ? request
      : { ...request, body: shownBody(request.body) };
  }
  if (request.type !== 'sql' || request.params === undefined) return request;
  if (maskValue === undefined) return { type: 'sql', sql: request.sql };
  const params = request.params.map((value) => {
    if (value === null) return null;
    try {
      return maskValue(value);
    } catch {
      return '[UNSHOWN]';
    }
  });
  return { type: 'sql', sql: request.sql, params };
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A binary body as text for people and JSON records: the text itself when the bytes are UTF-8
 * (which turns back into the same bytes), else `[binary body: N bytes, base64] …`.
 */
function shownBody(bytes: Uint8Array): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    return `[binary body: ${String(bytes.byteLength)} bytes, base64] ${base64}`;
  }
}
