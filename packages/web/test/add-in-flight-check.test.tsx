import { cleanup, screen, waitFor } from '@testing-library/react';
import { describe, expect, test } from 'vitest';
import { TodosScreen } from '../src/todos/TodosScreen.js';
import { freshPageEachTest } from './support/fresh-page.js';
import { renderWithApi } from './support/render.js';
import { fakeRetryClock, moveClockUntil } from './support/retry-clock.js';
import { renderRoot, storeSignedInUser, UNREACHABLE_ISSUER } from './support/signed-in-root.js';

const api = freshPageEachTest();

const OWN_DEFAULT = '00000000-0000-4000-8000-0000000000a1';
/** The list the todo went to: the person's own, not their default one. */
const GROCERIES = '00000000-0000-4000-8000-0000000000a2';
const ADDS = 'todo-sso.draft.new.adds';
const HOUR = 60 * 60_000;

interface Left {
  at?: number;
  sub?: string;
  page?: string;
}

/** What an earlier page load left when it went while adding `title` to the groceries list. */
function leaveUnanswered(title: string, { at = Date.now(), sub = 'sub-alice' }: Left = {}) {
  window.sessionStorage.setItem('todo-sso.draft-owner', 'sub-alice');
  window.sessionStorage.setItem('todo-sso.draft.new.title', title);
  window.sessionStorage.setItem(
    ADDS,
    JSON.stringify([
      {
        path: '/todos/',
        body: { title, listId: GROCERIES },
        key: 'key-1',
        sub,
        page: 'an-earlier-page-load',
        typed: { title, description: '' },
        at,
        state: 'sending',
      },
    ]),
  );
}

const records = () => JSON.parse(window.sessionStorage.getItem(ADDS) ?? '[]') as Left[];

/** The first send reached the API, which stored the todo; its answer never reached the page. */
async function storedBeforeTheReload(title: string, key: string, listId: string) {
  const response = await fetch(`${api.url}/todos/`, {
    method: 'POST',
    headers: {
      authorization: 'Bearer token-1',
      'content-type': 'application/json',
      'idempotency-key': `"${key}"`,
    },
    body: JSON.stringify({ title, listId }),
  });
  expect(response.status).toBe(201);
}

async function openApp(): Promise<HTMLInputElement> {
  api.lists = [
    { id: OWN_DEFAULT, name: 'My todos', relation: 'owner', isDefault: true },
    { id: GROCERIES, name: 'Groceries', relation: 'owner', isDefault: false },
  ];
  storeSignedInUser(UNREACHABLE_ISSUER);
  renderRoot({ issuer: UNREACHABLE_ISSUER, apiUrl: api.url });
  return (await screen.findByLabelText('New todo')) as HTMLInputElement;
}

const isPost = (request: { method: string; path: string }) =>
  request.method === 'POST' && request.path === '/todos/';
const posts = () => api.requests.filter(isPost);

