import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RecordingError } from '../errors.js';
import type { Recorder } from '../types.js';
import { createRecorder } from './create-recorder.js';
import { createFileSink, type FileSinkHandle } from './file-sink.js';
import { createMemorySink } from './memory-sink.js';
import { verifyRecording } from './verify.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-record-'));
});
afterEach(async () => {
  vi.useRealTimers();
  await rm(dir, { recursive: true, force: true });
});

function clock(): () => Date {
  let t = Date.UTC(2026, 0, 5, 10, 0, 0);
  return () => new Date((t += 1000));
}

async function recordOne(recorder: Recorder, session: string, outputs = 3): Promise<void> {
  const s = await recorder.start({ principal: { subject: 'alice', groups: [], kind: 'human' } }, { session });
  for (let i = 0; i < outputs; i++)
    await s.record('output', { stream: 'stdout', data: `line ${i}\n`, elapsed: i });
  await s.end();
}

/** A handle over an in-memory file whose operations can be made to fail. */
function fakeHandle(
  options: {
    failWrite?: () => Error | undefined;
    failSync?: () => Error | undefined;
    maxWrite?: number;
    /** Also offer writeSync (as the default handle does). */
    sync?: boolean;
  } = {},
) {
  let content = Buffer.alloc(0);
  const calls = { datasync: 0, writes: 0, syncWrites: 0, closed: false };
  const append = (buffer: Buffer, offset: number, length: number): number => {
    const n = Math.min(length, options.maxWrite ?? length);
    content = Buffer.concat([content, buffer.subarray(offset, offset + n)]);
    return n;
  };
  const handle: FileSinkHandle = {
    stat: () => Promise.resolve({ size: content.length }),
    read: (buffer, offset, length, position) => {
      const n = content.copy(buffer, offset, position, position + length);
      return Promise.resolve({ bytesRead: n });
    },
    truncate: (length) => {
      content = content.subarray(0, length);
      return Promise.resolve();
    },
    write: (buffer, offset, length) => {
      calls.writes += 1;
      const err = options.failWrite?.();
      if (err !== undefined) return Promise.reject(err);
      return Promise.resolve({ bytesWritten: append(buffer, offset, length) });
    },
    ...(options.sync === true
      ? {
          writeSync: (buffer: Buffer, offset: number, length: number) => {
            calls.syncWrites += 1;
            const err = options.failWrite?.();
            if (err !== undefined) throw err;
            return append(buffer, offset, length);
          },
        }
      : {}),
    datasync: () => {
      calls.datasync += 1;
      const err = options.failSync?.();
      return err === undefined ? Promise.resolve() : Promise.reject(err);
    },
    close: () => {
      calls.closed = true;
      return Promise.resolve();
    },
  };
  return { handle, calls, text: () => content.toString('utf8') };
}

const enospc = (): Error =>
  Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

