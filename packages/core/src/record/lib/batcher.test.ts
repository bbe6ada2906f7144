import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBatcher } from './batcher.js';

/** A batcher that keeps each batch it writes. */
function recording(lingerMs: number, maxLingering?: number) {
  const writes: string[][] = [];
  const batcher = createBatcher<string>(
    (items) => {
      writes.push([...items]);
      return Promise.resolve();
    },
    maxLingering === undefined ? { lingerMs } : { lingerMs, maxLingering },
  );
  return { batcher, writes };
}

describe('createBatcher', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes the items pushed in one turn together, on the next microtask', async () => {
    const { batcher, writes } = recording(5);
    const done = [batcher.push('a'), batcher.push('b')];
    expect(writes).toEqual([]);
    await Promise.all(done);
    expect(writes).toEqual([['a', 'b']]);
  });

  it('lets lingering items wait for the items after them, up to the linger time', async () => {
    vi.useFakeTimers();
    const { batcher, writes } = recording(5);
    const first = batcher.push('a', true);
    await vi.advanceTimersByTimeAsync(4);
    const second = batcher.push('b', true);
    expect(writes).toEqual([]);
    // The time counts from the first item that waits, not the last.
    await vi.advanceTimersByTimeAsync(1);
    await Promise.all([first, second]);
    expect(writes).toEqual([['a', 'b']]);
  });

  it('writes lingering items at once, in order, with an item that does not linger', async () => {
    vi.useFakeTimers();
    const { batcher, writes } = recording(5);
    const waiting = batcher.push('a', true);
    await vi.advanceTimersByTimeAsync(1);
    await Promise.all([waiting, batcher.push('b')]);
    expect(writes).toEqual([['a', 'b']]);
    // No timer is left to write an empty batch later.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('writes a full batch of lingering items at once', async () => {
    vi.useFakeTimers();
    const { batcher, writes } = recording(5, 3);
    const done = ['a', 'b', 'c'].map((item) => batcher.push(item, true));
    await Promise.all(done);
    expect(writes).toEqual([['a', 'b', 'c']]);
  });

  it('writes lingering items when asked to be idle', async () => {
    vi.useFakeTimers();
    const { batcher, writes } = recording(5);
    void batcher.push('a', true);
    await batcher.idle();
    expect(writes).toEqual([['a']]);
  });

  it('does not linger without a linger time', async () => {
    const { batcher, writes } = recording(0);
    await batcher.push('a', true);
    expect(writes).toEqual([['a']]);
  });

  it('takes what was pushed while a write was in flight in the next write, lingering or not', async () => {
    vi.useFakeTimers();
    let release: () => void = () => undefined;
    const writes: string[][] = [];
    const batcher = createBatcher<string>(
      async (items) => {
        writes.push([...items]);
        if (writes.length === 1) await new Promise<void>((resolve) => (release = resolve));
      },
      { lingerMs: 5 },
    );
    const first = batcher.push('a');
    await vi.advanceTimersByTimeAsync(0);
    const later = [batcher.push('b', true), batcher.push('c', true)];
    // They wait for the write in flight, not for a timer.
    expect(vi.getTimerCount()).toBe(0);
    release();
    await Promise.all([first, ...later]);
    expect(writes).toEqual([['a'], ['b', 'c']]);
  });

  it('holds the process open until lingering items are written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-batcher-'));
    try {
      const file = join(dir, 'out.txt');
      // The process has nothing else to do once the item is pushed: it must still write it.
      const script = `
        const { appendFileSync } = await import('node:fs');
        const { createBatcher } = await import(${JSON.stringify(new URL('./batcher.ts', import.meta.url).pathname)});
        const batcher = createBatcher(async (items) => appendFileSync(${JSON.stringify(file)}, items.join(',')), { lingerMs: 50 });
        void batcher.push('written', true);
      `;
      const code = await new Promise<number | null>((resolve) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', '--input-type=module', '-e', script],
          { timeout: 30_000 },
          (err) => {
            resolve(err === null ? 0 : (err.code as number | null));
          },
        );
      });
      expect(code).toBe(0);
      expect(await readFile(file, 'utf8')).toBe('written');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
