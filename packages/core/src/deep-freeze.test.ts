import { describe, expect, it } from 'vitest';
import { deepFreeze } from './deep-freeze.js';

describe('deepFreeze', () => {
  it('freezes every object reachable from the value, and returns it', () => {
    const value = { a: [{ b: 1 }], c: { d: ['e'] } };
    expect(deepFreeze(value)).toBe(value);
    for (const object of [value, value.a, value.a[0], value.c, value.c.d])
      expect(Object.isFrozen(object)).toBe(true);
  });

  it('ends at cycles and leaves primitives as they are', () => {
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(deepFreeze(cyclic)).toBe(cyclic);
    expect(Object.isFrozen(cyclic)).toBe(true);
    expect(deepFreeze('x')).toBe('x');
    expect(deepFreeze(null)).toBe(null);
  });
});
