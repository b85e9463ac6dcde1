import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, useTestDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig, useIssuer } from './support/harness.js';

/**
 * Revocations committed while an instance starts, on PostgreSQL: instance B revokes sessions
 * one after another while instance C starts. Every revocation committed before C's start-up
 * returned is refused by C within a second (it listens first, then loads the table), and so is
 * a burst committed afterwards, through `NOTIFY`.
 */
const postgres = drivers.find((d) => d.driver === 'postgres') as (typeof drivers)[number];
const { skip } = postgres;

describe.skipIf(skip)('revocations committed while an instance starts', () => {
  const database = useTestDatabase(postgres);
  const idp = useIssuer(skip, { profile: 'keycloak' });
  let b: Instance;
  beforeAll(async () => {
    if (skip) return;
    b = await startInstance(testConfig(idp, database.config));
  });
  afterAll(async () => {
    await b?.close();
  });

  /** A token of session `sid`, issued before any of the revocations. */
  const principal = (sid: string) => ({
    issuer: idp.issuer,
    subject: 'someone',
    sessionId: sid,
    issuedAt: Math.floor(Date.now() / 1000) - 60,
  });

  it('holds every revocation committed before or after its start-up, within a second', async () => {
    for (let round = 0; round < 4; round += 1) {
      let stop = false;
      const committed: { sid: string; at: number }[] = [];
      const revoking = (async () => {
        for (let i = 0; !stop; i += 1) {
          const sid = `start-${round}-${i}`;
          await b.context.revocations.revokeSession(idp.issuer, sid);
          committed.push({ sid, at: performance.now() });
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 20));
      const c = await startInstance(testConfig(idp, database.config));
      const started = performance.now();
      const before = committed.filter((r) => r.at < started).map((r) => r.sid);
      stop = true;
      await revoking;
      // Loaded from the table, or heard through NOTIFY, which lags its commit by milliseconds.
      let missing = before;
      while (missing.length > 0 && performance.now() - started < 1000) {
        missing = missing.filter((sid) => !c.context.revocations.isRevoked(principal(sid)));
        if (missing.length > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      try {
        expect(missing).toEqual([]);
        // A burst committed once it runs reaches it through NOTIFY within a second.
        const burst = Array.from({ length: 200 }, (_, i) => `burst-${round}-${i}`);
        await Promise.all(burst.map((sid) => b.context.revocations.revokeSession(idp.issuer, sid)));
        const sent = performance.now();
        let unheard = burst;
        while (unheard.length > 0 && performance.now() - sent < 1000) {
          unheard = unheard.filter((sid) => !c.context.revocations.isRevoked(principal(sid)));
          if (unheard.length > 0) await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expect(unheard).toEqual([]);
      } finally {
        await c.close();
      }
    }
  }, 60_000);
});
