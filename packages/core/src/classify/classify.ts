// The classifier dispatcher: one entry point from any request to its actions (SPEC.md §3).
import path from 'node:path';
import type { Action, ClassifyContext, KubeRequest, Request } from '../types.js';
import { classifyKubeRequest } from './kubernetes.js';
import { classifyShellCommand, loadShellClassifier } from './shell.js';
import { classifySql, loadSqlClassifier } from './sql.js';

const UNKNOWN: readonly Action[] = Object.freeze([Object.freeze({ operation: 'unknown' })]);
const SHELL: readonly Action[] = Object.freeze([Object.freeze({ operation: 'shell' })]);

let loading: Promise<void> | undefined;
let loaded = false;

/**
 * Loads every classifier's WebAssembly (the PostgreSQL parser and the bash grammar) once.
 * Idempotent: later calls return the same promise; after a failure the next call retries.
 *
 * @example
 * ```ts
 * await loadClassifiers();
 * classifyRequest({ type: 'command', command: 'ls -la' });
 * ```
 * @throws Error when a WebAssembly module cannot be loaded (the promise rejects).
 */
export function loadClassifiers(): Promise<void> {
  loading ??= Promise.all([loadSqlClassifier(), loadShellClassifier()]).then(
    () => {
      loaded = true;
    },
    (err: unknown) => {
      loading = undefined;
      throw err;
    },
  );
  return loading;
}

/**
 * Classifies any request into the actions of SPEC.md §3: SQL through the PostgreSQL parser,
 * SSH exec command lines through the bash grammar, interactive shells as `shell`, SFTP as
 * `sftp_read`/`sftp_write` on the path with dot segments resolved, port forwards as `forward`
 * on `host:port`, Kubernetes calls through the API server's request-info rules. Synchronous
 * once {@link loadClassifiers} has resolved; anything unresolvable (including a malformed
 * request object) is `[{ operation: 'unknown' }]`.
 *
 * @example
 * ```ts
 * await loadClassifiers();
 * classifyRequest({ type: 'sftp', mode: 'read', path: '/tmp/../etc/shadow' });
 * // → [{ operation: 'sftp_read', resource: '/etc/shadow' }]
 * ```
 * @throws TypeError when called before {@link loadClassifiers} has resolved.
 */
export function classifyRequest(request: Request, context?: ClassifyContext): readonly Action[] {
  if (!loaded) throw new TypeError('Classifiers are not loaded: await loadClassifiers() first.');
  try {
    return dispatch(request, context);
  } catch {
    return UNKNOWN;
  }
}

function dispatch(request: unknown, context: ClassifyContext | undefined): readonly Action[] {
  // Callers may be plain JavaScript or deserialised test files: check the shape, not the type.
  if (typeof request !== 'object' || request === null) return UNKNOWN;
  const r = request as Record<string, unknown>;
  switch (r['type']) {
    case 'sql':
      return typeof r['sql'] === 'string' ? nonEmpty(classifySql(r['sql'], context)) : UNKNOWN;
    case 'command': {
      const line = commandLine(r);
      return line === undefined ? UNKNOWN : nonEmpty(classifyShellCommand(line));
    }
    case 'shell':
      return SHELL;
    case 'sftp': {
      const mode = r['mode'];
      const file = typeof r['path'] === 'string' ? normalizeSftpPath(r['path']) : undefined;
      if (file === undefined || (mode !== 'read' && mode !== 'write')) return UNKNOWN;
      const operation = mode === 'read' ? 'sftp_read' : 'sftp_write';
      if (r['to'] === undefined) return [{ operation, resource: file }];
      // A rename writes both paths.
      const to = typeof r['to'] === 'string' ? normalizeSftpPath(r['to']) : undefined;
      if (to === undefined || mode !== 'write') return UNKNOWN;
      return [
        { operation, resource: file },
        { operation, resource: to },
      ];
    }
    case 'forward': {
      const target = forwardTarget(r['host'], r['port']);
      return target === undefined ? UNKNOWN : [{ operation: 'forward', resource: target }];
    }
    case 'kube':
      return nonEmpty(classifyKubeRequest(request as KubeRequest));
    default:
      return UNKNOWN;
  }
}

/** Environment variable names an exec may ask for (what `env NAME=VALUE` accepts as a name). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A shell that runs the commands it reads on stdin, with options that do not change what runs. */
const STDIN_SHELL = /^\s*(?:(?:\/usr)?\/bin\/)?(?:ba|da|k|z)?sh(?:\s+-[esuxv]+)*\s*$/;

