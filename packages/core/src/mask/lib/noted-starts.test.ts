import { describe, expect, it } from 'vitest';
import { NotedStarts } from './engine.js';

describe('NotedStarts', () => {
  it('notes each (offset, detector) once per scan, past growing, and forgets at a new scan', () => {
    const noted = new NotedStarts();
    noted.newScan();
    // offsets that differ only in high bits, and one offset under many detectors
    const pairs: [number, number][] = [];
    for (let i = 0; i < 5000; i++) pairs.push([i * 1024, 7], [123, i % 300]);
    const fresh = pairs.map(([o, d]) => noted.add(o, d));
    expect(fresh.filter(Boolean).length).toBe(5000 + 300);
    expect(pairs.every(([o, d]) => !noted.add(o, d))).toBe(true);
    noted.newScan();
    expect(noted.add(0, 7)).toBe(true);
    expect(noted.add(1024, 7)).toBe(true);
    expect(noted.add(0, 7)).toBe(false);
  });

  it('gives back the memory of a very long scan at the next one', () => {
    const noted = new NotedStarts();
    noted.newScan();
    for (let i = 0; i < 200_000; i++) noted.add(i, 1);
    noted.newScan();
    expect(noted.add(5, 1)).toBe(true);
    expect(noted.add(5, 1)).toBe(false);
  });
});
