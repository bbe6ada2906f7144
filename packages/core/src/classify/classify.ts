// The classifier dispatcher: one entry point from any request to its actions (docs/ §3).
import path from 'node:path';
import type { Action, ClassifyContext, KubeRequest, Request } from '../types.js';
import { classifyKubeRequest } from './kubernetes.js';
import { classifyShellCommand, loadShellClassifier } from './shell.js';
import { neverReadsStdin, readsStdinAsData } from './shell/programs.js';
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
 * Classifies any request into the actions of docs/ §3: SQL through the PostgreSQL parser,
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
      if (line === undefined) return UNKNOWN;
      const actions = nonEmpty(classifyShellCommand(line.text));
      if (line.stdinReaders === undefined || stdinStaysData(line.stdinReaders)) return actions;
      return actions.some((a) => a.operation === 'unknown') ? actions : [...actions, ...UNKNOWN];
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
/**
 * Shells whose script read from stdin is bash syntax. zsh and ksh are left out: their syntax
 * (zsh's glob qualifiers run code) is not what tree-sitter-bash reads.
 */
const STDIN_SHELL = /^(?:(?:\/usr)?\/bin\/)?(?:ba|da)?sh$/;
/** Shell options that change nothing about which commands run (`-e`, `-u`, `-x`, `-v`). */
const HARMLESS_OPTIONS = /^(?:-[euxvs]+|\+[euxv]+)$/;
/** The same, ending in `o`: the next word names a `set -o` option. */
const HARMLESS_OPTIONS_O = /^(?:-[euxvs]*|\+[euxv]*)o$/;
const HARMLESS_OPTION_NAMES: ReadonlySet<string> = new Set([
  'errexit',
  'nounset',
  'xtrace',
  'verbose',
  'pipefail',
]);

/** A command line to classify, and the commands that share the stdin given with it. */
interface CommandLine {
  readonly text: string;
  /**
   * Present when stdin is given: the command line whose commands could read it, and whether it
   * is a script that a shell reads from that same stdin.
   */
  readonly stdinReaders?: { readonly text: string; readonly script: boolean };
}

/**
 * The command line to classify (SPEC.md §3): the command exactly as sent, preceded by the
 * environment it asks for as `env NAME=VALUE …`, so `LD_PRELOAD` and `BASH_ENV` meet the same
 * rules. When stdin is given to a shell that reads its commands from it (`bash`, `sh -s`,
 * `bash -`), its text is classified as that shell's `-c` command line. Either way the commands
 * that can read the given stdin are returned too, for {@link stdinStaysData}.
 */
function commandLine(r: Record<string, unknown>): CommandLine | undefined {
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
  if (stdin === undefined) return { text: `${prefix}${command}` };
  if (typeof stdin !== 'object' || stdin === null) return undefined;
  const script = (stdin as Record<string, unknown>)['script'];
  if (script === undefined) {
    return { text: `${prefix}${command}`, stdinReaders: { text: command, script: false } };
  }
  if (typeof script !== 'string' || !readsScriptFromStdin(command)) return undefined;
  const shell = command.trim().split(/[ \t]+/)[0] ?? '';
  return {
    text: `${prefix}${shell} -c ${shellQuote(script)}`,
    stdinReaders: { text: script, script: true },
  };
}

/**
 * Whether the given stdin stays data: every command that could read it (every command of the
 * line; for a script read from stdin, every command of the script, which reads the rest of it)
 * is a program known to treat stdin as data only. Every command is checked, not only those
 * whose stdin is the given one: data flows on through pipes (`cat | ed`) and into command
 * substitutions, and the classifier's list of actions already includes every command that
 * runs, through wrappers, functions and substitutions. An allowlist, never a blocklist: a
 * program that runs what it reads (`ed`, `sqlite3`, `make -f -`, any REPL) is not on it.
 */
function stdinStaysData(readers: { readonly text: string; readonly script: boolean }): boolean {
  const safe = readers.script ? neverReadsStdin : readsStdinAsData;
  return classifyShellCommand(readers.text).every(
    (a) =>
      a.operation === 'write' || (a.operation === 'exec' && a.resource !== undefined && safe(a.resource)),
  );
}

/**
 * Whether `command` is a shell that reads the commands it runs from stdin: `sh`, `bash` or
 * `dash` (by name or in /bin or /usr/bin) with no operand and only options that do not change
 * what runs (`-e`, `-u`, `-x`, `-v`, `-o pipefail`, `-s`), optionally ending its options with
 * `-` or `--`. An adapter giving such a command stdin puts its text in the request
 * (`stdin.script`), where it is classified as a command line.
 *
 * @example
 * ```ts
 * readsScriptFromStdin('bash -'); // true
 * readsScriptFromStdin('bash -eu -s --'); // true
 * readsScriptFromStdin('bash deploy.sh'); // false
 * ```
 */
export function readsScriptFromStdin(command: string): boolean {
  // The login shell splits the command into words: only blanks may separate them (a newline
  // would start a second command).
  if (!/^[ \t]*[\w/+-]+(?:[ \t]+[\w/+-]+)*[ \t]*$/.test(command)) return false;
  const [name, ...words] = command.trim().split(/[ \t]+/);
  if (name === undefined || !STDIN_SHELL.test(name)) return false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    if (word === '-' || word === '--') return i === words.length - 1;
    if (HARMLESS_OPTIONS_O.test(word)) {
      if (!HARMLESS_OPTION_NAMES.has(words[++i] ?? '')) return false;
    } else if (!HARMLESS_OPTIONS.test(word)) {
      return false;
    }
  }
  return true;
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
