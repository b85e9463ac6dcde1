import { randomBytes } from 'node:crypto';

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
  /**
   * Optional: {@link claim} of the key `${jkt}.${jti}` (a proof key's thumbprint and the proof's
   * `jti`), for a store that can take it in its two parts without the joined string.
   */
  claimProof?(jkt: string, jti: string, expiresAt: number): boolean | Promise<boolean>;
}

/** Slots of a new table; a power of two, as every table size is. */
const INITIAL_SLOTS = 1024;

/** A random 32-bit seed, so that which keys share a probe sequence differs per process. */
function seed(): number {
  return randomBytes(4).readUInt32LE(0);
}

/** murmur3's finaliser: every input bit affects every output bit. */
function mix(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * An in-process {@link DpopReplayCache}: right for one instance (the embedded SQLite setup).
 * When `maxEntries` unexpired proofs are held, new ones are refused (fail closed) rather than
 * forgetting one that could then be replayed.
 *
 * Each key is remembered as a 64-bit fingerprint (two seeded 32-bit hashes of its characters)
 * and its expiry, in an open-addressing table of typed arrays: a proof leaves no string, number
 * or map entry on the heap, so the hundreds of thousands a busy process holds cost the garbage
 * collector nothing to copy or mark (held as strings in a `Map` they cost a few µs per request).
 * The same key always has the same fingerprint, so a replay is always refused; two different
 * keys share one with a chance of about one in 2^64 per pair, and then the later proof is
 * refused too: fail closed, never a replay let through.
 *
 * The default bound, 2,000,000, is above what one process can accept within a proof's
 * lifetime: a DPoP request measured 75 µs of CPU on one core of a current server (an ES256
 * verification, 42 µs, and the request around it), 13,000 a second, some 850,000 in the 65 s a
 * proof is remembered with the verifier's defaults; 500,000, the bound before, refused proofs
 * under that load. At the bound the table takes at most 128 MiB (16 bytes a slot, at most four
 * slots a live proof after a rebuild); it grows only with the proofs actually held.
 */
export class MemoryDpopReplayCache implements DpopReplayCache {
  private slots = INITIAL_SLOTS;
  /** Per slot: the fingerprint's two halves and the expiry in ms (0: never used). */
  private high = new Uint32Array(INITIAL_SLOTS);
  private low = new Uint32Array(INITIAL_SLOTS);
  private expiry = new Float64Array(INITIAL_SLOTS);
  /** Slots in use, expired ones included until the next rebuild. */
  private used = 0;
  private nextRebuild = 0;
  private readonly seedHigh = seed();
  private readonly seedLow = seed();
  /** The fingerprint being built by {@link claim} or {@link claimProof} (two 32-bit halves). */
  private high0 = 0;
  private low0 = 0;
  /** The last thumbprint {@link claimProof} hashed, and the fingerprint's state after `${jkt}.`. */
  private prefixKey: string | undefined;
  private prefixHigh = 0;
  private prefixLow = 0;

  constructor(
    private readonly maxEntries = 2_000_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Unexpired proofs held. */
  get size(): number {
    const now = this.now();
    let live = 0;
    for (let i = 0; i < this.slots; i++) if ((this.expiry[i] as number) > now) live++;
    return live;
  }

  claim(key: string, expiresAt: number): boolean {
    this.high0 = this.seedHigh;
    this.low0 = this.seedLow;
    this.absorb(key);
    return this.finish(key.length, expiresAt);
  }

  /**
   * {@link claim} of `${jkt}.${jti}`, the same fingerprint, without joining the two strings. A
   * client signs every proof with one key: the fingerprint's state after `${jkt}.` is kept for
   * the last thumbprint, so a proof of the same key hashes its `jti` alone.
   */
  claimProof(jkt: string, jti: string, expiresAt: number): boolean {
    if (jkt !== this.prefixKey) {
      this.high0 = this.seedHigh;
      this.low0 = this.seedLow;
      this.absorb(jkt);
      this.absorb('.');
      this.prefixKey = jkt;
      this.prefixHigh = this.high0;
      this.prefixLow = this.low0;
    } else {
      this.high0 = this.prefixHigh;
      this.low0 = this.prefixLow;
    }
    this.absorb(jti);
    return this.finish(jkt.length + 1 + jti.length, expiresAt);
  }

  /** Hashes the characters of `text` into the fingerprint being built. */
  private absorb(text: string): void {
    let high = this.high0;
    let low = this.low0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      high = Math.imul(high ^ c, 0x01000193);
      low = Math.imul(low ^ c, 0x5bd1e995) ^ (low >>> 15);
    }
    this.high0 = high;
    this.low0 = low;
  }

  /** Finalises the fingerprint of a key of `length` characters and records it. */
  private finish(length: number, expiresAt: number): boolean {
    const now = this.now();
    const high = mix(this.high0);
    const low = mix(this.low0 ^ length);
    return this.record(high, low, Math.max(expiresAt, now + 1), now);
  }

  /** Finds the fingerprint (a replay while unexpired) or records it; false also when full. */
  private record(high: number, low: number, expiresAt: number, now: number): boolean {
    const mask = this.slots - 1;
    let free = -1;
    for (let i = low & mask; ; i = (i + 1) & mask) {
      const expiry = this.expiry[i] as number;
      if (expiry === 0) break;
      if (this.high[i] === high && this.low[i] === low) {
        if (expiry > now) return false;
        // The same key, expired: it may be used again.
        this.expiry[i] = expiresAt;
        return true;
      }
      if (free < 0 && expiry <= now) free = i;
    }
    if (free < 0) {
      if (this.used >= this.maxEntries || 2 * (this.used + 1) > this.slots) {
        if (!this.rebuild(now)) return false;
        return this.record(high, low, expiresAt, now);
      }
      this.used++;
      free = this.insertionSlot(low);
    }
    this.high[free] = high;
    this.low[free] = low;
    this.expiry[free] = expiresAt;
    return true;
  }

  /** The first never-used slot of `low`'s probe sequence. */
  private insertionSlot(low: number): number {
    const mask = this.slots - 1;
    let i = low & mask;
    while ((this.expiry[i] as number) !== 0) i = (i + 1) & mask;
    return i;
  }

  /**
   * Drops expired slots into a table sized for the live ones (a quarter full at most), at most
   * once a second when the bound is reached (so a full cache costs no rebuild per request; it
   * refuses until a rebuild frees room). False when no proof can be added.
   */
  private rebuild(now: number): boolean {
    const full = this.used >= this.maxEntries;
    if (full && now < this.nextRebuild) return false;
    this.nextRebuild = now + 1000;
    const { high, low, expiry } = this;
    let live = 0;
    for (let i = 0; i < this.slots; i++) if ((expiry[i] as number) > now) live++;
    if (live >= this.maxEntries) return false;
    let slots = INITIAL_SLOTS;
    while (slots < 4 * (live + 1)) slots *= 2;
    this.slots = slots;
    this.high = new Uint32Array(slots);
    this.low = new Uint32Array(slots);
    this.expiry = new Float64Array(slots);
    this.used = live;
    for (let i = 0; i < high.length; i++) {
      const e = expiry[i] as number;
      if (e <= now) continue;
      const slot = this.insertionSlot(low[i] as number);
      this.high[slot] = high[i] as number;
      this.low[slot] = low[i] as number;
      this.expiry[slot] = e;
    }
    return true;
  }
}