describe('a new todo left unanswered by an earlier page, sent again', () => {
  test('its list is gone (404): the record goes, the text stays, and the form says why', async () => {
    api.failNext(isPost, 404);
    leaveUnanswered('Buy oat milk');
    const field = await openApp();
    expect((await screen.findByText(/before the page was reloaded/)).textContent).toBe(
      '“Buy oat milk” was sent before the page was reloaded, but its list is gone (deleted, or no longer shared with you). The text is back in the field.',
    );
    expect(field.value).toBe('Buy oat milk');
    expect(window.sessionStorage.getItem(ADDS)).toBeNull();
  });

  test('stored, then deleted before the next load (the API answers its key 404): the field empties and the form says so', async () => {
    leaveUnanswered('Buy saffron');
    await storedBeforeTheReload('Buy saffron', 'key-1', GROCERIES);
    api.todos.length = 0;
    const field = await openApp();
    expect((await screen.findByText(/before the page was reloaded/)).textContent).toBe(
      '“Buy saffron” was saved before the page was reloaded, and has been deleted since.',
    );
    expect(field.value).toBe('');
    expect(window.sessionStorage.getItem(ADDS)).toBeNull();
    expect(api.todos).toEqual([]);
  });

  test('no longer allowed to add there (403): the record goes, the text stays, and the form says why', async () => {
    api.failNext(isPost, 403);
    leaveUnanswered('Buy plums');
    const field = await openApp();
    expect((await screen.findByText(/before the page was reloaded/)).textContent).toBe(
      '“Buy plums” was not saved before the page was reloaded: you may no longer add todos to its list. The text is back in the field.',
    );
    expect(field.value).toBe('Buy plums');
    expect(window.sessionStorage.getItem(ADDS)).toBeNull();
  });

  test('refused as invalid (422): the record goes and the text stays', async () => {
    api.failNext(isPost, 422);
    leaveUnanswered('Buy figs');
    const field = await openApp();
    expect((await screen.findByText(/before the page was reloaded/)).textContent).toBe(
      '“Buy figs” was not saved before the page was reloaded: the API refused it (HTTP 422). The text is back in the field.',
    );
    expect(field.value).toBe('Buy figs');
    expect(window.sessionStorage.getItem(ADDS)).toBeNull();
  });

  test('the API is down (503): the record and the text stay, the form says it could not check yet, and the next load sends it again', async () => {
    api.failNext(isPost, 503);
    leaveUnanswered('Buy rye bread');
    const field = await openApp();
    expect((await screen.findByText(/Could not check yet/)).textContent).toBe(
      'Could not check yet whether “Buy rye bread” was saved before the page was reloaded: the text stays in the field, and the next load checks again. Adding the same text again does not add it twice.',
    );
    expect(field.value).toBe('Buy rye bread');
    expect(records()).toHaveLength(1);
    expect(api.todos).toEqual([]);

    // The next load (another page) sends it again, with the same key.
    cleanup();
    window.sessionStorage.setItem(
      ADDS,
      JSON.stringify(records().map((record) => ({ ...record, page: 'the-page-before' }))),
    );
    const again = await openApp();
    await screen.findByText(
      '“Buy rye bread” had not reached the API when the page was reloaded: it was sent again and is saved now.',
    );
    expect(again.value).toBe('');
    expect(api.todos.map((todo) => todo.title)).toEqual(['Buy rye bread']);
    expect(new Set(posts().map((post) => post.idempotencyKey))).toEqual(new Set(['"key-1"']));
  });

  test('the first send still being processed (409): asked again shortly, and saved', async () => {
    api.failNext(isPost, 409);
    leaveUnanswered('Buy capers');
    fakeRetryClock();
    const field = await openApp();
    await moveClockUntil(() => screen.queryAllByText(/is saved now/).length > 0);
    expect(screen.getByText(/is saved now/).textContent).toBe(
      '“Buy capers” had not reached the API when the page was reloaded: it was sent again and is saved now.',
    );
    expect(field.value).toBe('');
    expect(posts()).toHaveLength(2);
    expect(api.todos.map((todo) => todo.title)).toEqual(['Buy capers']);
  });

  test('sent more than 23 hours ago: not sent again (the key may be gone), the text is back, the form says why', async () => {
    leaveUnanswered('Buy stamps', { at: Date.now() - 23 * HOUR - 1000 });
    const field = await openApp();
    expect((await screen.findByText(/23 hours/)).textContent).toBe(
      '“Buy stamps” was sent more than 23 hours ago and never answered: it is not sent again, since it might be added twice. Check the list before adding it again. The text is back in the field.',
    );
    expect(field.value).toBe('Buy stamps');
    expect(posts()).toEqual([]);
    expect(window.sessionStorage.getItem(ADDS)).toBeNull();
  });

  test('another person’s record is never sent', async () => {
    leaveUnanswered('Buy bob’s things', { sub: 'sub-bob' });
    await openApp();
    await screen.findByText('Nothing to do yet');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(posts()).toEqual([]);
    expect(screen.queryByText(/before the page was reloaded/)).toBeNull();
  });

  test('a record of the previous version (no key): not sent, the text is back, the form says to check', async () => {
    window.sessionStorage.setItem('todo-sso.draft-owner', 'sub-alice');
    window.sessionStorage.setItem(
      'todo-sso.draft.new.sending',
      JSON.stringify({
        nonce: 'n1',
        page: 'an-earlier-page-load',
        title: 'Buy apples',
        description: null,
        typed: 'Buy apples',
        listId: undefined,
        at: Date.now(),
        known: [],
      }),
    );
    const field = await openApp();
    expect((await screen.findByText(/Could not tell/)).textContent).toBe(
      'Could not tell whether “Buy apples” was saved before the page was reloaded. Check the list before adding it again. The text is back in the field.',
    );
    expect(field.value).toBe('Buy apples');
    expect(posts()).toEqual([]);
    expect(window.sessionStorage.getItem('todo-sso.draft.new.sending')).toBeNull();
  });

  test('the session ended (401): the app signs in again and the record stays for the load after', async () => {
    leaveUnanswered('Buy honey');
    api.validTokens.clear();
    const { session } = renderWithApi(<TodosScreen />, api.url);
    await waitFor(() => expect(session.calls.reauthenticate).toBeGreaterThan(0));
    await waitFor(() => expect(posts()).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(records()).toHaveLength(1);
    expect(screen.queryByText(/before the page was reloaded/)).toBeNull();
  });
});
