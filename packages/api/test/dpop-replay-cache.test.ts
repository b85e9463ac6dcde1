import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { dpopReplayCache } from '../src/dpop/replay-cache.js';
import { revocationRepository } from '../src/repositories/revocations.js';
import { drivers, rowCount, useMigratedDb } from './support/databases.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

describe.each(drivers)('DPoP replay cache on $driver', ({ skip, create }) => {
  const db = useMigratedDb({ skip, create });
  let now = T0;
  const clock = () => new Date(now);

  it.skipIf(skip)('accepts a proof once and refuses it again until it expires', async () => {
    const cache = dpopReplayCache(db, clock);
    expect(await cache.claim('jkt.jti-1', T0 + 65_000)).toBe(true);
    expect(await cache.claim('jkt.jti-1', T0 + 65_000)).toBe(false);
    expect(await cache.claim('jkt.jti-2', T0 + 65_000)).toBe(true);
    now = T0 + 65_000;
    expect(await cache.claim('jkt.jti-1', T0 + 130_000)).toBe(true);
    expect(await cache.claim('jkt.jti-1', T0 + 130_000)).toBe(false);
  });
});

const postgres = drivers.find((d) => d.driver === 'postgres') as (typeof drivers)[number];

describe('DPoP replay cache across instances on PostgreSQL', () => {
  const db = useMigratedDb(postgres);
  const now = T0;
  const clock = () => new Date(now);
  it.skipIf(postgres.skip)(
    'refuses at a second instance a proof used at the first (one table for the cluster)',
    async () => {
      const second = openDatabase(db.config);
      try {
        const a = dpopReplayCache(db, clock);
        const b = dpopReplayCache(second, clock);
        expect(await a.claim('jkt.shared', now + 65_000)).toBe(true);
        expect(await b.claim('jkt.shared', now + 65_000)).toBe(false);
        // Concurrent first uses at both instances: exactly one wins.
        const results = await Promise.all([
          a.claim('jkt.race', now + 65_000),
          b.claim('jkt.race', now + 65_000),
          b.claim('jkt.race', now + 65_000),
        ]);
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await rowCount(db, 'dpop_proofs')).toBeGreaterThanOrEqual(2);
        await revocationRepository(db).prune(new Date(now + 70_000));
        expect(await rowCount(db, 'dpop_proofs')).toBe(0);
      } finally {
        await second.close();
      }
    },
  );
});
