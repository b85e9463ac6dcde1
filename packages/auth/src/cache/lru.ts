import { hash } from 'node:crypto';

/**
 * Cache key of a token: its SHA-256, so the cache never holds a usable token. The one-shot
 * `crypto.hash` (Node ≥ 20.12) skips the Hash object: about a third cheaper per request.
 * Keying a Map on the token string itself would save nothing: V8 hashes the whole 1.2 KB
 * string for the lookup and compares it whole on a hit (measured 1.9 µs against the digest's
 * 1.4 µs), and it would keep up to `maxEntries` live bearer tokens in the heap, where a heap
 * snapshot or core dump could expose them.
 */
export function tokenKey(token: string): string {
  return hash('sha256', token, 'base64url');
}

interface Entry<V> {
  readonly value: V;
  readonly expiresAt: number;
  /** Hit while in `young`: spared once when its turn to be evicted comes (see `evict`). */
  used: boolean;
}

/**
 * A bounded, approximately-LRU cache whose entries expire at an absolute time (ms).
 *
 * Two generations instead of one recency-ordered Map: a hit in `young` is a single `get` (and
 * marks the entry used), a hit in `old` moves the entry to `young` once. Re-inserting every hit
 * into one large Map (delete + set) costs ~10× more at 10,000 entries than at 1, so a hit here
 * costs the same at any size. The cache fills to `maxEntries` before anything goes: a new key
 * then evicts one entry, the oldest of `old` in the order it entered `young`, except that an
 * entry used since it entered goes back to `young` instead (a second chance, as in CLOCK); once
 * `old` is empty, `young` becomes `old`. So the entries evicted are those unused for longest,
 * and a set of `maxEntries` keys used in any order stays cached whole (dropping `old` whole when
 * `young` reached half the bound kept as few as half of them: with 10,000 people each using one
 * token at random, a third of the requests verified a signature again).
 */
export class ExpiringLru<V> {
  private young = new Map<string, Entry<V>>();
  private old = new Map<string, Entry<V>>();
  /**
   * `old`'s keys in eviction order, read from `next`: a Map iterated from the front skips every
   * entry deleted since it last rehashed, thousands once `old` drains, so the order is kept
   * apart. A key no longer in `old` (promoted or deleted) is skipped once.
   */
  private oldOrder: string[] = [];
  private next = 0;

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(key: string, now: number): V | undefined {
    let entry = this.young.get(key);
    if (entry === undefined) {
      entry = this.old.get(key);
      if (entry === undefined) return undefined;
      this.old.delete(key);
      if (now >= entry.expiresAt) return undefined;
      entry.used = false;
      this.insert(key, entry);
      return entry.value;
    }
    if (now >= entry.expiresAt) {
      this.young.delete(key);
      return undefined;
    }
    entry.used = true;
    return entry.value;
  }

  set(key: string, value: V, expiresAt: number, now: number): void {
    if (this.maxEntries <= 0 || expiresAt <= now) return;
    this.old.delete(key);
    this.insert(key, { value, expiresAt, used: false });
  }

  delete(key: string): void {
    this.young.delete(key);
    this.old.delete(key);
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
    this.oldOrder = [];
    this.next = 0;
  }

  private insert(key: string, entry: Entry<V>): void {
    if (this.young.size + this.old.size >= this.maxEntries && !this.young.has(key)) this.evict();
    this.young.set(key, entry);
  }

  /**
   * Drops the oldest unused entry of `old`; a used one met on the way goes back to `young`,
   * unmarked. When `old` runs out, `young` becomes `old`. Ends: every entry passed over was
   * unmarked, so a second pass evicts.
   */
  private evict(): void {
    for (;;) {
      if (this.next >= this.oldOrder.length) {
        // Every key of `old` has been passed: it is empty.
        this.old = this.young;
        this.young = new Map();
        this.oldOrder = [...this.old.keys()];
        this.next = 0;
      }
      const key = this.oldOrder[this.next++] as string;
      const entry = this.old.get(key);
      if (entry === undefined) continue;
      this.old.delete(key);
      if (!entry.used) return;
      entry.used = false;
      this.young.set(key, entry);
    }
  }
}
