/**
 * Where used DPoP proof identifiers are remembered (RFC 9449 §11.1). A proof is accepted only
 * when `claim` returns true: the first use of that key before it expires. Across several API
 * instances the store must be shared (the API keeps it in PostgreSQL), or a proof replayed at a
 * second instance would pass.
 */
export interface DpopReplayCache {
  /**
   * Records `key` until `expiresAt` (ms since the epoch).
   * @returns true when the key was not already recorded, false when it is a replay.
   */
  claim(key: string, expiresAt: number): boolean | Promise<boolean>;
}

/**
 * An in-process {@link DpopReplayCache}: right for one instance (the embedded SQLite setup).
 * Entries are dropped once expired; when `maxEntries` unexpired proofs are held, new ones are
 * refused (fail closed) rather than forgetting one that could then be replayed.
 */
export class MemoryDpopReplayCache implements DpopReplayCache {
  private readonly entries = new Map<string, number>();
  private nextPrune = 0;

  constructor(
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  claim(key: string, expiresAt: number): boolean {
    const now = this.now();
    const seen = this.entries.get(key);
    if (seen !== undefined && seen > now) return false;
    if (now >= this.nextPrune || this.entries.size >= this.maxEntries) this.prune(now);
    if (this.entries.size >= this.maxEntries) return false;
    this.entries.set(key, expiresAt);
    return true;
  }

  /** Drops expired entries; at most once a second unless the cache is full. */
  private prune(now: number): void {
    for (const [key, expiresAt] of this.entries) if (expiresAt <= now) this.entries.delete(key);
    this.nextPrune = now + 1000;
  }
}
