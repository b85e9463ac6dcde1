import { afterAll, describe, expect, it, vi } from 'vitest';
import { RevocationStore } from '../src/revocation/store.js';
import { drivers, useMigratedDb } from './support/databases.js';

const ISS = 'https://idp.test/realms/todo-app';
const T0 = Date.parse('2026-03-01T12:00:00.000Z');

/**
 * Which of a role's removal and its grant came last is the database's order, not the clocks of
 * the instances that made them (both engines): a grant on an instance whose clock runs ahead,
 * then a removal on one whose clock is right, leaves the role's tokens refused everywhere.
 */
describe.each(drivers)('the order of a role’s removal and grant on $driver', ({ skip, create }) => {
  const db = useMigratedDb({ skip, create });
  const stores: RevocationStore[] = [];
  /** An instance whose clock reads `clock()`. */
  const instance = async (clock: () => number) => {
    const store = new RevocationStore({
      db,
      listenUrl: db.config.kind === 'postgres' ? db.config.url : undefined,
      now: () => new Date(clock()),
      ttlSeconds: 600,
    });
    stores.push(store);
    await store.start();
    return store;
  };
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });

  const commit = <T>(save: (tx: typeof db.kysely) => Promise<T>) =>
    db.kysely.transaction().execute(save);
  const carrying = (sub: string) => ({
    issuer: ISS,
    subject: sub,
    roles: ['user', 'admin'],
    permissions: [],
    issuedAt: T0 / 1000,
  });
  const row = (sub: string) =>
    db.kysely
      .selectFrom('role_revocations')
      .select(['removed_at', 'granted_at'])
      .where('sub', '=', sub)
      .executeTakeFirstOrThrow();
  const ms = (t: Date | string) => new Date(t).getTime();

  it.skipIf(skip)(
    'a removal made after a grant refuses, whichever instance’s clock runs ahead',
    async () => {
      let now = T0;
      const ahead = await instance(() => now + 10_000);
      const right = await instance(() => now);
      await right.revokeRole(ISS, 'sub-order', 'admin', commit);
      now += 1_000;
      // Granted again on the instance 10 s ahead, then removed again 2 s later on the other.
      await ahead.restoreRole(ISS, 'sub-order', 'admin', commit);
      await vi.waitFor(() => expect(right.isRevoked(carrying('sub-order'))).toBe(false));
      now += 2_000;
      await right.revokeRole(ISS, 'sub-order', 'admin', commit);
      // The removal is stored after the grant it follows: just past it, not at this clock.
      const stored = await row('sub-order');
      expect(ms(stored.removed_at)).toBe(ms(stored.granted_at) + 1);
      expect(ms(stored.granted_at)).toBe(T0 + 11_000);
      for (const s of [right, await instance(() => now)])
        expect(s.isRevoked(carrying('sub-order'))).toBe(true);
      await vi.waitFor(() => expect(ahead.isRevoked(carrying('sub-order'))).toBe(true));
      // Granted once more, on the instance whose clock is right (behind the stored removal):
      // lifted again, everywhere.
      now += 1_000;
      await right.restoreRole(ISS, 'sub-order', 'admin', commit);
      const lifted = await row('sub-order');
      expect(ms(lifted.granted_at)).toBe(ms(lifted.removed_at));
      for (const s of [right, await instance(() => now)])
        expect(s.isRevoked(carrying('sub-order'))).toBe(false);
      await vi.waitFor(() => expect(ahead.isRevoked(carrying('sub-order'))).toBe(false));
    },
  );

  it.skipIf(skip)('times still move forward by the clocks when they are in order', async () => {
    let now = T0 + 60_000;
    const store = await instance(() => now);
    await store.revokeRole(ISS, 'sub-forward', 'admin', commit);
    now += 5_000;
    await store.restoreRole(ISS, 'sub-forward', 'admin', commit);
    now += 5_000;
    await store.revokeRole(ISS, 'sub-forward', 'admin', commit);
    const stored = await row('sub-forward');
    expect([ms(stored.removed_at), ms(stored.granted_at)]).toEqual([T0 + 70_000, T0 + 65_000]);
    expect(store.isRevoked(carrying('sub-forward'))).toBe(true);
  });
});
