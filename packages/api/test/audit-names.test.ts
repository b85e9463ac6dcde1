import { describe, expect, it } from 'vitest';
import { drivers } from './support/databases.js';
import { useHarness, users } from './support/harness.js';

describe.each(drivers)('audit log names on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });

  it.skipIf(skip)('names a caller who was refused before ever writing a todo', async () => {
    expect((await h.as('carol', { method: 'GET', url: '/admin/audit' })).statusCode).toBe(403);
    const page = (await h.as('admin', { method: 'GET', url: '/admin/audit?limit=100' })).json();
    const denial = page.items.find(
      (entry: { actorSub: string | null; outcome: string }) =>
        entry.actorSub === users.carol.sub && entry.outcome === 'denied',
    );
    expect(denial).toMatchObject({ actorSub: users.carol.sub, actorName: 'carol' });
  });

  /**
   * The record about `resource`, found by it rather than by being the newest: records stamped in
   * one millisecond come back in the order of their random ids, so the newest may be another's.
   */
  const recordOf = async (resource: string) => {
    const page = (await h.as('admin', { method: 'GET', url: '/admin/audit?limit=100' })).json();
    return page.items.filter((entry: { resource: string | null }) => entry.resource === resource);
  };

  it.skipIf(skip)('names the writer of every write', async () => {
    const created = await h.as('bob', {
      method: 'POST',
      url: '/todos/',
      payload: { title: 'Call back' },
    });
    expect(created.statusCode).toBe(201);
    expect(await recordOf(`todo:${created.json().id}`)).toEqual([
      expect.objectContaining({ action: 'todo.create', actorName: 'bob' }),
    ]);
  });

  it.skipIf(skip)('names the administrator who revoked a subject', async () => {
    const revoked = await h.as('admin', {
      method: 'POST',
      url: '/admin/sessions/revoke',
      payload: { sub: users.nobody.sub },
    });
    expect(revoked.statusCode).toBe(200);
    expect(await recordOf(`subject:${users.nobody.sub}`)).toEqual([
      expect.objectContaining({ action: 'session.revoke', actorName: 'admin' }),
    ]);
  });
});