describe('createFileSink', () => {
  it('writes the same JSON Lines as the memory sink, with mode 0600', async () => {
    const path = join(dir, 'audit.jsonl');
    const sink = await createFileSink(path);
    const memory = createMemorySink();
    await recordOne(createRecorder({ sink, now: clock() }), 's1');
    await recordOne(createRecorder({ sink: memory, now: clock() }), 's1');
    await sink.close();
    expect(sink.repaired).toBeUndefined();
    expect(await readFile(path, 'utf8')).toBe(memory.toJsonLines());
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('appends several interleaved sessions to one file, across reopenings', async () => {
    const path = join(dir, 'audit.jsonl');
    const first = await createFileSink(path);
    const recorder = createRecorder({ sink: first, now: clock() });
    await Promise.all([recordOne(recorder, 'a', 5), recordOne(recorder, 'b', 5)]);
    await first.close();
    const second = await createFileSink(path);
    await recordOne(createRecorder({ sink: second, now: clock() }), 'c');
    await second.close();
    const report = verifyRecording(await readFile(path, 'utf8'));
    expect(report.ok).toBe(true);
    expect(report.sessions.map((s) => [s.session, s.events])).toEqual([
      ['a', 7],
      ['b', 7],
      ['c', 5],
    ]);
  });

  it('removes a torn last line on reopen, keeps every earlier event, and verify reports it before', async () => {
    const path = join(dir, 'audit.jsonl');
    const sink = await createFileSink(path);
    await recordOne(createRecorder({ sink, now: clock() }), 's1');
    await sink.close();
    const intact = await readFile(path, 'utf8');
    const torn = intact.split('\n')[2]!.slice(0, 57);
    await appendFile(path, torn);

    expect(verifyRecording(await readFile(path, 'utf8')).problems).toMatchObject([{ kind: 'torn', line: 6 }]);

    const reopened = await createFileSink(path);
    expect(reopened.repaired).toEqual({ offset: Buffer.byteLength(intact), bytes: 57 });
    expect(await readFile(path, 'utf8')).toBe(intact);
    await recordOne(createRecorder({ sink: reopened, now: clock() }), 's2');
    await reopened.close();
    expect(verifyRecording(await readFile(path, 'utf8')).ok).toBe(true);
  });

  it('removes a torn first line (a crash during the first write)', async () => {
    const path = join(dir, 'audit.jsonl');
    await writeFile(path, '{"data":{"princ');
    const sink = await createFileSink(path);
    expect(sink.repaired).toEqual({ offset: 0, bytes: 15 });
    await sink.close();
    expect(await readFile(path, 'utf8')).toBe('');
  });

  it('refuses to append to, or cut, a file that is not a recording', async () => {
    const notes = join(dir, 'notes.txt');
    await writeFile(notes, 'dear diary');
    await expect(createFileSink(notes)).rejects.toThrow(RecordingError);
    const tail = join(dir, 'tail.jsonl');
    const sink = await createFileSink(tail);
    await recordOne(createRecorder({ sink, now: clock() }), 's');
    await sink.close();
    await appendFile(tail, 'garbage without newline');
    await expect(createFileSink(tail)).rejects.toThrow(/not a torn event line; refusing to truncate/);
    expect(await readFile(notes, 'utf8')).toBe('dear diary');
    expect((await readFile(tail, 'utf8')).endsWith('garbage without newline')).toBe(true);
  });

  it('rejects with ERR_RECORDING_FAILED when the file cannot be opened', async () => {
    await expect(createFileSink(dir)).rejects.toMatchObject({
      code: 'ERR_RECORDING_FAILED',
      cause: { code: 'EISDIR' },
    });
    await expect(createFileSink(join(dir, 'missing', 'audit.jsonl'))).rejects.toMatchObject({
      code: 'ERR_RECORDING_FAILED',
      cause: { code: 'ENOENT' },
    });
  });

  it.skipIf(!existsSync('/dev/full'))('a full disk (/dev/full) makes record() reject', async () => {
    const sink = await createFileSink('/dev/full', { fsyncIntervalMs: 0 });
    const err: unknown = await createRecorder({ sink })
      .start({}, { session: 's' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'ERR_RECORDING_FAILED',
      cause: { code: 'ERR_RECORDING_FAILED', cause: { code: 'ENOSPC' } },
    });
    await expect(sink.close()).rejects.toThrow(RecordingError);
  });

  it.each([false, true])(
    'a failed write fails the sink: record() and every later append and flush reject (sync writes: %s)',
    async (sync) => {
      let fail = false;
      const fake = fakeHandle({ sync, failWrite: () => (fail ? enospc() : undefined) });
      const sink = await createFileSink('x', {
        open: () => Promise.resolve(fake.handle),
        fsyncIntervalMs: 0,
      });
      const session = await createRecorder({ sink, now: clock() }).start({}, { session: 's' });
      fail = true;
      await expect(session.record('request', { request: { type: 'shell' } })).rejects.toMatchObject({
        code: 'ERR_RECORDING_FAILED',
      });
      fail = false;
      await expect(sink.append([])).rejects.toThrow(RecordingError);
      const other = createRecorder({ sink, now: clock() });
      await expect(other.start({}, { session: 't' })).rejects.toThrow(/ENOSPC/);
      await expect(sink.flush()).rejects.toThrow(RecordingError);
      expect(fake.text().split('\n').length).toBe(2); // only the first start line
    },
  );

  it('a failed sync at the end of a session rejects end()', async () => {
    const fake = fakeHandle({
      failSync: () => Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }),
    });
    const sink = await createFileSink('x', { open: () => Promise.resolve(fake.handle), fsyncIntervalMs: 0 });
    const session = await createRecorder({ sink }).start({}, { session: 's' });
    await expect(session.end()).rejects.toMatchObject({ code: 'ERR_RECORDING_FAILED' });
  });

  it.each([false, true])('completes short writes (sync writes: %s)', async (sync) => {
    const fake = fakeHandle({ maxWrite: 7, sync });
    const sink = await createFileSink('x', { open: () => Promise.resolve(fake.handle), fsyncIntervalMs: 0 });
    await recordOne(createRecorder({ sink, now: clock() }), 's');
    expect(verifyRecording(fake.text()).ok).toBe(true);
    expect(sync ? fake.calls.writes : fake.calls.syncWrites).toBe(0);
  });

  it("writes synchronously in the caller's turn, unless syncWrites is false", async () => {
    const fake = fakeHandle({ sync: true });
    const sink = await createFileSink('x', { open: () => Promise.resolve(fake.handle), fsyncIntervalMs: 0 });
    const session = await createRecorder({ sink, now: clock() }).start({}, { session: 's' });
    const before = fake.text().length;
    const written = session.record('error', { code: 'X', message: 'x' });
    // Queued on a microtask by the recorder, written before any I/O callback could run.
    await Promise.resolve();
    await Promise.resolve();
    expect(fake.text().length).toBeGreaterThan(before);
    await written;
    expect(fake.calls).toMatchObject({ writes: 0, syncWrites: 2 });

    const slow = fakeHandle({ sync: true });
    const asyncSink = await createFileSink('y', {
      open: () => Promise.resolve(slow.handle),
      fsyncIntervalMs: 0,
      syncWrites: false,
    });
    await recordOne(createRecorder({ sink: asyncSink, now: clock() }), 's');
    expect(slow.calls.syncWrites).toBe(0);
    expect(slow.calls.writes).toBeGreaterThan(0);
    expect(verifyRecording(slow.text()).ok).toBe(true);
  });

  it('syncs on flush, at session end and on the interval, and closes the file', async () => {
    vi.useFakeTimers();
    const fake = fakeHandle();
    const sink = await createFileSink('x', {
      open: () => Promise.resolve(fake.handle),
      fsyncIntervalMs: 100,
    });
    const session = await createRecorder({ sink }).start({}, { session: 's' });
    expect(fake.calls.datasync).toBe(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(fake.calls.datasync).toBe(1);
    await vi.advanceTimersByTimeAsync(300); // nothing new written: no sync
    expect(fake.calls.datasync).toBe(1);
    await session.end();
    expect(fake.calls.datasync).toBe(2);
    await sink.close();
    expect(fake.calls).toMatchObject({ datasync: 3, closed: true });
    await expect(sink.append([])).rejects.toThrow(TypeError);
  });

  it('a failed interval sync is reported by the next append', async () => {
    vi.useFakeTimers();
    let fail = false;
    const fake = fakeHandle({ failSync: () => (fail ? new Error('EIO') : undefined) });
    const sink = await createFileSink('x', { open: () => Promise.resolve(fake.handle), fsyncIntervalMs: 50 });
    const session = await createRecorder({ sink }).start({}, { session: 's' });
    fail = true;
    await vi.advanceTimersByTimeAsync(50);
    await expect(session.record('error', { code: 'X', message: 'x' })).rejects.toThrow(/EIO/);
  });

  it('rejects a negative interval', async () => {
    await expect(createFileSink(join(dir, 'a'), { fsyncIntervalMs: -1 })).rejects.toThrow(TypeError);
  });
});
