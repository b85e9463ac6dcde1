import { describe, expect, it } from 'vitest';
import { drivers } from './support/databases.js';
import { useHarness } from './support/harness.js';

describe.each(drivers)('titles and list names on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });

  it.skipIf(skip)('refuses a title of spaces alone with 400 naming title', async () => {
    // Tabs and line breaks are control characters, refused as such (control-characters.test.ts).
    for (const title of ['   ', '\u00a0\u2003', ' \u3000 ']) {
      const refused = await h.as('alice', { method: 'POST', url: '/todos/', payload: { title } });
      expect(refused.statusCode).toBe(400);
      const body = refused.json();
      expect(body.detail).toBe('title must contain a character other than spaces');
      expect(body.errors).toEqual([
        { field: 'body.title', message: 'must contain a character other than spaces' },
      ]);
    }
    const created = await h.as('alice', {
      method: 'POST',
      url: '/todos/',
      payload: { title: 'x' },
    });
    const id = created.json().id;
    const patched = await h.as('alice', {
      method: 'PATCH',
      url: `/todos/${id}`,
      payload: { title: '  ' },
    });
    expect(patched.statusCode).toBe(400);
    const unchanged = await h.as('alice', { method: 'GET', url: `/todos/${id}` });
    expect(unchanged.json().title).toBe('x');
  });

  it.skipIf(skip)('refuses a list name of spaces alone with 400 naming name', async () => {
    const refusal = {
      detail: 'name must contain a character other than spaces',
      errors: [{ field: 'body.name', message: 'must contain a character other than spaces' }],
    };
    for (const name of ['   ', '\u00a0\u2003', ' \u3000 ']) {
      const refused = await h.as('alice', { method: 'POST', url: '/lists/', payload: { name } });
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject(refusal);
    }
    const created = await h.as('alice', {
      method: 'POST',
      url: '/lists/',
      payload: { name: 'Groceries' },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    const renamed = await h.as('alice', {
      method: 'PATCH',
      url: `/lists/${id}`,
      payload: { name: '  ' },
    });
    expect(renamed.statusCode).toBe(400);
    expect(renamed.json()).toMatchObject(refusal);
    const unchanged = await h.as('alice', { method: 'GET', url: `/lists/${id}` });
    expect(unchanged.json()).toMatchObject({ name: 'Groceries', version: 1 });
    const owned = await h.as('alice', { method: 'GET', url: '/lists/' });
    expect(owned.json().map((list: { name: string }) => list.name.trim())).not.toContain('');
  });

  it.skipIf(skip)('names fields in the sentence as a person knows them', async () => {
    const tooLong = await h.as('alice', {
      method: 'POST',
      url: '/todos/',
      payload: { title: 'x'.repeat(201) },
    });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().detail).toMatch(/^title /);
    expect(tooLong.json().detail).not.toContain('body.');
  });
});
