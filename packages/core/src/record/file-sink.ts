import { writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { RecordingError } from '../errors.js';
import type { RecordingSink } from '../types.js';
import { createBatcher } from './lib/batcher.js';
import { lineOf } from './lib/event-text.js';

/** The file operations the file sink uses: a subset of `fs.promises.FileHandle`, so tests can inject failures. */
export interface FileSinkHandle {
  stat(): Promise<{ readonly size: number }>;
  read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ readonly bytesRead: number }>;
  truncate(length: number): Promise<void>;
  /** Appends (the file is opened in append mode). */
  write(buffer: Buffer, offset: number, length: number): Promise<{ readonly bytesWritten: number }>;
  /**
   * Appends synchronously and returns the bytes written. When present (and `syncWrites` is not
   * `false`), every append is written at once with it instead of `write`.
   */
  writeSync?(buffer: Buffer, offset: number, length: number): number;
  datasync(): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link createFileSink}. */
export interface FileSinkOptions {
  /**
   * How often written events are made durable with `fdatasync`, in milliseconds (default 1000).
   * `0` syncs only on `flush()` (which every `session.end` calls) and `close()`.
   */
  readonly fsyncIntervalMs?: number;
  /**
   * Whether each append is one synchronous `write(2)` in the caller's turn (default `true`).
   * Writing to the page cache takes microseconds, while an asynchronous write costs a round trip
   * through libuv's thread pool per request; durability comes from `fdatasync`, which stays
   * asynchronous either way. Set `false` for a file system where a plain write can block for
   * long (a network mount): appends are then written asynchronously, in batches.
   */
  readonly syncWrites?: boolean;
  /** Opens the file for reading and appending (default: `fs.promises.open(path, 'a+', 0o600)`). */
  readonly open?: (path: string) => Promise<FileSinkHandle>;
}

/** What opening a file with a torn last line removed. */
export interface TornLineRepair {
  /** Byte offset where the torn line began (the new file size). */
  readonly offset: number;
  /** How many bytes were removed. */
  readonly bytes: number;
}

/** A JSON Lines {@link RecordingSink} on one file. */
export interface FileSink extends RecordingSink {
  readonly path: string;
  /** Set when the file ended in a torn line (a crash mid-write) and that line was removed on open. */
  readonly repaired: TornLineRepair | undefined;
}

/** Every line the writer produces starts with this, so a torn fragment is recognisable. */
const LINE_START = Buffer.from('{"data":', 'utf8');
const TAIL_CHUNK = 64 * 1024;

/**
 * Opens (or creates, mode 0600) a JSON Lines recording file for appending. Each `append()` is one
 * synchronous write of whole lines (or, with `syncWrites: false`, an asynchronous one, where
 * appends made while a write is in flight share the next write). Written events are made durable
 * every `fsyncIntervalMs` and on `flush()`/`close()`.
 *
 * A crash mid-write leaves at most one torn last line (no terminating newline). Opening such a
 * file removes that line and keeps every complete line before it (`repaired` says what was
 * removed); events whose `append()` resolved are never lost. A complete but corrupt line is left
 * alone for `verifyRecording` to report. One process should write a file at a time.
 *
 * After any write or sync error the sink is failed: that and every later `append()`/`flush()`
 * rejects, because a partial line may now sit in the file. Reopen the file to continue.
 *
 * @example
 * ```ts
 * const sink = await createFileSink('/var/log/portcullis/audit.jsonl', { fsyncIntervalMs: 500 });
 * if (sink.repaired) console.warn(`removed a torn last line of ${sink.repaired.bytes} bytes`);
 * const recorder = createRecorder({ sink });
 * ```
 * @throws RecordingError (rejects) when the file cannot be opened, read or repaired, or does not
 *   look like a Portcullis recording (so a wrong path is never truncated). `append()` and
 *   `flush()` reject with a RecordingError when writing or syncing fails, and `append()` with a
 *   TypeError after `close()`.
 */
