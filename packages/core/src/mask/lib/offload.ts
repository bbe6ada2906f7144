// Bulk output (a 100 MB `cat`, a container's log) is masked in a worker thread once a stream has
// carried enough text: the thread that reads the connection (decrypting SSH, parsing HTTP) then
// goes on reading while the worker masks, so the two costs overlap instead of adding up, and the
// host's event loop stays free. A stream starts in this thread (short outputs never pay a
// thread hop); past `offloadAfter` characters its engine's state moves to the worker, and the
// output is exactly what this thread would have produced (an engine restored from a snapshot
// goes on exactly as the original).
//
// Failing closed: once a stream has moved, a worker that fails or exits fails the stream's next
// step; nothing is shown unmasked. A worker that cannot start leaves every stream in this thread.
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { MaskerEngines, MaskerRecipe } from '../create-masker.js';
import { maskerEngines } from '../create-masker.js';
import type { Masker } from '../types.js';
import type { EngineState, MaskEngine } from './engine.js';
import type { FindingSink } from './finding-sink.js';
import { collectFindings, noteFinding } from './finding-sink.js';

/** A streaming masker whose steps may run in a worker thread (see {@link createBulkTextStream}). */
export interface BulkTextStream {
  /** Adds text; resolves with the output that is now final. */
  write(text: string): Promise<string>;
  /** Emits what can no longer be part of a secret (for interactive streams that pause). */
  idle(): Promise<string>;
  /** Ends the input; resolves with the rest of the output. */
  end(): Promise<string>;
  /** Whether the stream's steps now run in the worker thread. */
  readonly offloaded: boolean;
}

/** Options of {@link createBulkTextStream}. */
export interface BulkTextStreamOptions {
  /** Characters masked in this thread before the stream moves to the worker (default 256 Ki). */
  readonly offloadAfter?: number;
  /** Hears the label of each masked value, wherever it was masked. */
  readonly sink?: FindingSink;
}

/** Messages to the worker. */
export type WorkerRequest =
  | {
      readonly req: number;
      readonly op: 'open';
      readonly stream: number;
      readonly recipe: MaskerRecipe;
      readonly state: EngineState;
    }
  | { readonly req: number; readonly op: 'write'; readonly stream: number; readonly text: string }
  | { readonly req: number; readonly op: 'idle' | 'end' | 'drop'; readonly stream: number };

/**
 * The worker's answers: the step's output (UTF-8, its buffer transferred: decoding it here
 * makes a short-lived string, where a cloned string would be old garbage) and the labels
 * masked meanwhile, or why it failed.
 */
export type WorkerReply =
  | { readonly req: number; readonly bytes: Uint8Array; readonly labels: readonly string[] }
  /** Text that is not well-formed UTF-16 (a lone surrogate) goes as it is. */
  | { readonly req: number; readonly text: string; readonly labels: readonly string[] }
  | { readonly req: number; readonly error: string };

const DEFAULT_OFFLOAD_AFTER = 256 * 1024;

/**
 * A streaming masker for bulk output: the same output as `masker.createTextStream()`, step for
 * step, but past `offloadAfter` characters the masking runs in a shared worker thread. Each step
 * is taken in call order the moment it is called (steps may overlap: in this thread they run at
 * once, in the worker in the order they were sent), and the promises resolve in that order.
 *
 * @example
 * ```ts
 * const stream = createBulkTextStream(masker);
 * socket.write(await stream.write(chunk));
 * socket.end(await stream.end());
 * ```
 */
