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
}

/**
 * A bounded, approximately-LRU cache whose entries expire at an absolute time (ms).
 *
 * Two generations instead of one recency-ordered Map: a hit in `young` is a single `get`, a hit
 * in `old` moves the entry to `young` once; when `young` is full it becomes `old` and the former
 * `old` is dropped whole. Re-inserting every hit into one large Map (delete + set) costs ~10×
 * more at 10,000 entries than at 1, so a hit here costs the same at any size. An entry evicted
 * is one not used during the last full generation — the least recently used ones go first.
 */
export class ExpiringLru<V> {
  private young = new Map<string, Entry<V>>();
  private old = new Map<string, Entry<V>>();
  /** Entries per generation: two generations hold at most `maxEntries` (see `trim`). */
  private readonly generation: number;

  constructor(private readonly maxEntries: number) {
    this.generation = Math.max(1, Math.ceil(maxEntries / 2));
  }

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
      this.insert(key, entry);
      return entry.value;
    }
    if (now >= entry.expiresAt) {
      this.young.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, expiresAt: number, now: number): void {
    if (this.maxEntries <= 0 || expiresAt <= now) return;
    this.old.delete(key);
    this.insert(key, { value, expiresAt });
  }

  delete(key: string): void {
    this.young.delete(key);
    this.old.delete(key);
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }

  private insert(key: string, entry: Entry<V>): void {
    if (this.young.size >= this.generation && !this.young.has(key)) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, entry);
    // With an odd bound the two generations may hold one more than `maxEntries`: drop the
    // oldest of `old` (Map order is insertion order).
    while (this.young.size + this.old.size > this.maxEntries) {
      const oldest = this.old.keys().next();
      if (oldest.done === true) break;
      this.old.delete(oldest.value);
    }
  }
}