/**
 * The command line to classify (SPEC.md §3): the command exactly as sent, preceded by the
 * environment it asks for as `env NAME=VALUE …`, so `LD_PRELOAD` and `BASH_ENV` meet the same
 * rules. When stdin is given to a shell that reads its commands from it (`bash`, `sh -s`), its
 * text is classified as that shell's `-c` command line; given to any other interpreter it is
 * code the classifier cannot read, which the shell classifier already reports as `unknown`.
 */
function commandLine(r: Record<string, unknown>): string | undefined {
  const command = r['command'];
  if (typeof command !== 'string') return undefined;
  let prefix = '';
  const env = r['env'];
  if (env !== undefined) {
    if (typeof env !== 'object' || env === null || Array.isArray(env)) return undefined;
    const entries = Object.entries(env as Record<string, unknown>);
    for (const [name, value] of entries) {
      if (!ENV_NAME.test(name) || typeof value !== 'string') return undefined;
    }
    if (entries.length > 0) {
      prefix = `env ${entries.map(([name, value]) => `${name}=${shellQuote(value as string)}`).join(' ')} `;
    }
  }
  const stdin = r['stdin'];
  if (
    typeof stdin === 'object' &&
    stdin !== null &&
    (stdin as Record<string, unknown>)['script'] !== undefined
  ) {
    const script = (stdin as Record<string, unknown>)['script'];
    if (typeof script !== 'string' || !readsScriptFromStdin(command)) return undefined;
    const shell = command.trim().split(/\s+/)[0] ?? '';
    return `${prefix}${shell} -c ${shellQuote(script)}`;
  }
  return `${prefix}${command}`;
}

/**
 * Whether `command` is a shell that reads the commands it runs from stdin (`bash`, `sh -s`,
 * `/bin/bash -e`): an adapter giving such a command stdin puts its text in the request
 * (`stdin.script`), where it is classified as a command line.
 *
 * @example
 * ```ts
 * readsScriptFromStdin('bash'); // true
 * readsScriptFromStdin('bash deploy.sh'); // false
 * ```
 */
export function readsScriptFromStdin(command: string): boolean {
  return STDIN_SHELL.test(command);
}

/** One single-quoted shell word. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** An empty list would let the engine decide on nothing: treat it as unresolvable. */
function nonEmpty(actions: readonly Action[]): readonly Action[] {
  return Array.isArray(actions) && actions.length > 0 ? actions : UNKNOWN;
}

/**
 * Resolves `.` and `..` segments and repeated slashes, so a policy on `/etc/**` sees
 * `/tmp/../etc/shadow` as `/etc/shadow`. A relative path stays relative (the SFTP server
 * resolves it against the login directory), but one that climbs above its start (`../x`)
 * cannot be placed and is unresolvable, as are empty paths and NUL bytes.
 */
function normalizeSftpPath(raw: string): string | undefined {
  if (raw === '' || raw.includes('\0')) return undefined;
  let p = path.posix.normalize(raw);
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  if (p === '..' || p.startsWith('../')) return undefined;
  return p;
}

/**
 * `host:port`, with the host in the one spelling a rule can match: lower-cased, IPv4 in
 * dotted-quad whatever form the server's resolver would accept (`127.1`, `0x7f.1`,
 * `2130706433` and `::ffff:127.0.0.1` are all `127.0.0.1`), IPv6 compressed and in brackets,
 * no trailing dot, international names in punycode. A deny on `169.254.169.254:*` must not be
 * dodged by `169.254.43518`.
 */
function forwardTarget(host: unknown, port: unknown): string | undefined {
  if (typeof host !== 'string' || typeof port !== 'number') return undefined;
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h === '' || /[\s/?#@[\]\\%]/.test(h)) return undefined;
  const canonical = canonicalHost(h);
  if (canonical === undefined) return undefined;
  return canonical.includes(':') ? `[${canonical}]:${port}` : `${canonical}:${port}`;
}

/** The WHATWG host parser: inet_aton-style IPv4 forms, IPv6 compression, IDNA. */
function canonicalHost(host: string): string | undefined {
  let parsed: string;
  try {
    parsed = new URL(`http://${host.includes(':') ? `[${host}]` : host}/`).hostname;
  } catch {
    return undefined;
  }
  if (parsed.startsWith('[')) {
    const v6 = parsed.slice(1, -1);
    // An IPv4-mapped IPv6 address connects to the IPv4 address.
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
    if (mapped === null) return v6;
    const hi = parseInt(mapped[1] ?? '0', 16);
    const lo = parseInt(mapped[2] ?? '0', 16);
    return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
  }
  const trimmed = parsed.endsWith('.') ? parsed.slice(0, -1) : parsed;
  return trimmed === '' ? undefined : trimmed;
}
