import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { drivers } from './support/databases.js';
import { useHarness } from './support/harness.js';

/**
 * A rename whose caller is no longer a member when the renamed list is read back in the
 * rename's transaction (with a remote decision point, AUTHZ_PDP_URL, a member removed while
 * their rename runs): nothing is written, neither the new name nor its audit record, and the
 * caller is answered as a new request of theirs would be (404, the list is not theirs to see).
 */
describe.each(drivers)('list rename losing its caller on $driver', ({ skip, create, driver }) => {
  const h = useHarness({ skip, create });

  /** Removes the list's members at the moment its name changes, inside the rename. */
  async function membersRemovedMidRename(): Promise<() => Promise<void>> {
    const k = h.context.db.kysely;
    const removal = 'delete from list_members where list_id = new.id';
    if (driver === 'postgres') {
      await sql`create function members_gone() returns trigger language plpgsql as $$
        begin ${sql.raw(removal)}; return null; end $$`.execute(k);
      await sql`create trigger members_gone after update of name on lists
        for each row execute function members_gone()`.execute(k);
      return async () => {
        await sql`drop trigger members_gone on lists`.execute(k);
        await sql`drop function members_gone()`.execute(k);
      };
    }
    await sql`create trigger members_gone after update of name on lists
      begin ${sql.raw(removal)}; end`.execute(k);
    return async () => {
      await sql`drop trigger members_gone`.execute(k);
    };
  }

  it.skipIf(skip)('commits neither the rename nor its audit record, and answers 404', async () => {
    const created = await h.as('alice', {
      method: 'POST',
      url: '/lists/',
      payload: { name: 'Errands' },
    });
    expect(created.statusCode).toBe(201);
    const { id } = created.json();
    const stop = await membersRemovedMidRename();
    let renamed: Awaited<ReturnType<typeof h.as>>;
    try {
      renamed = await h.as('alice', {
        method: 'PATCH',
        url: `/lists/${id}`,
        headers: { 'if-match': created.headers.etag as string },
        payload: { name: 'Errands (renamed)' },
      });
    } finally {
      await stop();
    }
    expect(renamed.statusCode, renamed.body).toBe(404);
    const k = h.context.db.kysely;
    const row = await k
      .selectFrom('lists')
      .select(['name', 'version'])
      .where('id', '=', id)
      .executeTakeFirst();
    expect(row).toMatchObject({ name: 'Errands', version: 1 });
    const audit = await k
      .selectFrom('audit_log')
      .select('action')
      .where('resource', '=', `list:${id}`)
      .where('action', '=', 'list.rename')
      .execute();
    expect(audit).toEqual([]);
    // The trigger's removal was rolled back with the rename: alice still has her list.
    const read = await h.as('alice', { method: 'GET', url: `/lists/${id}` });
    expect(read.json()).toMatchObject({ name: 'Errands', version: 1 });
  });
});
