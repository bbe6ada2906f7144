import { describe, expect, it } from 'vitest';
import { createMasker } from '../../mask/create-masker.js';
import { createMaskingPlan } from '../masking-plan.js';
import type { MaskingPlan } from '../types.js';
import { createGateOutput } from './gate-output.js';

const email = ['ada', 'example.com'].join('@');

function output(plan: MaskingPlan) {
  const recorded: string[] = [];
  const out = createGateOutput({
    stream: 'stdout',
    plan,
    count: () => undefined,
    record: (data) => {
      recorded.push(data.data);
      return Promise.resolve();
    },
    elapsed: () => 0,
  });
  return { out, recorded };
}

describe('createGateOutput', () => {
  it('masks each chunk as it is written, across chunk and UTF-8 boundaries, recording what it shows', async () => {
    const { out, recorded } = output(createMaskingPlan(createMasker({ detectors: ['pii'] })));
    const bytes = Buffer.from(`é mail ${email} ok\n`, 'utf8');
    // Cut inside the two-byte é and inside the address; two writes out before either resolved.
    const shown = await Promise.all([out.write(bytes.subarray(0, 1)), out.write(bytes.subarray(1, 12))]);
    const rest = await out.write(bytes.subarray(12));
    const end = await out.end();
    const text = shown.join('') + rest + end;
    expect(text).toBe('é mail [REDACTED:email] ok\n');
    expect(recorded.join('')).toBe(text);
  });

  it('fails the step whose masking throws and every later one, showing and recording nothing more', async () => {
    const masker = createMasker({ detectors: ['pii'] });
    let writes = 0;
    const plan: MaskingPlan = {
      ...createMaskingPlan(masker),
      stream: () => {
        const inner = masker.createTextStream();
        return {
          write: (text: string) => {
            writes++;
            if (writes === 2) throw new Error('engine broke');
            return inner.write(text);
          },
          idle: () => inner.idle(),
          end: () => inner.end(),
        };
      },
    };
    const { out, recorded } = output(plan);
    // (a stream holds back a chunk's end: the idle flush shows what cannot start a secret)
    const first = (await out.write('first line, plain\n')) + (await out.idle());
    expect(first.length).toBeGreaterThan(0);
    await expect(out.write(`then ${email}\n`)).rejects.toThrow('engine broke');
    await expect(out.write('more\n')).rejects.toThrow(/masking the stdout stream failed earlier/);
    await expect(out.idle()).rejects.toThrow(/failed earlier/);
    await expect(out.end()).rejects.toThrow(/failed earlier/);
    expect(writes).toBe(2);
    expect(recorded.join('')).toBe(first);
  });
});
