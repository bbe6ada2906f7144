// One allowed SFTP operation. Before it touches a path, the server resolves it (REALPATH follows
// symlinks), and a path that differs from the one decided on is decided too: a link inside an
// allowed directory that points outside it is refused. The operation then runs on the resolved
// path, so what runs is what was decided.
import type { GateRun, SftpRequest } from '@portcullis/core';
import path from 'node:path';
import type { SFTPWrapper, Stats } from 'ssh2';
import type { SftpPlan, SshRaw } from '../internal-types.js';
import type { SftpEntry, SftpStat } from '../types.js';
import type { SshConnection } from './connection.js';
import { bare } from './options.js';
import { asError } from './text.js';

/** SSH_FX_NO_SUCH_FILE. */
const NO_SUCH_FILE = 2;

/** Operations that act on what a final symlink points to; the others act on the link itself. */
const FOLLOWS = new Set(['readFile', 'writeFile', 'readdir', 'stat', 'chmod']);

/**
 * Runs `plan`; `check` decides the request again for resolved paths that differ.
 *
 * @example
 * ```ts
 * const raw = await runSftp(conn, plan, run, check);
 * ```
 * @throws DeniedError (from `check`) or the server's error.
 */
export async function runSftp(
  conn: SshConnection,
  plan: SftpPlan,
  run: GateRun,
  check: (request: SftpRequest) => Promise<void>,
): Promise<SshRaw> {
  run.signal.throwIfAborted();
  const sftp = await conn.sftp();
  const resolved = await resolvePath(sftp, plan.path, FOLLOWS.has(plan.operation));
  const resolvedTo = plan.to === undefined ? undefined : await resolvePath(sftp, plan.to, false);
  if (resolved !== plan.path || (resolvedTo !== undefined && resolvedTo !== plan.to)) {
    await check({
      ...plan.request,
      path: resolved,
      ...(resolvedTo === undefined ? {} : { to: resolvedTo }),
    });
  }
  const target = resolved;
  switch (plan.operation) {
    case 'readFile': {
      const text = await readText(sftp, target, run);
      return { kind: 'sftp', value: text, summary: `read ${Buffer.byteLength(text)} bytes` };
    }
    case 'writeFile': {
      const data = plan.data ?? Buffer.alloc(0);
      await call<undefined>((cb) => {
        sftp.writeFile(target, data, cb);
      });
      return { kind: 'sftp', value: undefined, summary: `wrote ${data.length} bytes` };
    }
    case 'readdir': {
      const list = await call<{ filename: string; attrs: Stats }[]>((cb) => {
        sftp.readdir(target, cb);
      });
      run.count(list.length, 0);
      const entries: SftpEntry[] = list
        .filter((e) => e.filename !== '.' && e.filename !== '..')
        .map((e) =>
          Object.freeze({
            name: run.masking.text(e.filename),
            type: typeOf(e.attrs.mode),
            size: e.attrs.size,
            mode: e.attrs.mode & 0o7777,
            mtime: e.attrs.mtime,
          }),
        );
      return { kind: 'sftp', value: Object.freeze(entries), summary: `${entries.length} entries` };
    }
    case 'stat': {
      const s = await call<Stats>((cb) => {
        sftp.stat(target, cb);
      });
      const stat: SftpStat = Object.freeze({
        type: typeOf(s.mode),
        size: s.size,
        mode: s.mode & 0o7777,
        uid: s.uid,
        gid: s.gid,
        atime: s.atime,
        mtime: s.mtime,
      });
      return { kind: 'sftp', value: stat, summary: stat.type };
    }
    case 'mkdir':
      await call<undefined>((cb) => {
        sftp.mkdir(target, plan.mode === undefined ? bare({}) : bare({ mode: plan.mode }), cb);
      });
      return { kind: 'sftp', value: undefined, summary: 'created' };
    case 'rmdir':
      await call<undefined>((cb) => {
        sftp.rmdir(target, cb);
      });
      return { kind: 'sftp', value: undefined, summary: 'removed' };
    case 'unlink':
      await call<undefined>((cb) => {
        sftp.unlink(target, cb);
      });
      return { kind: 'sftp', value: undefined, summary: 'removed' };
    case 'rename':
      await call<undefined>((cb) => {
        sftp.rename(target, resolvedTo as string, cb);
      });
      return { kind: 'sftp', value: undefined, summary: 'renamed' };
    case 'chmod':
      await call<undefined>((cb) => {
        // (ssh2's chmod builds its attributes as an object literal: their uid and gid would be
        // read from Object.prototype)
        sftp.setstat(target, bare({ mode: plan.mode as number }), cb);
      });
      return { kind: 'sftp', value: undefined, summary: `mode ${(plan.mode as number).toString(8)}` };
  }
}

/**
 * The path the server will act on: for operations that follow a final symlink, the server's
 * REALPATH of it; otherwise (and for a path that does not exist yet) the REALPATH of its
 * directory joined with its name. A name that exists but cannot be resolved is a dangling
 * symlink, which a write would follow to a place not decided on: refused.
 */
async function resolvePath(sftp: SFTPWrapper, file: string, follow: boolean): Promise<string> {
  if (follow) {
    try {
      return await call<string>((cb) => {
        sftp.realpath(file, cb);
      });
    } catch (err) {
      if (codeOf(err) !== NO_SUCH_FILE) throw err;
    }
  }
  if (file === '/') return '/';
  const dir = await call<string>((cb) => {
    sftp.realpath(path.posix.dirname(file), cb);
  });
  const joined = path.posix.join(dir, path.posix.basename(file));
  if (follow) {
    const exists = await call<Stats>((cb) => {
      sftp.lstat(joined, cb);
    }).then(
      () => true,
      () => false,
    );
    if (exists) {
      throw Object.assign(new Error(`${file} is a symlink that points nowhere; it is not followed`), {
        code: 'ERR_SFTP_DANGLING_LINK',
      });
    }
  }
  return joined;
}

/** Reads a file as UTF-8 text, counting its bytes against the caps and masking it as a stream. */
function readText(sftp: SFTPWrapper, file: string, run: GateRun): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const masker = run.masking.stream();
    const decoder = new TextDecoder('utf-8');
    const parts: string[] = [];
    // (its flags, start, end and handle are read from these options and their prototypes)
    const stream = sftp.createReadStream(file, bare({}));
    const onAbort = (): void => {
      stream.destroy();
      reject(asError(run.signal.reason));
    };
    run.signal.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (chunk: Buffer) => {
      try {
        run.count(0, chunk.length);
        parts.push(masker.write(decoder.decode(chunk, { stream: true })));
      } catch (err) {
        stream.destroy();
        run.signal.removeEventListener('abort', onAbort);
        reject(asError(err));
      }
    });
    stream.once('error', (err: Error) => {
      run.signal.removeEventListener('abort', onAbort);
      reject(err);
    });
    stream.once('end', () => {
      run.signal.removeEventListener('abort', onAbort);
      parts.push(masker.write(decoder.decode()), masker.end());
      resolve(parts.join(''));
    });
  });
}

function typeOf(mode: number): SftpStat['type'] {
  const kind = mode & 0o170000;
  return kind === 0o100000
    ? 'file'
    : kind === 0o040000
      ? 'directory'
      : kind === 0o120000
        ? 'symlink'
        : 'other';
}

function codeOf(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}

function call<T>(start: (cb: (err?: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((err, value) => {
      if (err instanceof Error) reject(err);
      else resolve(value as T);
    });
  });
}
