import { describe, expect, test } from 'vitest';
import { ExpiringLru } from '../src/cache/lru.js';

describe('token cache (ExpiringLru)', () => {
  const now = 1_000;
  const later = now + 60_000;

  test.each([1, 2, 3, 100, 101])(
    'never holds more than maxEntries=%i entries under churn of hits and new keys',
    (max) => {
      const cache = new ExpiringLru<number>(max);
      for (let i = 0; i < 5_000; i += 1) {
        cache.set(`k${i}`, i, later, now);
        // Hits on a few recent and older keys promote entries between generations.
        cache.get(`k${i - 1}`, now);
        cache.get(`k${Math.floor(i / 2)}`, now);
        expect(cache.size).toBeLessThanOrEqual(max);
      }
      expect(cache.size).toBeGreaterThan(0);
    },
  );

  test('keeps an entry that is used while others churn through', () => {
    const cache = new ExpiringLru<string>(100);
    cache.set('hot', 'value', later, now);
    for (let i = 0; i < 10_000; i += 1) {
      cache.set(`cold${i}`, 'x', later, now);
      if (i % 10 === 0) expect(cache.get('hot', now)).toBe('value');
    }
    expect(cache.get('cold0', now)).toBeUndefined();
  });

  test('keeps a whole bound of keys used in random order: none is evicted and re-verified', () => {
    // 10,000 people each using their token in any order fit a 10,000-entry cache: no miss. A
    // cache that dropped its old generation whole when the young one held half the bound
    // missed about a third of these lookups, each one a signature verified again.
    const max = 1_000;
    const cache = new ExpiringLru<number>(max);
    for (let i = 0; i < max; i += 1) cache.set(`k${i}`, i, later, now);
    let state = 12_345;
    for (let n = 0; n < 50_000; n += 1) {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      const i = state % max;
      expect(cache.get(`k${i}`, now)).toBe(i);
    }
    expect(cache.size).toBe(max);
  });

  test('a cycle of more keys than the bound misses every time (least recently used goes)', () => {
    const cache = new ExpiringLru<number>(100);
    let misses = 0;
    for (let n = 0; n < 1_200; n += 1) {
      const key = `k${n % 120}`;
      if (cache.get(key, now) === undefined) {
        misses += 1;
        cache.set(key, n, later, now);
      }
      expect(cache.size).toBeLessThanOrEqual(100);
    }
    expect(misses).toBe(1_200);
  });

  test('evicts the entry unused for longest, not one just used', () => {
    const cache = new ExpiringLru<string>(3);
    for (const k of ['a', 'b', 'c']) cache.set(k, k, later, now);
    expect(cache.get('a', now)).toBe('a');
    cache.set('d', 'd', later, now); // full: 'b' is the least recently used
    expect(cache.get('b', now)).toBeUndefined();
    expect(cache.get('a', now)).toBe('a');
    expect(cache.get('c', now)).toBe('c');
    expect(cache.get('d', now)).toBe('d');
  });

  test('never serves an entry at or after its deadline, in either generation', () => {
    const cache = new ExpiringLru<string>(4);
    cache.set('a', 'A', now + 10, now);
    expect(cache.get('a', now + 9)).toBe('A');
    expect(cache.get('a', now + 10)).toBeUndefined();
    cache.set('b', 'B', now + 10, now);
    cache.set('c', 'C', later, now);
    cache.set('d', 'D', later, now); // 'b' is now in the old generation
    expect(cache.get('b', now + 10)).toBeUndefined();
    expect(cache.get('c', now + 10)).toBe('C');
  });

  test('refuses entries already expired and a zero bound, and clear() empties it', () => {
    expect(new ExpiringLru<string>(0).size).toBe(0);
    const none = new ExpiringLru<string>(0);
    none.set('a', 'A', later, now);
    expect(none.get('a', now)).toBeUndefined();
    const cache = new ExpiringLru<string>(4);
    cache.set('gone', 'G', now, now);
    expect(cache.get('gone', now)).toBeUndefined();
    for (const k of ['a', 'b', 'c', 'd']) cache.set(k, k, later, now);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.get('a', now)).toBeUndefined();
  });
});
