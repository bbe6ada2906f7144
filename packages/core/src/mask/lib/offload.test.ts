import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMasker } from '../create-masker.js';
import {
  createBulkTextStream,
  maskWorkerReadyForTests,
  resetMaskWorkerForTests,
  stopMaskWorkerForTests,
} from './offload.js';

// Secrets assembled at run time, so nothing committed looks like a live credential.
const github = 'gh' + 'p_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
const aws = 'AKIA' + 'Q3EGRL5JXOBU7WZF';
const pieces = [
  `token=${github}\n`,
  `aws_access_key_id = ${aws}\n`,
  'mail alice@example.com now\n',
  '2026-01-05T10:00:01Z INFO GET /api/v1/orders/123 status=200 took=12ms\n',
  '\x1b[31mred\x1b[0m ',
  'card 4111 1111 1111 1111\n',
  'caf\u00e9 \u4e2d\u6587 ',
  'lone \ud800 surrogate ',
];
const masker = createMasker();

// Feeds `chunks` through a bulk stream, collecting what each step shows and the labels heard.
async function runBulk(chunks: readonly string[], offloadAfter: number, idleEvery = 0) {
  const labels: string[] = [];
  const stream = createBulkTextStream(masker, { offloadAfter, sink: (l) => labels.push(l) });
  let out = '';
  for (const [i, c] of chunks.entries()) {
    out += await stream.write(c);
    if (idleEvery > 0 && i % idleEvery === 0) out += await stream.idle();
  }
  out += await stream.end();
  return { out, labels, offloaded: stream.offloaded };
}

function runLocal(chunks: readonly string[], idleEvery = 0) {
  const stream = masker.createTextStream();
  let out = '';
  for (const [i, c] of chunks.entries()) {
    out += stream.write(c);
    if (idleEvery > 0 && i % idleEvery === 0) out += stream.idle();
  }
  return out + stream.end();
}

beforeEach(async () => {
  expect(await maskWorkerReadyForTests()).toBe(true);
});
afterEach(() => {
  resetMaskWorkerForTests();
});

describe('createBulkTextStream', () => {
  it('moves to the worker past offloadAfter and shows exactly what this thread would have', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat({ max: 200 }), { minLength: 1, maxLength: 10 }),
        fc.nat({ max: 600 }),
        fc.constantFrom(0, 3),
        async (parts, cuts, offloadAfter, idleEvery) => {
          // Cut the text anywhere, splitting secrets across chunks.
          const text = parts.join('');
          const chunks: string[] = [];
          let at = 0;
          for (let i = 0; at < text.length; i++) {
            const n = 1 + (cuts[i % cuts.length] ?? 0);
            chunks.push(text.slice(at, at + n));
            at += n;
          }
          const { out, offloaded } = await runBulk(chunks, offloadAfter, idleEvery);
          // Past the threshold, at least the end ran in the worker.
          expect(offloaded).toBe(text.length >= offloadAfter);
          expect(out).toBe(runLocal(chunks, idleEvery));
          if (idleEvery === 0) expect(out).toBe(masker.maskText(text).text);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('takes overlapping steps in call order: all written before any is awaited', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 60 }),
        fc.nat({ max: 300 }),
        async (chunks, offloadAfter) => {
          const stream = createBulkTextStream(masker, { offloadAfter });
          const steps = chunks.map((c) => stream.write(c));
          steps.push(stream.end());
          const out = (await Promise.all(steps)).join('');
          expect(stream.offloaded).toBe(chunks.join('').length >= offloadAfter);
          expect(out).toBe(masker.maskText(chunks.join('')).text);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('reports every masked value to the sink, wherever it was masked', async () => {
    const chunks = Array.from({ length: 50 }, (_, i) => pieces[i % pieces.length] ?? '');
    const { out, labels, offloaded } = await runBulk(chunks, 100);
    expect(offloaded).toBe(true);
    expect(out).not.toContain(github);
    expect(out).not.toContain(aws);
    const expected = masker.maskText(chunks.join('')).findings.map((f) => f.detector);
    expect([...labels].sort()).toEqual([...expected].sort());
    expect(labels.length).toBeGreaterThan(10);
  });

  it('goes on masking when the sink throws, in this thread and in the worker', async () => {
    const chunks = Array.from({ length: 50 }, (_, i) => pieces[i % pieces.length] ?? '');
    const stream = createBulkTextStream(masker, {
      offloadAfter: 100,
      sink: () => {
        throw new Error('a failing counter');
      },
    });
    let out = '';
    for (const c of chunks) out += await stream.write(c);
    out += await stream.end();
    expect(stream.offloaded).toBe(true);
    expect(out).toBe(masker.maskText(chunks.join('')).text);
  });

  it('fails the next step, showing nothing, when the worker stops after the stream moved', async () => {
    const stream = createBulkTextStream(masker, { offloadAfter: 10 });
    await stream.write('x'.repeat(20) + ' ');
    // The move completes before the next step runs: this one goes to the worker.
    await stream.write('ok ');
    expect(stream.offloaded).toBe(true);
    await stopMaskWorkerForTests();
    await expect(stream.write(`token=${github}\n`)).rejects.toThrow(/masking worker stopped/);
    await expect(stream.end()).rejects.toThrow(/masking worker stopped/);
  });

  // The worker's options are read by Node by name: a name planted on Object.prototype (here an
  // `env` that is not an object) must not reach them.
  it('starts its worker whatever is planted on Object.prototype', async () => {
    resetMaskWorkerForTests();
    const planted = ['env', 'stdin', 'maxOldGenerationSizeMb'];
    for (const name of planted)
      Object.defineProperty(Object.prototype, name, { configurable: true, value: () => 'planted' });
    let ready: Promise<boolean>;
    try {
      // The worker is made in this call's synchronous part.
      ready = maskWorkerReadyForTests();
    } finally {
      for (const name of planted) Reflect.deleteProperty(Object.prototype, name);
    }
    expect(await ready).toBe(true);
  });

  it('stays in this thread when the worker cannot start, still masking', async () => {
    resetMaskWorkerForTests(new URL('./no-such-worker.js', import.meta.url));
    expect(await maskWorkerReadyForTests()).toBe(false);
    const chunks = Array.from({ length: 20 }, (_, i) => pieces[i % pieces.length] ?? '');
    const { out, offloaded } = await runBulk(chunks, 10);
    expect(offloaded).toBe(false);
    expect(out).toBe(masker.maskText(chunks.join('')).text);
    expect(out).not.toContain(github);
  });
});
