// Driver call → Request: the one pure place where the facade's arguments become what is
// classified, decided, approved and sent. Everything the executor sends comes from the plan
// returned here, so what runs is what was decided.
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { classifyRequest, readsScriptFromStdin, type CommandStdin } from '@portcullis/core';
import type { ExecPlan, ForwardPlan, SftpOperation, SftpPlan, ShellPlan } from './internal-types.js';
import { exactText } from './lib/text.js';

/** What an SSH environment variable name may be (as `env NAME=VALUE` reads it). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const READS: ReadonlySet<SftpOperation> = new Set(['readFile', 'readdir', 'stat']);
const OPERATIONS: ReadonlySet<string> = new Set<SftpOperation>([
  'readFile',
  'writeFile',
  'readdir',
  'stat',
  'mkdir',
  'rmdir',
  'unlink',
  'rename',
  'chmod',
]);
const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * Normalises an `exec`/`execStream` call. The command must be a string (Buffers, NUL and lone
 * surrogates are refused, so the classified text is the sent text); `env` becomes part of the
 * request (classified as an `env NAME=VALUE` prefix); given `stdin` is hashed into the request,
 * and when the command is a shell reading its commands from stdin (`bash`, `sh -s`, `bash -`:
 * core's `readsScriptFromStdin`), its text is the script the classifier reads. Any other stdin
 * is data, and core decides whether every command of the line treats it so (else `unknown`).
 * No terminal: `pty` is false.
 *
 * @example
 * ```ts
 * toExecPlan('ls -la', { env: { LANG: 'C' } }).request;
 * // { type: 'command', command: 'ls -la', env: { LANG: 'C' }, pty: false }
 * ```
 * @throws TypeError for a command, env, stdin or timeout of the wrong shape.
 */
export function toExecPlan(command: unknown, options: unknown = {}): ExecPlan {
  const text = exactText(command, 'the command');
  if (text.trim() === '') throw new TypeError('the command must not be empty');
  const opts = plainObject(options, 'exec options');
  for (const key of Object.keys(opts)) {
    if (key !== 'env' && key !== 'stdin' && key !== 'timeoutMs') {
      throw new TypeError(
        `exec options: unknown option "${key}" (env, stdin, timeoutMs); exec never has a terminal`,
      );
    }
  }
  const env = opts['env'] === undefined ? undefined : envOf(opts['env']);
  const stdin = opts['stdin'] === undefined ? undefined : bytesOf(opts['stdin'], 'stdin');
  const timeoutMs = opts['timeoutMs'];
  if (
    timeoutMs !== undefined &&
    !(
      typeof timeoutMs === 'number' &&
      Number.isInteger(timeoutMs) &&
      timeoutMs > 0 &&
      timeoutMs <= MAX_TIMEOUT_MS
    )
  ) {
    throw new TypeError('timeoutMs must be a positive whole number of milliseconds');
  }
  let stdinInfo: CommandStdin | undefined;
  if (stdin !== undefined) {
    const sha256 = createHash('sha256').update(stdin).digest('hex');
    stdinInfo = { sha256, bytes: stdin.length };
    if (readsScriptFromStdin(text)) {
      // The shell runs what stdin says: that text is the command line to classify. Bytes that
      // are not UTF-8 cannot be classified: the script is then the replacement text, which
      // will not match what runs — refuse instead.
      const script = stdin.toString('utf8');
      if (!Buffer.from(script, 'utf8').equals(stdin) || script.includes('\0')) {
        throw new TypeError(
          'stdin given to a shell must be UTF-8 text without NUL: it is classified as commands',
        );
      }
      stdinInfo = { ...stdinInfo, script };
    }
  }
  return {
    kind: 'exec',
    request: {
      type: 'command',
      command: text,
      ...(env === undefined ? {} : { env }),
      ...(stdinInfo === undefined ? {} : { stdin: stdinInfo }),
      pty: false,
    },
    command: text,
    env,
    stdin,
    timeoutMs: timeoutMs,
  };
}

/**
 * Normalises a `shell` call: a terminal of `cols` × `rows` (1–1000 each).
 *
 * @example
 * ```ts
 * toShellPlan({ cols: 80, rows: 24 }).request; // { type: 'shell', pty: true }
 * ```
 * @throws TypeError for sizes that are not whole numbers in range, or an unknown option.
 */
export function toShellPlan(options: unknown = {}): ShellPlan {
  const opts = plainObject(options, 'shell options');
  for (const key of Object.keys(opts)) {
    if (key !== 'cols' && key !== 'rows' && key !== 'term') {
      throw new TypeError(`shell options: unknown option "${key}" (cols, rows, term)`);
    }
  }
  const cols = opts['cols'] ?? 80;
  const rows = opts['rows'] ?? 24;
  checkSize(cols, 'cols');
  checkSize(rows, 'rows');
  const term = opts['term'] ?? 'xterm-256color';
  if (typeof term !== 'string' || !/^[A-Za-z0-9._+-]{1,64}$/.test(term)) {
    throw new TypeError('term must be a terminal type name such as xterm-256color');
  }
  return { kind: 'shell', request: { type: 'shell', pty: true }, cols, rows, term };
}

