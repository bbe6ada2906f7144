// Which client headers go upstream, and so are classified and bound into approvals. The gate
// forwards exactly the headers it classifies; the only others on the upstream request are the
// ones it sets itself (the real credential, Host, the body length, the WebSocket handshake).

/** Headers of the client's connection, never forwarded: the gate sets its own. */
const TRANSPORT: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'proxy-connection',
  'host',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'accept-encoding',
  'expect',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
  // kubectl sends a new random id per invocation; forwarding it would bind every approval to
  // one invocation, so a reviewed `kubectl delete` could never be run again once approved.
  'kubectl-session',
]);

/**
 * Client headers as the gate forwards and classifies them: names lower-cased, repeats kept in
 * order as arrays, transport headers left out, and `Accept` narrowed to JSON so the masker can
 * read every response (protobuf and CBOR media ranges are dropped; none left means
 * `application/json`).
 *
 * @example
 * ```ts
 * forwardedHeaders(['Accept', 'application/vnd.kubernetes.protobuf,application/json', 'Impersonate-Group', 'a', 'Impersonate-Group', 'b']);
 * // → { accept: ['application/json'], 'impersonate-group': ['a', 'b'] }
 * ```
 */
export function forwardedHeaders(rawHeaders: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    if (TRANSPORT.has(name)) continue;
    const value = rawHeaders[i + 1] as string;
    (out[name] ??= []).push(value);
  }
  out['accept'] = [jsonAccept(out['accept'])];
  return out;
}

/** The JSON media ranges of `Accept` values (with their parameters, `as=Table` included). */
function jsonAccept(values: readonly string[] | undefined): string {
  const kept: string[] = [];
  for (const value of values ?? []) {
    for (const range of value.split(',')) {
      const media = range.trim();
      const type = (media.split(';')[0] ?? '').trim().toLowerCase();
      if (type === 'application/json' || type === '*/*') kept.push(media);
    }
  }
  return kept.length === 0 ? 'application/json' : kept.join(',');
}