export function createBulkTextStream(masker: Masker, options: BulkTextStreamOptions = {}): BulkTextStream {
  const offloadAfter = options.offloadAfter ?? DEFAULT_OFFLOAD_AFTER;
  const sink = options.sink;
  const parts = maskerEngines(masker);
  // Only an engine of ours can move; another masker's stream stays in this thread.
  const engine = parts?.engine();
  const local: Pick<MaskEngine, 'write' | 'idle' | 'end'> = engine ?? masker.createTextStream();
  // In this thread: the step now, its labels to the sink; a throw becomes a rejection.
  let failed = false;
  const here = (step: () => string): Promise<string> => {
    try {
      return Promise.resolve(sink === undefined ? step() : collectFindings(sink, step));
    } catch (err) {
      failed = true;
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  };
  let seen = 0;
  let remote: RemoteStream | undefined;
  const stream: BulkTextStream = {
    write(text) {
      if (remote !== undefined) return remote.step('write', text);
      const out = here(() => local.write(text));
      seen += text.length;
      // A failed engine stays here: its stream is over.
      if (seen >= offloadAfter && parts !== undefined && engine !== undefined && !failed) {
        // The engine's state after this step goes to the worker; every later step follows it
        // there, in order (the worker takes its messages in the order they were sent).
        remote = move(parts, engine);
        if (remote !== undefined) dropWhenCollected.register(stream, remote.drop, stream);
      }
      return out;
    },
    idle() {
      return remote === undefined ? here(() => local.idle()) : remote.step('idle');
    },
    end() {
      if (remote === undefined) return here(() => local.end());
      dropWhenCollected.unregister(stream);
      return remote.step('end');
    },
    get offloaded() {
      return remote !== undefined;
    },
  };

  // Moves the engine to the worker; undefined while no worker is ready (the stream stays here).
  function move(engines: MaskerEngines, engine: MaskEngine): RemoteStream | undefined {
    const worker = sharedWorker();
    if (worker === undefined) return undefined;
    const id = worker.nextStream++;
    // Not awaited: a failed open fails the steps after it.
    worker.call({ op: 'open', stream: id, recipe: engines.recipe, state: engine.snapshot() }).catch(noop);
    return {
      step: async (op, text) => {
        const reply = await worker.call(
          op === 'write' ? { op, stream: id, text: text ?? '' } : { op, stream: id },
        );
        // Told as this thread tells them: noteFinding ignores a sink that throws.
        if (sink !== undefined && reply.labels.length > 0)
          collectFindings(sink, () => {
            for (const label of reply.labels) noteFinding(label);
          });
        return reply.text;
      },
      drop: { worker, stream: id },
    };
  }
  return stream;
}

const noop = (): void => undefined;
const utf8 = new TextDecoder();

interface RemoteStream {
  step(op: 'write' | 'idle' | 'end', text?: string): Promise<string>;
  readonly drop: { readonly worker: MaskWorker; readonly stream: number };
}

/** A request without its number (the worker client numbers it). */
type Call = WorkerRequest extends infer R ? (R extends unknown ? Omit<R, 'req'> : never) : never;

/** The shared worker: requests by number, answered in any order. */
class MaskWorker {
  nextStream = 1;
  /** Set when the worker has loaded (its first message). */
  ready = false;
  private nextReq = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: { text: string; labels: readonly string[] }) => void; reject: (e: Error) => void }
  >();
  failure: Error | undefined;

  constructor(private readonly worker: Worker) {
    worker.unref();
    worker.on('message', (reply: WorkerReply | { readonly ready: true }) => {
      if ('ready' in reply) {
        this.ready = true;
        return;
      }
      const waiting = this.pending.get(reply.req);
      if (waiting === undefined) return;
      this.settled(reply.req);
      if ('error' in reply) waiting.reject(new Error(`masking in the worker failed: ${reply.error}`));
      else
        waiting.resolve({
          text: 'bytes' in reply ? utf8.decode(reply.bytes) : reply.text,
          labels: reply.labels,
        });
    });
    const fail = (err: Error): void => {
      this.failure ??= err;
      for (const [req, waiting] of this.pending) {
        this.settled(req);
        waiting.reject(new Error(`the masking worker stopped: ${this.failure.message}`));
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      fail(new Error(`it exited with code ${code}`));
    });
  }

  call(request: Call): Promise<{ text: string; labels: readonly string[] }> {
    if (this.failure !== undefined)
      return Promise.reject(new Error(`the masking worker stopped: ${this.failure.message}`));
    const req = this.nextReq++;
    return new Promise((resolve, reject) => {
      this.pending.set(req, { resolve, reject });
      // Keep the process alive while a step is out; not otherwise.
      if (this.pending.size === 1) this.worker.ref();
      try {
        this.worker.postMessage({ req, ...request });
      } catch (err) {
        this.settled(req);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Forgets a stream that was never ended. */
  drop(stream: number): void {
    if (this.failure !== undefined) return;
    try {
      this.worker.postMessage({ req: 0, op: 'drop', stream });
    } catch {
      // Nothing to free in a worker that is gone.
    }
  }

  /** Stops the worker (tests). */
  terminate(): Promise<number> {
    return this.worker.terminate();
  }

  private settled(req: number): void {
    this.pending.delete(req);
    if (this.pending.size === 0) this.worker.unref();
  }
}

const dropWhenCollected = new FinalizationRegistry<{ worker: MaskWorker; stream: number }>(
  ({ worker, stream }) => {
    worker.drop(stream);
  },
);

// Masking makes short-lived strings at a high rate. With a worker's default young generation
// the same masking ran ~30% slower in the worker (250 against 360 MB/s of log lines, measured
// side by side) than in the main thread; at 48 MB it runs as fast (356 against 363-374).
// Null prototypes: Node reads the options it does not find by name (env, stdin, the other
// limits, …), and must not find a name planted on Object.prototype.
const WORKER_LIMITS = Object.freeze({ __proto__: null, maxYoungGenerationSizeMb: 48 });

/** Worker options on a null prototype, with WORKER_LIMITS. */
function workerOptions(extra: WorkerOptions = {}): WorkerOptions {
  return Object.assign(Object.create(null) as WorkerOptions, extra, { resourceLimits: WORKER_LIMITS });
}

let shared: MaskWorker | undefined;
/** Set once a worker could not start: streams then stay in this thread. */
let unavailable = false;
let workerUrl: URL | undefined;

function sharedWorker(): MaskWorker | undefined {
  if (unavailable) return undefined;
  if (shared !== undefined && shared.failure === undefined) return shared.ready ? shared : undefined;
  // From the sources (tests, `pnpm bench`), the worker is TypeScript: it loads through tsx's
  // loader, registered in the worker before the script is imported.
  const source = import.meta.url.endsWith('.ts');
  const url = workerUrl ?? new URL(source ? './mask-worker.ts' : './mask-worker.js', import.meta.url);
  let worker: Worker;
  try {
    worker = source
      ? new Worker(
          `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`,
          workerOptions({ eval: true }),
        )
      : new Worker(url, workerOptions());
  } catch {
    unavailable = true;
    return undefined;
  }
  const created = new MaskWorker(worker);
  // A worker that fails before it was ready could not start: do not try again.
  const gaveUp = (): void => {
    if (!created.ready) unavailable = true;
  };
  worker.once('error', gaveUp);
  worker.once('exit', gaveUp);
  shared = created;
  // Streams move once it has loaded; until then they stay in this thread.
  return undefined;
}

/**
 * Stops the shared worker, as a crash would (tests): streams that moved to it fail their next step.
 *
 * @example
 * ```ts
 * await stopMaskWorkerForTests();
 * ```
 */
export async function stopMaskWorkerForTests(): Promise<void> {
  const worker = shared;
  if (worker !== undefined) await worker.terminate();
}

/**
 * Starts the shared worker and resolves once streams can move to it, or with false when it
 * cannot start (tests).
 *
 * @example
 * ```ts
 * expect(await maskWorkerReadyForTests()).toBe(true);
 * ```
 */
export async function maskWorkerReadyForTests(): Promise<boolean> {
  for (;;) {
    if (sharedWorker() !== undefined) return true;
    if (unavailable) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Starts over with another worker script (tests: one that cannot start), or the real one.
 *
 * @example
 * ```ts
 * resetMaskWorkerForTests(new URL('file:///nowhere.js'));
 * ```
 */
export function resetMaskWorkerForTests(url?: URL): void {
  workerUrl = url;
  shared = undefined;
  unavailable = false;
}
