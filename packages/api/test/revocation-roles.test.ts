import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OLDER_RELEASE_WINDOW_MS, olderReleaseUntil } from '../src/revocation/older-release.js';
import { RevocationStore } from '../src/revocation/store.js';
import { drivers, useMigratedDb } from './support/databases.js';

const ISS = 'https://idp.test/realms/todo-app';
const T0 = Date.parse('2026-03-01T12:00:00.000Z');
/** What the release before `role_revocations` knows, and throws on anything else. */
const OLDER_KINDS = ['session', 'subject', 'sessionless', 'client'];

/**
 * `role` revocations in the store, on both engines: a role removed refuses the person's tokens
 * that still carry it whatever their `iat` (the provider's clock), and nothing else; a grant
 * lifts it; the release before, sharing the database, never meets a row it cannot read.
 */
describe.each(drivers)('role revocations on $driver', ({ skip, create }) => {
  const db = useMigratedDb({ skip, create });
  let now = T0;
  const stores: RevocationStore[] = [];
  const instance = async (olderReleaseUntil?: Date) => {
    const store = new RevocationStore({
      db,
      listenUrl: db.config.kind === 'postgres' ? db.config.url : undefined,
      now: () => new Date(now),
      ttlSeconds: 600,
      olderReleaseUntil,
    });
    stores.push(store);
    await store.start();
    return store;
  };
  let store: RevocationStore;
  beforeAll(async () => {
    if (skip) return;
    store = await instance();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });

  const commit = <T>(save: (tx: typeof db.kysely) => Promise<T>) =>
    db.kysely.transaction().execute(save);
  const token = (subject: string, roles: string[], issuedAt?: number, permissions?: string[]) => ({
    issuer: ISS,
    subject,
    roles,
    permissions: permissions ?? [],
    ...(issuedAt !== undefined && { issuedAt }),
  });
  const olderReleaseRows = async (sub: string) =>
    (await db.kysely.selectFrom('revocations').selectAll().where('value', '=', sub).execute()).map(
      (r) => r.kind,
    );

  it.skipIf(skip)(
    'refuses the tokens still carrying a removed role whatever their iat, and passes those without it whatever theirs',
    async () => {
      now = T0 + 10_000;
      const at = now / 1000;
      await store.revokeRole(ISS, 'sub-role', 'admin', commit);
      // The provider's clock 2 minutes ahead: a token it issued just before the removal says
      // it was issued after it. Still carrying admin: refused.
      expect(store.isRevoked(token('sub-role', ['user', 'admin'], at + 120))).toBe(true);
      expect(store.isRevoked(token('sub-role', ['user', 'admin'], at - 60))).toBe(true);
      expect(store.isRevoked(token('sub-role', ['admin']))).toBe(true);
      // The provider's clock 2 minutes behind: the next token, without admin, says it was issued
      // before the removal. It passes, as does an older one without the role.
      expect(store.isRevoked(token('sub-role', ['user'], at - 120))).toBe(false);
      expect(store.isRevoked(token('sub-role', ['user']))).toBe(false);
      // Another subject, or another issuer, carrying admin: not concerned.
      expect(store.isRevoked(token('sub-other', ['admin'], at - 60))).toBe(false);
      expect(store.isRevoked({ ...token('sub-role', ['admin'], at), issuer: 'https://x' })).toBe(
        false,
      );
      // Nothing the release before reads: it would throw on the kind.
      expect(await olderReleaseRows('sub-role')).toEqual([]);
      // Another instance, from the database.
      const other = await instance();
      expect(other.isRevoked(token('sub-role', ['admin'], at + 120))).toBe(true);
      expect(other.isRevoked(token('sub-role', ['user'], at - 120))).toBe(false);
      // For as long as a token could be valid: 600 s plus twice the 30 s tolerance.
      now += 659_000;
      expect(store.isRevoked(token('sub-role', ['admin'], at))).toBe(true);
      now += 2_000;
      expect(store.isRevoked(token('sub-role', ['admin'], at))).toBe(false);
      // The row is deleted once past the clock tolerance too, as `revocations` rows are.
      now += 30_000;
      await store.reload();
      expect(
        await db.kysely.selectFrom('role_revocations').select('sub').execute(),
      ).not.toContainEqual({ sub: 'sub-role' });
    },
  );

  it.skipIf(skip)('matches a permission (the API client’s role) the same way', async () => {
    now = T0 + 20_000;
    await store.revokeRole(ISS, 'sub-perm', 'reports:generate', commit);
    expect(store.isRevoked(token('sub-perm', ['user'], now / 1000, ['reports:generate']))).toBe(
      true,
    );
    expect(store.isRevoked(token('sub-perm', ['user'], now / 1000, ['todos:read']))).toBe(false);
  });

  it.skipIf(skip)(
    'lifts a removal when the role is granted again, on every instance; a later removal refuses again',
    async () => {
      now = T0 + 30_000;
      const other = await instance();
      const carrying = () => token('sub-again', ['admin'], Math.floor(now / 1000));
      await store.revokeRole(ISS, 'sub-again', 'admin', commit);
      expect(store.isRevoked(carrying())).toBe(true);
      // The other instance learns of it once committed: at once on SQLite (one process's
      // memory), within a second on PostgreSQL (NOTIFY).
      await vi.waitFor(() => expect(other.isRevoked(carrying())).toBe(true));
      now += 1_000;
      await other.restoreRole(ISS, 'sub-again', 'admin', commit);
      expect(other.isRevoked(carrying())).toBe(false);
      await vi.waitFor(() => expect(store.isRevoked(carrying())).toBe(false));
      // A third instance, from the database (the removal and the grant merged into one row).
      const third = await instance();
      expect(third.isRevoked(carrying())).toBe(false);
      now += 1_000;
      await third.revokeRole(ISS, 'sub-again', 'admin', commit);
      await vi.waitFor(() => {
        for (const s of [store, other, third]) expect(s.isRevoked(carrying())).toBe(true);
      });
    },
  );

  it.skipIf(skip)(
    'while the release before may still run, also stores the subject revocation it applies',
    async () => {
      now = T0 + 40_000;
      const at = Math.floor(now / 1000);
      const upgrading = await instance(new Date(now + 60_000));
      await upgrading.revokeRole(ISS, 'sub-mixed', 'admin', commit);
      // What the release before reads: a subject row of a kind it knows, tokens issued up to
      // the removal by this clock (no allowance ahead), as it wrote itself for a removal.
      const [row] = await db.kysely
        .selectFrom('revocations')
        .selectAll()
        .where('value', '=', 'sub-mixed')
        .execute();
      expect(row?.kind).toBe('subject');
      expect(new Date(row?.not_before ?? 0).toISOString()).toBe(
        new Date(now - 30_000).toISOString(),
      );
      const kinds = await db.kysely.selectFrom('revocations').select('kind').distinct().execute();
      for (const { kind } of kinds) expect(OLDER_KINDS).toContain(kind);
      // This release applies it too meanwhile: the next token issued in the same second,
      // without the role, is refused; the next second's passes.
      expect(upgrading.isRevoked(token('sub-mixed', ['user'], at))).toBe(true);
      expect(upgrading.isRevoked(token('sub-mixed', ['user'], at + 1))).toBe(false);
      expect(upgrading.isRevoked(token('sub-mixed', ['admin'], at + 25))).toBe(true);
      // Past the window, a removal stores only the role.
      now += 60_000;
      await upgrading.revokeRole(ISS, 'sub-later', 'admin', commit);
      expect(await olderReleaseRows('sub-later')).toEqual([]);
    },
  );

  it.skipIf(skip)(
    'reads a row of a kind it does not know as a revocation of its subject, and keeps loading its set',
    async () => {
      now = T0 + 50_000;
      const at = Math.floor(now / 1000);
      const expiresAt = new Date(now + 600_000).toISOString();
      const notBefore = new Date(now).toISOString();
      await db.kysely
        .insertInto('revocations')
        .values([
          {
            issuer: ISS,
            kind: 'group' as never,
            value: '["sub-future","x"]',
            not_before: notBefore,
            expires_at: expiresAt,
          },
          {
            issuer: ISS,
            kind: 'device' as never,
            value: 'sub-plain',
            not_before: notBefore,
            expires_at: expiresAt,
          },
        ])
        .execute();
      const reader = await instance();
      await reader.reload();
      expect(reader.listening()).toBe(true);
      for (const sub of ['sub-future', 'sub-plain']) {
        expect(reader.isRevoked(token(sub, ['user'], at))).toBe(true);
        expect(reader.isRevoked(token(sub, ['user']))).toBe(true);
        expect(reader.isRevoked(token(sub, ['user'], at + 31))).toBe(false);
      }
      expect(reader.isRevoked(token('x', ['user'], at))).toBe(false);
    },
  );

  it.skipIf(skip)(
    'writes the older release’s row for a day after the migration, never on a database made now',
    async () => {
      const [migrated] = (
        await db.kysely
          .selectFrom('kysely_migration' as never)
          .select(['timestamp' as never])
          .where('name' as never, '=', '017-role-revocations' as never)
          .execute()
      ).map((r) => Date.parse((r as { timestamp: string }).timestamp));
      expect(Number.isNaN(migrated)).toBe(false);
      expect((await olderReleaseUntil(db, false))?.getTime()).toBe(
        (migrated as number) + OLDER_RELEASE_WINDOW_MS,
      );
      expect(await olderReleaseUntil(db, true)).toBeUndefined();
    },
  );
});
