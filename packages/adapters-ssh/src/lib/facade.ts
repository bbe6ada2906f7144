// One principal's facade: frozen closures over a gate session and its connection. Nothing of
// the driver is reachable from it; what its methods return is plain data or a stream of our own.
import type { GateQueue, GateSession } from '@portcullis/core';
import type { Duplex } from 'node:stream';
import type { SftpOperation, SftpPlan, SshCall } from '../internal-types.js';
import { toExecPlan, toForwardPlan, toSftpPlan, toShellPlan } from '../to-request.js';
import type {
  ExecChunk,
  ExecResult,
  ExecStream,
  GatedShell,
  GatedSftp,
  GatedSshSession,
  SftpEntry,
  SftpStat,
} from '../types.js';
import { createChunkQueue } from './chunk-queue.js';
import type { SshConnection } from './connection.js';
import { asError } from './text.js';

const noop = (): void => undefined;
type Exit = { readonly code: number | null; readonly signal: string | null };

/** A queue that runs each task at once: for the long-lived part of shells, forwards and streams. */
const IMMEDIATE: GateQueue = Object.freeze({
  enqueue: <T>(task: () => Promise<T>) => task(),
  idle: () => Promise.resolve(),
});

/**
 * Builds the facade of one session.
 *
 * @example
 * ```ts
 * const facade = createFacade(gate.open(principal), createConnection(config, verify, 'bastion'));
 * ```
 */
