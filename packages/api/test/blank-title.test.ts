import { describe, expect, it } from 'vitest';
import { drivers } from './support/databases.js';
import { useHarness } from './support/harness.js';

const BLANK = 'must contain a visible character, not only spaces or invisible ones';

/**
 * Text that shows as nothing: Unicode white space beyond ASCII, format characters (general
 * category Cf) and the other default-ignorable code points (Hangul fillers, variation selectors).
 */
const INVISIBLE = [
  '\u200b', // zero-width space
  '\u2060\u2060', // word joiner
  '\ufeff', // zero-width no-break space (BOM)
  '\u00ad', // soft hyphen
  '\u180e', // Mongolian vowel separator
  '\u200e\u200f\u202e', // bidirectional marks and override
  '\u200c\u200d', // zero-width non-joiner and joiner
  '\u3164', // Hangul filler
  '\ufe0f\u034f', // a variation selector, the combining grapheme joiner
  '\udb40\udc20\udb40\udc7f', // tag characters (a paired surrogate each)
  ' \u00a0\u200b\u3000\u2028 ', // white space and a zero-width space mixed
];

/** Text with invisible characters inside visible ones: stored as sent. */
const VISIBLE = [
  '👩\u200d💻 review', // an emoji ZWJ sequence
  'שלום\u200f world', // a right-to-left mark inside real words
  '買い物リスト', // CJK
  'co\u00adoperate', // a soft hyphen inside a word
  '\u200b.', // a zero-width space before a full stop
];

describe.each(drivers)('titles and list names on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });

  it.skipIf(skip)('refuses a title of spaces alone with 400 naming title', async () => {
    // Tabs and line breaks are control characters, refused as such (control-characters.test.ts).
    for (const title of ['   ', '\u00a0\u2003', ' \u3000 ']) {
      const refused = await h.as('alice', { method: 'POST', url: '/todos/', payload: { title } });
      expect(refused.statusCode).toBe(400);
      const body = refused.json();
      expect(body.detail).toBe(`title ${BLANK}`);
      expect(body.errors).toEqual([{ field: 'body.title', message: BLANK }]);
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
      detail: `name ${BLANK}`,
      errors: [{ field: 'body.name', message: BLANK }],
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

  it.skipIf(skip)('refuses a title made of invisible characters on every route', async () => {
    const created = await h.as('alice', {
      method: 'POST',
      url: '/todos/',
      payload: { title: 'x' },
    });
    const { id, listId } = created.json();
    for (const title of INVISIBLE) {
      const requests = [
        { method: 'POST', url: '/todos/', payload: { title } },
        { method: 'POST', url: `/lists/${listId}/todos/`, payload: { title } },
        { method: 'PATCH', url: `/todos/${id}`, payload: { title } },
        { method: 'PUT', url: `/todos/${id}`, payload: { title, completed: false } },
      ] as const;
      for (const request of requests) {
        const refused = await h.as('alice', request);
        expect(
          refused.statusCode,
          `${request.method} ${request.url} ${JSON.stringify(title)}`,
        ).toBe(400);
        expect(refused.json()).toMatchObject({
          detail: `title ${BLANK}`,
          errors: [{ field: 'body.title', message: BLANK }],
        });
      }
    }
    const unchanged = await h.as('alice', { method: 'GET', url: `/todos/${id}` });
    expect(unchanged.json()).toMatchObject({ title: 'x', version: 1 });
  });

  it.skipIf(skip)('refuses a list name made of invisible characters', async () => {
    const created = await h.as('alice', {
      method: 'POST',
      url: '/lists/',
      payload: { name: 'Chores' },
    });
    const { id } = created.json();
    for (const name of INVISIBLE) {
      for (const request of [
        { method: 'POST', url: '/lists/', payload: { name } },
        { method: 'PATCH', url: `/lists/${id}`, payload: { name } },
      ] as const) {
        const refused = await h.as('alice', request);
        expect(refused.statusCode, `${request.method} ${JSON.stringify(name)}`).toBe(400);
        expect(refused.json()).toMatchObject({
          detail: `name ${BLANK}`,
          errors: [{ field: 'body.name', message: BLANK }],
        });
      }
    }
    const unchanged = await h.as('alice', { method: 'GET', url: `/lists/${id}` });
    expect(unchanged.json()).toMatchObject({ name: 'Chores', version: 1 });
  });

  it.skipIf(skip)('keeps text whose invisible characters sit among visible ones', async () => {
    for (const text of VISIBLE) {
      const todo = await h.as('alice', {
        method: 'POST',
        url: '/todos/',
        payload: { title: text },
      });
      expect(todo.statusCode, JSON.stringify(text)).toBe(201);
      expect(todo.json().title).toBe(text);
      const list = await h.as('alice', { method: 'POST', url: '/lists/', payload: { name: text } });
      expect(list.statusCode, JSON.stringify(text)).toBe(201);
      expect(list.json().name).toBe(text);
    }
  });
});
