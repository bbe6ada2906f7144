import { describe, expect, it } from 'vitest';
import { createGateQueue } from './queue.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('createGateQueue', () => {
  it('starts a task at once when nothing is queued, and the next only after it settled', async () => {
    const queue = createGateQueue();
    const log: string[] = [];
    let finishFirst!: () => void;
    const first = queue.enqueue(async () => {
      log.push('first starts');
      await new Promise<void>((resolve) => {
        finishFirst = resolve;
      });
      log.push('first ends');
    });
    expect(log).toEqual(['first starts']);
    const second = queue.enqueue(async () => {
      log.push('second starts');
      await Promise.resolve();
    });
    await tick();
    expect(log).toEqual(['first starts']);
    finishFirst();
    await Promise.all([first, second]);
    expect(log).toEqual(['first starts', 'first ends', 'second starts']);
  });

  it('runs the next task after one that rejected or threw before its first await', async () => {
    const queue = createGateQueue();
    const thrown = queue.enqueue(() => {
      throw new Error('at once');
    });
    const rejected = queue.enqueue(() => Promise.reject(new Error('later')));
    const ran = queue.enqueue(() => Promise.resolve('ran'));
    await expect(thrown).rejects.toThrow('at once');
    await expect(rejected).rejects.toThrow('later');
    await expect(ran).resolves.toBe('ran');
    await expect(queue.idle()).resolves.toBeUndefined();
  });

  it('keeps a task enqueued by a task still starting behind that task', async () => {
    const queue = createGateQueue();
    const log: string[] = [];
    let release!: () => void;
    let inner: Promise<void> | undefined;
    const outer = queue.enqueue(async () => {
      log.push('outer starts');
      inner = queue.enqueue(async () => {
        log.push('inner runs');
        await Promise.resolve();
      });
      const after = queue.enqueue(async () => {
        log.push('after runs');
        await Promise.resolve();
      });
      void after;
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      log.push('outer ends');
    });
    await tick();
    expect(log).toEqual(['outer starts']);
    release();
    await outer;
    await inner;
    await queue.idle();
    expect(log).toEqual(['outer starts', 'outer ends', 'inner runs', 'after runs']);
  });

  it('is idle only once every task enqueued so far has settled', async () => {
    const queue = createGateQueue();
    let done = false;
    let finish!: () => void;
    void queue.enqueue(
      () =>
        new Promise<void>((resolve) => {
          finish = resolve;
        }),
    );
    const idle = queue.idle().then(() => {
      done = true;
    });
    await tick();
    expect(done).toBe(false);
    finish();
    await idle;
    expect(done).toBe(true);
  });
});
