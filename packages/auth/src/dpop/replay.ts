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
 *
 * The default bound, 500,000 (about 120 bytes each, so some 60 MB at most), is above what one
 * process can accept within a proof's lifetime: each proof costs an ES256 verification or more
 * (some 90 µs of CPU on a current server core), and a request more, so one core accepts a few thousand a second,
 * a few hundred thousand in the 65 s a proof is remembered with the verifier's defaults.
 */
export class MemoryDpopReplayCache implements DpopReplayCache {
  private readonly entries = new Map<string, number>();
  private nextPrune = 0;

  constructor(
    private readonly maxEntries = 500_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  claim(key: string, expiresAt: number): boolean {
    const now = this.now();
    const seen = this.entries.get(key);
    if (seen !== undefined && seen > now) return false;
    if (now >= this.nextPrune) this.prune(now, this.entries.size >= this.maxEntries);
    if (this.entries.size >= this.maxEntries) return false;
    this.entries.set(key, expiresAt);
    return true;
  }

  /**
   * Drops expired entries, at most once a second (so a full cache costs no scan per request;
   * it refuses until the next pass frees room). Entries are kept in
   * the order they came, which is nearly the order they expire in (a proof's expiry is its `iat`
   * plus a fixed lifetime, and `iat` is close to the time of use), so the regular pass stops at
   * the first one still valid instead of visiting every entry each second; an expired entry
   * behind it stays a little longer, which is harmless, as `claim` compares expiry times.
   */
  private prune(now: number, everything: boolean): void {
    for (const [key, expiresAt] of this.entries) {
      if (expiresAt <= now) this.entries.delete(key);
      else if (!everything) break;
    }
    this.nextPrune = now + 1000;
  }
}