/**
 * Normalises one SFTP operation: paths resolved against the remote home (`~`, `~/x` and
 * relative paths), dot segments and repeated slashes removed, so the request names the
 * absolute path that is sent. Reads (`readFile`, `readdir`, `stat`) are `read`; the rest are
 * `write`, a rename of both paths.
 *
 * @example
 * ```ts
 * toSftpPlan('readFile', ['../etc/passwd'], '/home/app').request;
 * // { type: 'sftp', mode: 'read', path: '/home/etc/passwd', operation: 'readFile' }
 * ```
 * @throws TypeError for an unknown operation or a path that is not a plain string.
 */
export function toSftpPlan(operation: SftpOperation, args: readonly unknown[], home: string): SftpPlan {
  if (!OPERATIONS.has(operation)) throw new TypeError(`unknown SFTP operation ${JSON.stringify(operation)}`);
  const file = sftpPath(args[0], home, 'path');
  let to: string | undefined;
  let data: Buffer | undefined;
  let mode: number | undefined;
  if (operation === 'rename') to = sftpPath(args[1], home, 'the new path');
  if (operation === 'writeFile') data = bytesOf(args[1], 'the data');
  if (operation === 'chmod' || (operation === 'mkdir' && args[1] !== undefined)) {
    const m = args[1];
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 0 || m > 0o7777) {
      throw new TypeError('mode must be a number such as 0o644');
    }
    mode = m;
  }
  return {
    kind: 'sftp',
    operation,
    request: {
      type: 'sftp',
      mode: READS.has(operation) ? 'read' : 'write',
      path: file,
      operation,
      ...(to === undefined ? {} : { to }),
      ...(data === undefined ? {} : { contentSha256: createHash('sha256').update(data).digest('hex') }),
      ...(mode === undefined ? {} : { permissions: mode }),
    },
    path: file,
    to,
    data,
    mode,
  };
}

/**
 * Resolves an SFTP path against the remote home: `~` and `~/…` start there, relative paths
 * too; the result is absolute with `.`/`..` and repeated slashes removed (`/..` stays `/`).
 *
 * @example
 * ```ts
 * resolveSftpPath('~/../../etc/shadow', '/home/app'); // '/etc/shadow'
 * ```
 * @throws TypeError for `~user` forms, NUL, lone surrogates or an empty path.
 */
export function resolveSftpPath(raw: string, home: string): string {
  const text = exactText(raw, 'the path');
  if (text === '') throw new TypeError('the path must not be empty');
  let rest = text;
  if (text === '~' || text.startsWith('~/')) rest = path.posix.join(home, text.slice(1));
  else if (text.startsWith('~')) throw new TypeError('only ~ and ~/… are resolved; ~user paths are not');
  const absolute = rest.startsWith('/') ? rest : path.posix.join(home, rest);
  const normal = path.posix.normalize(absolute);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/**
 * Normalises a `forward(host, port)` call: the host in the one canonical spelling the
 * classifier gives it (`127.1` and `::ffff:127.0.0.1` are `127.0.0.1`), which is also what is
 * sent to the server. A host the classifier cannot place stays as given (and decides as
 * `unknown`). Needs the classifiers loaded (`createPortcullis` does it).
 *
 * @example
 * ```ts
 * toForwardPlan('0x7f.1', 5432).request; // { type: 'forward', host: '127.0.0.1', port: 5432 }
 * ```
 * @throws TypeError for a host that is not a string or a port that is not 1–65535.
 */
export function toForwardPlan(host: unknown, port: unknown): ForwardPlan {
  const given = exactText(host, 'the host');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError('the port must be a whole number from 1 to 65535');
  }
  const [action] = classifyRequest({ type: 'forward', host: given, port });
  let canonical = given;
  if (action?.operation === 'forward' && action.resource !== undefined) {
    const hostPart = action.resource.slice(0, action.resource.lastIndexOf(':'));
    canonical = hostPart.startsWith('[') ? hostPart.slice(1, -1) : hostPart;
  }
  return { kind: 'forward', request: { type: 'forward', host: canonical, port }, host: canonical, port };
}

function sftpPath(value: unknown, home: string, what: string): string {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string`);
  return resolveSftpPath(value, home);
}

function checkSize(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 1000) {
    throw new TypeError(`${what} must be a whole number from 1 to 1000`);
  }
}

function plainObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${what} must be an object`);
  }
  return value as Record<string, unknown>;
}

function envOf(value: unknown): Readonly<Record<string, string>> {
  const env = plainObject(value, 'env');
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(env)) {
    if (!ENV_NAME.test(name)) throw new TypeError(`env: ${JSON.stringify(name)} is not a variable name`);
    out[name] = exactText(v, `env ${name}`);
  }
  return Object.freeze(out);
}

/** A copy of the bytes (the caller's buffer may change after the decision). */
function bytesOf(value: unknown, what: string): Buffer {
  if (typeof value === 'string') return Buffer.from(exactText(value, what), 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value);
  throw new TypeError(`${what} must be a string, Buffer or Uint8Array`);
}