export async function createFileSink(path: string, options: FileSinkOptions = {}): Promise<FileSink> {
  const interval = options.fsyncIntervalMs ?? 1000;
  if (!Number.isFinite(interval) || interval < 0) throw new TypeError('fsyncIntervalMs must be a number ≥ 0');
  const openHandle = options.open ?? openFile;

  let fh: FileSinkHandle;
  try {
    fh = await openHandle(path);
  } catch (err) {
    throw new RecordingError(`cannot open recording file ${path}: ${messageOf(err)}`, { cause: err });
  }
  let repaired: TornLineRepair | undefined;
  try {
    repaired = await repairTornLine(fh, path);
  } catch (err) {
    await fh.close().catch(() => undefined);
    if (err instanceof RecordingError) throw err;
    throw new RecordingError(`cannot prepare recording file ${path}: ${messageOf(err)}`, { cause: err });
  }

  let failure: unknown;
  let closed = false;
  let dirty = false;
  let syncing: Promise<void> | undefined;

  const fail = (what: string, err: unknown): RecordingError => {
    failure ??= err;
    return err instanceof RecordingError
      ? err
      : new RecordingError(`${what} recording file ${path} failed: ${messageOf(err)}`, { cause: err });
  };

  // Synchronous appends: written in the caller's turn, so nothing is ever in flight between them.
  const writeNow = options.syncWrites === false ? undefined : fh.writeSync?.bind(fh);
  const writeAll = (write: NonNullable<typeof writeNow>, text: string): void => {
    const buffer = Buffer.from(text, 'utf8');
    let offset = 0;
    while (offset < buffer.length) {
      const bytesWritten = write(buffer, offset, buffer.length - offset);
      if (bytesWritten <= 0) throw new Error('the file accepted no bytes');
      offset += bytesWritten;
    }
  };

  const batcher = createBatcher<string>(async (texts) => {
    if (failure !== undefined) throw fail('writing', failure);
    const buffer = Buffer.from(texts.join(''), 'utf8');
    try {
      let offset = 0;
      while (offset < buffer.length) {
        const { bytesWritten } = await fh.write(buffer, offset, buffer.length - offset);
        if (bytesWritten <= 0) throw new Error('the file accepted no bytes');
        offset += bytesWritten;
      }
      dirty = true;
    } catch (err) {
      failure ??= err;
      throw err;
    }
  });

  const sync = (): Promise<void> => {
    if (syncing !== undefined) return syncing;
    const pending = (async () => {
      dirty = false;
      await fh.datasync();
    })();
    syncing = pending;
    pending.then(
      () => {
        if (syncing === pending) syncing = undefined;
      },
      (err: unknown) => {
        failure ??= err;
        if (syncing === pending) syncing = undefined;
      },
    );
    return pending;
  };

  const timer =
    interval > 0
      ? setInterval(() => {
          // A failure here is kept and reported by the next append() or flush().
          if (dirty && failure === undefined) sync().catch(() => undefined);
        }, interval)
      : undefined;
  timer?.unref();

  return {
    path,
    repaired,
    append(events) {
      if (closed) return Promise.reject(new TypeError(`the recording file ${path} is closed`));
      if (failure !== undefined) return Promise.reject(fail('writing', failure));
      let text = '';
      try {
        for (const e of events) text += `${lineOf(e)}\n`;
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new TypeError(String(err)));
      }
      if (text === '') return Promise.resolve();
      if (writeNow !== undefined) {
        try {
          writeAll(writeNow, text);
        } catch (err) {
          failure ??= err;
          return Promise.reject(fail('writing', err));
        }
        dirty = true;
        return Promise.resolve();
      }
      return batcher.push(text).catch((err: unknown) => {
        throw fail('writing', err);
      });
    },
    async flush() {
      if (failure !== undefined) throw fail('writing', failure);
      await batcher.idle();
      const failed: unknown = failure; // assigned by the write that just finished, if it failed
      if (failed !== undefined) throw fail('writing', failed);
      try {
        await syncing?.catch(() => undefined);
        await sync();
      } catch (err) {
        throw fail('syncing', err);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      await batcher.idle();
      let error: RecordingError | undefined;
      try {
        await syncing?.catch(() => undefined);
        if (failure === undefined) await sync();
      } catch (err) {
        error = fail('syncing', err);
      }
      try {
        await fh.close();
      } catch (err) {
        error ??= fail('closing', err);
      }
      if (error !== undefined) throw error;
      if (failure !== undefined) throw fail('writing', failure);
    },
  };
}

/** The default handle: the file opened for reading and appending, mode 0600, with synchronous appends. */
async function openFile(path: string): Promise<FileSinkHandle> {
  const fh = await open(path, 'a+', 0o600);
  return {
    stat: () => fh.stat(),
    read: (buffer, offset, length, position) => fh.read(buffer, offset, length, position),
    truncate: (length) => fh.truncate(length),
    write: (buffer, offset, length) => fh.write(buffer, offset, length),
    // The file is open in append mode, so a write without a position appends.
    writeSync: (buffer, offset, length) => writeSync(fh.fd, buffer, offset, length),
    datasync: () => fh.datasync(),
    close: () => fh.close(),
  };
}

/** Removes a torn last line (bytes after the last newline); returns what it removed. */
async function repairTornLine(fh: FileSinkHandle, path: string): Promise<TornLineRepair | undefined> {
  const { size } = await fh.stat();
  if (size === 0) return undefined;
  const head = Buffer.alloc(Math.min(LINE_START.length, size));
  await readFully(fh, head, 0);
  if (!startsLikeEvent(head)) {
    throw new RecordingError(
      `${path} is not a Portcullis recording (it does not start with an event line); refusing to append to it`,
    );
  }
  const chunk = Buffer.alloc(Math.min(TAIL_CHUNK, size));
  let end = size;
  let lastNewline = -1;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const view = chunk.subarray(0, end - start);
    await readFully(fh, view, start);
    const at = view.lastIndexOf(0x0a);
    if (at !== -1) {
      lastNewline = start + at;
      break;
    }
    end = start;
  }
  const keep = lastNewline + 1;
  if (keep === size) return undefined;
  const fragment = Buffer.alloc(Math.min(LINE_START.length, size - keep));
  await readFully(fh, fragment, keep);
  if (!startsLikeEvent(fragment)) {
    throw new RecordingError(
      `${path} ends in ${size - keep} bytes without a newline that are not a torn event line; refusing to truncate`,
    );
  }
  await fh.truncate(keep);
  await fh.datasync();
  return { offset: keep, bytes: size - keep };
}

/** Whether `bytes` is the start of an event line (or a prefix of that start, for a tiny fragment). */
function startsLikeEvent(bytes: Buffer): boolean {
  return LINE_START.subarray(0, bytes.length).equals(bytes);
}

async function readFully(fh: FileSinkHandle, into: Buffer, position: number): Promise<void> {
  let offset = 0;
  while (offset < into.length) {
    const { bytesRead } = await fh.read(into, offset, into.length - offset, position + offset);
    if (bytesRead <= 0) throw new Error(`unexpected end of file at byte ${position + offset}`);
    offset += bytesRead;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
