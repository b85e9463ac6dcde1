import { randomUUID } from 'node:crypto';
import { MemoryDpopReplayCache } from '@todo-sso/auth';
import { describe, expect, test } from 'vitest';

/** A clock the test moves by hand, in ms. */
function manualClock(start = 1_800_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const jkt = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

describe('MemoryDpopReplayCache (RFC 9449 §11.1)', () => {
  test('each of many proofs is accepted once and refused after, across the table growing', () => {
    const clock = manualClock();
    const cache = new MemoryDpopReplayCache(500_000, clock.now);
    const keys = Array.from({ length: 30_000 }, () => `${jkt}.${randomUUID()}`);
    expect(keys.filter((key) => cache.claim(key, clock.now() + 65_000)).length).toBe(30_000);
    expect(keys.filter((key) => cache.claim(key, clock.now() + 65_000)).length).toBe(0);
    // Keys that differ in one character, or only by their split, are distinct proofs.
    expect(cache.claim(`${jkt}.a-b`, clock.now() + 65_000)).toBe(true);
    expect(cache.claim(`${jkt}.a-c`, clock.now() + 65_000)).toBe(true);
    expect(cache.claim(`${jkt}a.-b`, clock.now() + 65_000)).toBe(true);
    expect(cache.size).toBe(30_003);
  });

  test('by default holds every proof one fast core accepts within the lifetime of a proof', () => {
    // Measured: 13,000 DPoP requests a second on one core of a 2-core AMD EPYC VM (npm run
    // bench), 845,000 in the 65 s a proof is remembered. A default bound below that refused
    // every proof past it as a replay (401) while the load lasted; a core half as fast again
    // gives some 1.3 M, within the default.
    const clock = manualClock();
    const cache = new MemoryDpopReplayCache(undefined, clock.now);
    const perSecond = 20_000;
    let accepted = 0;
    for (let second = 0; second < 65; second++) {
      for (let i = 0; i < perSecond; i++)
        if (cache.claimProof(jkt, `${second}-${i}`, clock.now() + 65_000)) accepted++;
      clock.advance(1000);
    }
    expect(accepted).toBe(65 * perSecond);
  });

  test('a proof claimed by its two parts is the same record as by its joined key', () => {
    const clock = manualClock();
    const cache = new MemoryDpopReplayCache(1000, clock.now);
    const jtis = Array.from({ length: 200 }, () => randomUUID());
    for (const [i, jti] of jtis.entries()) {
      const later = clock.now() + 65_000;
      // Either form first: the other one is then a replay, and so is the same form again.
      if (i % 2 === 0) {
        expect(cache.claimProof(jkt, jti, later)).toBe(true);
        expect(cache.claim(`${jkt}.${jti}`, later)).toBe(false);
      } else {
        expect(cache.claim(`${jkt}.${jti}`, later)).toBe(true);
        expect(cache.claimProof(jkt, jti, later)).toBe(false);
      }
      expect(cache.claimProof(jkt, jti, later)).toBe(false);
    }
    // Where the parts split does not matter to the joined key, but a different key is new.
    expect(cache.claimProof(`${jkt}.a`, 'b', clock.now() + 65_000)).toBe(true);
    expect(cache.claimProof(jkt, 'a.b', clock.now() + 65_000)).toBe(false);
    expect(cache.claimProof(jkt, 'a-b', clock.now() + 65_000)).toBe(true);
    expect(cache.size).toBe(202);
  });

  test('proofs of keys taking turns keep each key its own records', () => {
    // A client signs with one key, so the hash of `${jkt}.` is kept for the last key: a proof of
    // another key must start afresh, and one of the first key again must not reuse the other's.
    const clock = manualClock();
    const cache = new MemoryDpopReplayCache(1000, clock.now);
    const other = 'aW5vdGhlci1rZXktdGh1bWJwcmludC0wMDAwMDAwMDA';
    const later = clock.now() + 65_000;
    for (const jti of Array.from({ length: 50 }, () => randomUUID())) {
      expect(cache.claimProof(jkt, jti, later)).toBe(true);
      expect(cache.claim(`${other}.${jti}`, later)).toBe(true);
      expect(cache.claimProof(other, jti, later)).toBe(false);
      expect(cache.claimProof(jkt, jti, later)).toBe(false);
      expect(cache.claim(`${jkt}.${jti}`, later)).toBe(false);
      // The same thumbprint as another string object is the same key.
      expect(cache.claimProof([...jkt].join(''), jti, later)).toBe(false);
      // A new proof of the other key right after one of the first is recorded as its own.
      const next = randomUUID();
      expect(cache.claimProof(other, next, later)).toBe(true);
      expect(cache.claim(`${other}.${next}`, later)).toBe(false);
      expect(cache.claim(`${jkt}.${next}`, later)).toBe(true);
    }
    expect(cache.size).toBe(200);
  });

  test('a proof is refused until it expires, then may be recorded again', () => {
    const clock = manualClock();
    const cache = new MemoryDpopReplayCache(100, clock.now);
    const key = `${jkt}.${randomUUID()}`;
    expect(cache.claim(key, clock.now() + 65_000)).toBe(true);
    clock.advance(64_999);
    expect(cache.claim(key, clock.now() + 65_000)).toBe(false);
    clock.advance(1);
    expect(cache.claim(key, clock.now() + 65_000)).toBe(true);
    expect(cache.claim(key, clock.now() + 65_000)).toBe(false);
    expect(cache.size).toBe(1);
  });

  test('holds at most maxEntries unexpired proofs, and expired ones make room again', () => {
    const clock = manualClock();
    const cache = new MemoryDpopReplayCache(5_000, clock.now);
    const first = Array.from({ length: 5_000 }, () => `${jkt}.${randomUUID()}`);
    expect(first.filter((key) => cache.claim(key, clock.now() + 10_000)).length).toBe(5_000);
    // Full: a new proof is refused (fail closed), the recorded ones are still replays.
    expect(cache.claim(`${jkt}.${randomUUID()}`, clock.now() + 10_000)).toBe(false);
    expect(cache.claim(first[4_999] as string, clock.now() + 10_000)).toBe(false);
    clock.advance(10_001);
    const second = Array.from({ length: 5_000 }, () => `${jkt}.${randomUUID()}`);
    expect(second.filter((key) => cache.claim(key, clock.now() + 65_000)).length).toBe(5_000);
    expect(cache.size).toBe(5_000);
    expect(second.filter((key) => cache.claim(key, clock.now() + 65_000)).length).toBe(0);
  });

  test('proofs expiring at different times: only the expired ones are forgotten', () => {
    const clock = manualClock();
    const cache = new MemoryDpopReplayCache(100_000, clock.now);
    const keys = Array.from({ length: 20_000 }, () => `${jkt}.${randomUUID()}`);
    expect(
      keys.filter((key, i) => cache.claim(key, clock.now() + 1_000 * (1 + (i % 60)))).length,
    ).toBe(20_000);
    clock.advance(30_000);
    // Those expiring within 30 s are gone, the others still refused; new ones keep coming.
    const wrong = keys.filter(
      (key, i) => cache.claim(key, clock.now() + 65_000) !== 1 + (i % 60) <= 30,
    );
    expect(wrong).toEqual([]);
    const fresh = Array.from({ length: 20_000 }, () => `${jkt}.${randomUUID()}`);
    expect(fresh.filter((key) => cache.claim(key, clock.now() + 65_000)).length).toBe(20_000);
    expect(cache.size).toBe(40_000);
  });
});