export function createFacade(
  session: GateSession<SshCall, unknown>,
  conn: SshConnection,
  onEnd: () => void,
): GatedSshSession {
  const open = new Set<() => void>();
  let ended = false;
  let endPromise: Promise<void> | undefined;
  let submitted: Promise<void> = Promise.resolve();
  let sftpFacade: GatedSftp | undefined;

  const assertOpen = (): void => {
    if (ended) throw new TypeError('this session has ended');
  };

  // Calls reach the gate in the order they were made, also when one first needs the remote
  // home (a relative SFTP path).
  const submit = <T>(prepare: () => Promise<() => Promise<T>> | (() => Promise<T>)): Promise<T> => {
    const handed = submitted.then(async () => ({ run: (await prepare())() }));
    submitted = handed.then(noop, noop);
    return handed.then((h) => h.run);
  };

  // A shell, forward or streamed exec holds the session's order until it has started (or
  // failed to), then runs on beside later requests.
  const detached = (make: (started: () => void) => SshCall): Promise<unknown> => {
    let started!: () => void;
    const isStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    let done!: Promise<unknown>;
    const handed = submit(
      () => () =>
        session.enqueue(async () => {
          done = session.run(make(started), { queue: IMMEDIATE });
          await Promise.race([isStarted, done.then(noop, noop)]);
        }),
    );
    const result = handed.then(() => done);
    result.catch(noop);
    return result;
  };

  const exec = (command: string, options?: unknown): Promise<ExecResult> => {
    assertOpen();
    const plan = toExecPlan(command, options);
    const out: string[] = [];
    const err: string[] = [];
    return submit(
      () => () =>
        session.run({
          kind: 'exec',
          conn,
          plan,
          sink: (stream, text) => {
            (stream === 'stdout' ? out : err).push(text);
          },
        }),
    ).then((exit) => {
      const { code, signal } = exit as Exit;
      return Object.freeze({ stdout: out.join(''), stderr: err.join(''), code, signal });
    });
  };

  const execStream = (command: string, options?: unknown): ExecStream => {
    assertOpen();
    const plan = toExecPlan(command, options);
    let stop: (() => void) | undefined;
    let cancelled = false;
    const queue = createChunkQueue<ExecChunk>(() => {
      cancelled = true;
      stop?.();
    });
    const close = (): void => {
      queue.fail(new TypeError('the session ended'));
      stop?.();
    };
    open.add(close);
    const done = detached((started) => ({
      kind: 'exec',
      conn,
      plan,
      sink: (stream, data) => queue.push(Object.freeze({ stream, data })),
      started: (s) => {
        stop = s;
        if (cancelled) s();
        started();
      },
    }));
    const exit = done.then(
      (value) => {
        open.delete(close);
        queue.end();
        return value as Exit;
      },
      (error: unknown) => {
        open.delete(close);
        queue.fail(error);
        throw error;
      },
    );
    exit.catch(noop);
    return Object.freeze({
      exit,
      [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator](),
    });
  };

  // Opens a shell or a forward: `stream` resolves once it is open (rejects if it never opens),
  // `done` when it has ended; the stream is closed when the session ends.
  const opening = (
    make: (opened: (stream: Duplex) => void) => (started: () => void) => SshCall,
  ): { readonly stream: Promise<Duplex>; readonly done: Promise<unknown> } => {
    let opened = false;
    let resolveStream!: (stream: Duplex) => void;
    let rejectStream!: (error: Error) => void;
    const stream = new Promise<Duplex>((resolve, reject) => {
      resolveStream = resolve;
      rejectStream = reject;
    });
    const done = detached(
      make((s) => {
        opened = true;
        const close = (): void => {
          s.destroy();
        };
        open.add(close);
        s.once('close', () => open.delete(close));
        resolveStream(s);
      }),
    );
    done.catch((error: unknown) => {
      if (!opened) rejectStream(asError(error));
    });
    return { stream, done };
  };

  const shell = (options?: unknown): Promise<GatedShell> => {
    assertOpen();
    const plan = toShellPlan(options);
    const { stream, done } = opening((opened) => (started) => ({
      kind: 'shell',
      conn,
      plan,
      opened: ({ stream: s, resize }) => {
        const exit = done.then((value) => value as Exit);
        exit.catch(noop);
        Object.defineProperties(s, {
          resize: {
            value: (cols: number, rows: number) => {
              const size = toShellPlan({ cols, rows });
              resize(size.cols, size.rows);
            },
          },
          exit: { value: exit },
        });
        opened(s);
        started();
      },
    }));
    return stream as Promise<GatedShell>;
  };

  const forward = (host: string, port: number): Promise<Duplex> => {
    assertOpen();
    const plan = toForwardPlan(host, port);
    return opening((opened) => (started) => ({
      kind: 'forward',
      conn,
      plan,
      opened: (s) => {
        opened(s);
        started();
      },
    })).stream;
  };

  const sftpOp = (operation: SftpOperation, args: readonly unknown[]): Promise<unknown> => {
    assertOpen();
    // Checked now with a stand-in home, so misuse throws at the call.
    const absolute = toSftpPlan(operation, args, '/');
    const relative = args.some(
      (a, i) => (i === 0 || (operation === 'rename' && i === 1)) && !String(a).startsWith('/'),
    );
    const run = (plan: SftpPlan) => (): Promise<unknown> =>
      session.run({
        kind: 'sftp',
        conn,
        plan,
        check: (request) => session.run({ kind: 'check', request }, { queue: IMMEDIATE }).then(noop),
      });
    if (!relative) return submit(() => run(absolute));
    return submit(async () => run(toSftpPlan(operation, args, await conn.home())));
  };

  const sftp = (): GatedSftp => {
    assertOpen();
    sftpFacade ??= Object.freeze({
      readFile: (path: string) => sftpOp('readFile', [path]) as Promise<string>,
      writeFile: (path: string, data: string | Uint8Array) => sftpOp('writeFile', [path, data]).then(noop),
      readdir: (path: string) => sftpOp('readdir', [path]) as Promise<readonly SftpEntry[]>,
      stat: (path: string) => sftpOp('stat', [path]) as Promise<SftpStat>,
      mkdir: (path: string, mode?: number) =>
        sftpOp('mkdir', mode === undefined ? [path] : [path, mode]).then(noop),
      rmdir: (path: string) => sftpOp('rmdir', [path]).then(noop),
      unlink: (path: string) => sftpOp('unlink', [path]).then(noop),
      rename: (from: string, to: string) => sftpOp('rename', [from, to]).then(noop),
      chmod: (path: string, mode: number) => sftpOp('chmod', [path, mode]).then(noop),
    });
    return sftpFacade;
  };

  const end = (): Promise<void> => {
    endPromise ??= (async () => {
      ended = true;
      for (const close of [...open]) close();
      await submitted;
      try {
        await session.end(() => {
          conn.end();
        });
      } finally {
        conn.end();
        onEnd();
      }
    })();
    return endPromise;
  };

  return Object.freeze({
    principal: session.principal,
    exec,
    execStream,
    shell,
    sftp,
    forward,
    end,
  });
}
