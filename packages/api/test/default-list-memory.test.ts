import { describe, expect, it } from 'vitest';
import { listRepository } from '../src/lists/repository.js';
import { drivers, useMigratedDb } from './support/databases.js';

const issuer = 'https://idp.test/realms/defaults';
const person = (subject: string) => ({ issuer, subject });

/**
 * Every request of a person makes sure their default list exists. Once seen, a person's list id
 * is remembered, for a bounded number of people; one not seen since the bound was last reached is
 * forgotten first, so a busy instance keeps answering its active users from memory instead of
 * starting over.
 */
describe.each(drivers)('remembered default lists on $driver', ({ skip, create }) => {
  const db = useMigratedDb({ skip, create });

  /** Removes the stored default lists, so only a remembered id can still answer. */
  async function forgetInDatabase() {
    await db.kysely.deleteFrom('list_members').where('member_issuer', '=', issuer).execute();
    await db.kysely.deleteFrom('lists').where('owner_issuer', '=', issuer).execute();
  }

  it.skipIf(skip)('forgets the least recently seen person first, one at a time', async () => {
    const lists = listRepository(db, { rememberedDefaults: 2 });
    const now = new Date();
    const a = await lists.ensureDefault(person('a'), now);
    const b = await lists.ensureDefault(person('b'), now);
    expect(await lists.ensureDefault(person('a'), now)).toBe(a);
    // Full: c takes the place of b, the least recently seen.
    const c = await lists.ensureDefault(person('c'), now);
    await forgetInDatabase();
    expect(await lists.ensureDefault(person('a'), now)).toBe(a);
    expect(await lists.ensureDefault(person('c'), now)).toBe(c);
    const again = await lists.ensureDefault(person('b'), now);
    expect(again).not.toBe(b);
    expect(await lists.listFor(person('b'))).toMatchObject([{ id: again, isDefault: true }]);
  });

  it.skipIf(skip)('spares everyone seen once, then forgets the oldest', async () => {
    const lists = listRepository(db, { rememberedDefaults: 2 });
    const now = new Date();
    const a = await lists.ensureDefault(person('e'), now);
    const b = await lists.ensureDefault(person('f'), now);
    expect(await lists.ensureDefault(person('e'), now)).toBe(a);
    expect(await lists.ensureDefault(person('f'), now)).toBe(b);
    // Both seen since remembered: each spared once, then e (the older) makes room for g.
    const c = await lists.ensureDefault(person('g'), now);
    await forgetInDatabase();
    expect(await lists.ensureDefault(person('f'), now)).toBe(b);
    expect(await lists.ensureDefault(person('g'), now)).toBe(c);
    expect(await lists.ensureDefault(person('e'), now)).not.toBe(a);
  });

  it.skipIf(skip)('finds an existing default list without creating another', async () => {
    const first = listRepository(db);
    const id = await first.ensureDefault(person('d'), new Date());
    // Another process (here: a fresh repository) has not seen the person yet.
    const second = listRepository(db);
    expect(await second.ensureDefault(person('d'), new Date())).toBe(id);
    const rows = await db.kysely
      .selectFrom('lists')
      .select('id')
      .where('owner_issuer', '=', issuer)
      .where('owner_sub', '=', 'd')
      .execute();
    expect(rows).toEqual([{ id }]);
  });
});
