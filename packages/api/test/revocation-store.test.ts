import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocationStore } from '../src/revocation/store.js';
import { drivers, useMigratedDb } from './support/databases.js';

const ISS = 'https://idp.test/realms/todo-app';
const T0 = Date.parse('2026-03-01T12:00:00.000Z');

describe.each(drivers)('RevocationStore on $driver', ({ skip, create }) => {
  const db = useMigratedDb({ skip, create });
  let now = T0;
  let store: RevocationStore;
  beforeAll(async () => {
    if (skip) return;
    store = new RevocationStore({
      db,
      listenUrl: db.config.kind === 'postgres' ? db.config.url : undefined,
      now: () => new Date(now),
      ttlSeconds: 600,
    });
    await store.start();
  });
  afterAll(async () => {
    await store?.close();
  });

  const principal = (over: { subject?: string; sessionId?: string; issuedAt?: number }) => ({
    issuer: ISS,
    subject: 'sub-1',
    ...over,
  });

  it.skipIf(skip)(
    'refuses a subject’s tokens issued up to the revocation, not later ones, nor those without iat',
    async () => {
      await store.revokeSubject(ISS, 'sub-1');
      const iat = T0 / 1000;
      expect(store.isRevoked(principal({ issuedAt: iat - 60 }))).toBe(true);
      expect(store.isRevoked(principal({ issuedAt: iat }))).toBe(true);
      // Within the 30 s clock tolerance a later iat may be the IdP's clock running ahead.
      expect(store.isRevoked(principal({ issuedAt: iat + 30 }))).toBe(true);
      expect(store.isRevoked(principal({ issuedAt: iat + 31 }))).toBe(false);
      expect(store.isRevoked(principal({}))).toBe(true);
      expect(store.isRevoked(principal({ subject: 'sub-2', issuedAt: iat - 60 }))).toBe(false);
      expect(
        store.isRevoked({ ...principal({ issuedAt: iat - 60 }), issuer: 'https://other' }),
      ).toBe(false);
    },
  );

  it.skipIf(skip)(
    'refuses a token issued just before the revocation by an IdP whose clock runs 20 s ahead',
    async () => {
      const skewMs = 20_000;
      const idpNowSec = () => Math.floor((now + skewMs) / 1000);
      now = T0 + 100_000;
      try {
        const issuedBefore = idpNowSec() - 1; // signed by the IdP one second before the logout
        await store.revokeSubject(ISS, 'sub-skewed');
        const skewed = (issuedAt: number) => principal({ subject: 'sub-skewed', issuedAt });
        expect(store.isRevoked(skewed(issuedBefore))).toBe(true);
        now += 5_000; // a sign-in 5 s later: its iat is 25 s past the revocation, within tolerance
        expect(store.isRevoked(skewed(idpNowSec()))).toBe(true);
        now += 10_000; // 15 s later, the IdP's iat is 35 s past the revocation: accepted
        expect(store.isRevoked(skewed(idpNowSec()))).toBe(false);
        // With no tolerance configured, the same early token would slip through: the allowance is
        // what refuses it.
        const strict = new RevocationStore({
          db,
          now: () => new Date(now),
          ttlSeconds: 600,
          clockToleranceSeconds: 0,
        });
        await strict.reload();
        expect(strict.isRevoked(skewed(issuedBefore))).toBe(false);
        await strict.close();
      } finally {
        now = T0;
      }
    },
  );

  it.skipIf(skip)('forgets a revocation once every token it could match has expired', async () => {
    await store.revokeSession(ISS, 'sid-expiring');
    expect(
      store.isRevoked(principal({ subject: 'x', sessionId: 'sid-expiring', issuedAt: T0 / 1000 })),
    ).toBe(true);
    // 600 s plus twice the 30 s tolerance: a token issued up to 30 s after the revocation is
    // covered, and accepted up to 30 s past its `exp`.
    now = T0 + 659_000;
    expect(
      store.isRevoked(principal({ subject: 'x', sessionId: 'sid-expiring', issuedAt: T0 / 1000 })),
    ).toBe(true);
    now = T0 + 661_000;
    expect(
      store.isRevoked(principal({ subject: 'x', sessionId: 'sid-expiring', issuedAt: T0 / 1000 })),
    ).toBe(false);
    // The row stays another 30 s (the clock tolerance), for instances whose clock runs behind.
    const stored = async () =>
      (await db.kysely.selectFrom('revocations').selectAll().execute()).filter(
        (r) => r.value === 'sid-expiring',
      );
    await store.reload();
    expect(await stored()).toHaveLength(1);
    now = T0 + 690_000;
    await store.reload();
    expect(await stored()).toEqual([]);
    now = T0;
  });

  it.skipIf(skip)(
    'loads what another instance stored, and keeps what it learnt while reloading',
    async () => {
      const other = new RevocationStore({ db, now: () => new Date(now), ttlSeconds: 600 });
      await other.revokeSession(ISS, 'sid-from-elsewhere');
      await store.reload();
      expect(
        store.isRevoked(principal({ sessionId: 'sid-from-elsewhere', issuedAt: T0 / 1000 + 5 })),
      ).toBe(true);
      await other.close();
    },
  );

  it.skipIf(skip)(
    'checks a principal in well under a microsecond with thousands of revocations',
    async () => {
      for (let i = 0; i < 200; i++)
        await store.revokeSession(ISS, `bulk-sid-${i}`, `bulk-sub-${i}`);
      const probe = principal({
        subject: 'bulk-sub-x',
        sessionId: 'bulk-sid-x',
        issuedAt: T0 / 1000,
      });
      const rounds = 200_000;
      // CPU time of this process, not wall time: other processes on a busy machine take turns
      // on its cores, which says nothing about what one check costs.
      const started = process.cpuUsage();
      let revoked = 0;
      for (let i = 0; i < rounds; i++) if (store.isRevoked(probe)) revoked++;
      const used = process.cpuUsage(started);
      const nsPerCheck = ((used.user + used.system) * 1000) / rounds;
      console.log(
        `[revocation check] ${nsPerCheck.toFixed(0)} ns of CPU per isRevoked() with 400+ entries`,
      );
      expect(revoked).toBe(0);
      expect(nsPerCheck).toBeLessThan(5_000);
    },
  );

  it.skipIf(skip)(
    'keeps the later revocation in the database when an instance whose clock runs behind repeats it',
    async () => {
      const ahead = T0 + 400_000;
      const behind = T0 + 300_000;
      const instance = (at: number) =>
        new RevocationStore({ db, now: () => new Date(at), ttlSeconds: 600 });
      const first = instance(ahead);
      const late = instance(behind);
      await first.revokeSubject(ISS, 'sub-clocks');
      await late.revokeSubject(ISS, 'sub-clocks');
      // A third instance starts from what the database holds: a token issued 60 s after the
      // slow clock's revocation (past its 30 s tolerance) is still before the first one.
      const fresh = instance(ahead);
      await fresh.start();
      try {
        const issuedAt = behind / 1000 + 60;
        expect(fresh.isRevoked(principal({ subject: 'sub-clocks', issuedAt }))).toBe(true);
        expect(
          fresh.isRevoked(principal({ subject: 'sub-clocks', issuedAt: ahead / 1000 + 31 })),
        ).toBe(false);
      } finally {
        await fresh.close();
      }
    },
  );

  it.skipIf(skip)('claims a logout jti once', async () => {
    expect(await store.claimLogoutJti(ISS, 'jti-1')).toBe(true);
    expect(await store.claimLogoutJti(ISS, 'jti-1')).toBe(false);
    expect(await store.claimLogoutJti('https://other', 'jti-1')).toBe(true);
  });
});
