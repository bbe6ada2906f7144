import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDurationSeconds } from './duration.js';

describe('parseDurationSeconds', () => {
  it.each<[string | number, number]>([
    [0, 0],
    [90, 90],
    [1.5, 1.5],
    ['90', 90],
    ['90s', 90],
    ['30m', 1800],
    ['1h', 3600],
    ['1d', 86_400],
    ['2w', 1_209_600],
    ['500ms', 0.5],
    ['1h30m', 5400],
    ['1.5h', 5400],
    [' 10s ', 10],
  ])('%j → %d s', (input, seconds) => {
    expect(parseDurationSeconds(input)).toBe(seconds);
  });

  it.each<unknown>([
    '',
    '-1s',
    'h',
    '1x',
    '1 h',
    '1h 30m',
    '1.h',
    'NaN',
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    null,
    {},
  ])('%j is a TypeError', (input) => {
    expect(() => parseDurationSeconds(input as string, 'identity.maxTokenAge')).toThrow(TypeError);
  });

  it('names the setting in the error', () => {
    expect(() => parseDurationSeconds('soon', 'identity.maxTokenAge')).toThrow(/identity\.maxTokenAge/);
  });

  it('a sum of parts equals the parts parsed one by one', () => {
    const unit = fc.constantFrom('s', 'm', 'h', 'd', 'w');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(1000), unit), { minLength: 1, maxLength: 4 }), (parts) => {
        const text = parts.map(([n, u]) => `${n}${u}`).join('');
        const sum = parts.reduce((acc, [n, u]) => acc + parseDurationSeconds(`${n}${u}`), 0);
        expect(parseDurationSeconds(text)).toBe(sum);
      }),
    );
  });
});
