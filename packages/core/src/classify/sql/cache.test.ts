import { describe, expect, it } from 'vitest';
import { LruCache } from './cache.js';

const keys = (cache: LruCache<string, number>, all: readonly string[]): string[] =>
  all.filter((k) => cache.get(k) !== undefined);

describe('LruCache', () => {
  it('evicts the least recently used key, a lookup counting as a use', () => {
    const cache = new LruCache<string, number>(3);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect(cache.get('a')).toBe(1); // a is now the newest: b is the oldest
    cache.set('d', 4);
    expect(cache.size).toBe(3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('c')).toBe(3);
  });

  it('keeps the order right when the newest key is looked up again and again', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    for (let i = 0; i < 3; i++) expect(cache.get('b')).toBe(2);
    expect(cache.get('a')).toBe(1); // a newest, b oldest
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect(keys(cache, ['a', 'b', 'c'])).toEqual(['a', 'c']);
  });

  it('forgets everything when cleared or shrunk to nothing, and stores nothing at capacity 0', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.clear();
    expect(cache.get('a')).toBeUndefined();
    cache.set('a', 1);
    cache.capacity = 0;
    expect(cache.get('a')).toBeUndefined();
    cache.set('b', 2);
    expect(cache.size).toBe(0);
    cache.capacity = 1;
    cache.set('c', 3);
    cache.set('d', 4);
    expect(keys(cache, ['c', 'd'])).toEqual(['d']);
  });
});
