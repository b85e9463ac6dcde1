import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, test, vi } from 'vitest';
import { newIdempotencyKey, rememberAdd } from '../src/todos/add-in-flight.js';
import { TodosScreen } from '../src/todos/TodosScreen.js';
import { freshPageEachTest } from './support/fresh-page.js';
import { renderWithApi } from './support/render.js';
import { fakeRetryClock, moveClockUntil } from './support/retry-clock.js';
import { renderRoot, storeSignedInUser, UNREACHABLE_ISSUER } from './support/signed-in-root.js';

const api = freshPageEachTest();

/** The person's own default list, and bob's list, which bob shares with them as editor. */
const OWN_DEFAULT = '00000000-0000-4000-8000-0000000000a1';
const BOBS_LIST = '00000000-0000-4000-8000-0000000000b1';
const ADDS = 'todo-sso.draft.new.adds';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * What an earlier page load of this tab left when it went while adding `title`: the draft of
 * the field, and the record of the send (as `rememberAdd` writes it, from another page).
 */
function leaveUnanswered(title: string, key: string, listId?: string) {
  window.sessionStorage.setItem('todo-sso.draft-owner', 'sub-alice');
  window.sessionStorage.setItem('todo-sso.draft.new.title', title);
  const record = {
    path: '/todos/',
    body: { title, ...(listId && { listId }) },
    key,
    sub: 'sub-alice',
    page: 'an-earlier-page-load',
    typed: { title, description: '' },
    at: Date.now() - 1000,
    state: 'sending',
  };
  window.sessionStorage.setItem(ADDS, JSON.stringify([record]));
}

/** The first send reached the API, which stored the todo; its answer never reached the page. */
async function storedBeforeTheReload(title: string, key: string, listId?: string) {
  const response = await fetch(`${api.url}/todos/`, {
    method: 'POST',
    headers: {
      authorization: 'Bearer token-1',
      'content-type': 'application/json',
      'idempotency-key': `"${key}"`,
    },
    body: JSON.stringify({ title, ...(listId && { listId }) }),
  });
  expect(response.status).toBe(201);
  api.requests.length = 0;
}

async function openApp(): Promise<HTMLInputElement> {
  api.lists = [
    { id: OWN_DEFAULT, name: 'My todos', relation: 'owner', isDefault: true },
    { id: BOBS_LIST, name: 'Groceries', relation: 'editor', isDefault: false },
  ];
  storeSignedInUser(UNREACHABLE_ISSUER);
  renderRoot({ issuer: UNREACHABLE_ISSUER, apiUrl: api.url });
  return (await screen.findByLabelText('New todo')) as HTMLInputElement;
}

/** The todos screen alone, on every list the person can read (adding is allowed). */
async function openTodos(): Promise<HTMLInputElement> {
  renderWithApi(<TodosScreen />, api.url);
  await screen.findByText('Nothing to do yet');
  return screen.getByLabelText('New todo') as HTMLInputElement;
}

const posts = () => api.requests.filter((request) => request.method === 'POST');

describe('a new todo whose page went before the API answered', () => {
  test('stored by the API then: sent again with its key, the API replays it, one todo, the field empty', async () => {
    await storedBeforeTheReload('Water the ferns', 'key-ferns');
    leaveUnanswered('Water the ferns', 'key-ferns');
    const field = await openApp();
    expect((await screen.findByText(/before the page was reloaded/)).textContent).toBe(
      '“Water the ferns” was saved before the page was reloaded.',
    );
    expect(field.value).toBe('');
    expect(posts().map((post) => post.idempotencyKey)).toEqual(['"key-ferns"']);
    expect(api.todos.filter((todo) => todo.title === 'Water the ferns')).toHaveLength(1);
    expect(window.sessionStorage.getItem('todo-sso.draft.new.title')).toBeNull();
    expect(window.sessionStorage.getItem(ADDS)).toBeNull();
  });

  test('never reached the API: sent again with its key and stored now, once; the field empty', async () => {
    leaveUnanswered('Renew the passport', 'key-passport');
    // Answered after the list was fetched, as when the page loads faster than the API stores.
    api.delayNext((request) => request.method === 'POST', 300);
    const field = await openApp();
    expect((await screen.findByText(/when the page was reloaded/)).textContent).toBe(
      '“Renew the passport” had not reached the API when the page was reloaded: it was sent again and is saved now.',
    );
    expect(field.value).toBe('');
    expect(api.todos.map((todo) => todo.title)).toEqual(['Renew the passport']);
    expect(posts()[0]?.body).toEqual({ title: 'Renew the passport' });
    // The list, fetched before it was stored, shows it once it is.
    expect(await screen.findByRole('checkbox', { name: 'Renew the passport' })).toBeTruthy();
    expect(window.sessionStorage.getItem(ADDS)).toBeNull();
  });

  test('on a shared list where bob just added the same title, never stored: bob’s todo is not taken for it, it is stored now', async () => {
    api.seed(1, () => ({
      title: 'Buy milk',
      listId: BOBS_LIST,
      createdAt: new Date().toISOString(),
    }));
    const [bobs] = api.todos;
    leaveUnanswered('Buy milk', 'key-milk', BOBS_LIST);
    const field = await openApp();
    await screen.findByText(
      '“Buy milk” had not reached the API when the page was reloaded: it was sent again and is saved now.',
    );
    expect(field.value).toBe('');
    const milk = api.todos.filter((todo) => todo.title === 'Buy milk');
    expect(milk).toHaveLength(2);
    expect(milk.every((todo) => todo.listId === BOBS_LIST)).toBe(true);
    expect(api.todos.at(-1)).toBe(bobs);
  });

  test('on a shared list where bob added the same title, stored then: still two todos, not three', async () => {
    await storedBeforeTheReload('Buy bread', 'key-bread', BOBS_LIST);
    api.seed(1, () => ({ title: 'Buy bread', listId: BOBS_LIST }));
    leaveUnanswered('Buy bread', 'key-bread', BOBS_LIST);
    await openApp();
    await screen.findByText('“Buy bread” was saved before the page was reloaded.');
    expect(api.todos.filter((todo) => todo.title === 'Buy bread')).toHaveLength(2);
  });

  test('a send of this page load is under way, not left behind: it is not sent again', async () => {
    window.sessionStorage.setItem('todo-sso.draft-owner', 'sub-alice');
    window.sessionStorage.setItem('todo-sso.draft.new.title', 'Book the dentist');
    rememberAdd(
      { path: '/todos/', body: { title: 'Book the dentist' } },
      { title: 'Book the dentist', description: '' },
    );
    const field = await openTodos();
    expect(field.value).toBe('Book the dentist');
    expect(posts()).toEqual([]);
    expect(screen.queryByText(/before the page was reloaded/)).toBeNull();
  });

  test('two sends of the same text left behind are two todos (added twice on purpose), each sent with its own key', async () => {
    window.sessionStorage.setItem('todo-sso.draft-owner', 'sub-alice');
    const send = () =>
      rememberAdd(
        { path: '/todos/', body: { title: 'Buy eggs' } },
        { title: 'Buy eggs', description: '' },
      );
    const keys = [send(), send()];
    expect(keys[0]).not.toBe(keys[1]);
    const records = JSON.parse(window.sessionStorage.getItem(ADDS) ?? '[]') as object[];
    window.sessionStorage.setItem(
      ADDS,
      JSON.stringify(records.map((record) => ({ ...record, page: 'an-earlier-page-load' }))),
    );
    const errors = vi.spyOn(console, 'error');
    await openApp();
    await waitFor(() => expect(screen.getAllByText(/is saved now/)).toHaveLength(2));
    // Two messages of the same words, each its own (React tells them apart by the key).
    expect(errors.mock.calls.flat().join(' ')).not.toMatch(/same key/);
    errors.mockRestore();
    expect(api.todos.map((todo) => todo.title)).toEqual(['Buy eggs', 'Buy eggs']);
    expect(posts().map((post) => post.idempotencyKey)).toEqual(keys.map((key) => `"${key}"`));
  });
});

describe('adding, while the page stays', () => {
  test('every add goes with a fresh key, quoted (a Structured Field String)', async () => {
    const field = await openTodos();
    for (const title of ['One', 'Two']) {
      fireEvent.change(field, { target: { value: title } });
      fireEvent.click(screen.getByRole('button', { name: 'Add' }));
      await screen.findByText(title);
    }
    await waitFor(() => expect(posts()).toHaveLength(2));
    const keys = posts().map((post) => post.idempotencyKey?.replace(/^"(.*)"$/, '$1'));
    expect(keys[0]).toMatch(UUID);
    expect(keys[1]).toMatch(UUID);
    expect(keys[0]).not.toBe(keys[1]);
    expect(posts().every((post) => post.idempotencyKey?.startsWith('"'))).toBe(true);
    await waitFor(() => expect(window.sessionStorage.getItem(ADDS)).toBeNull());
  });

  test('without `crypto.randomUUID` (a page not in a secure context) keys are UUIDs from getRandomValues', () => {
    vi.stubGlobal('crypto', { getRandomValues: crypto.getRandomValues.bind(crypto) });
    try {
      const keys = [newIdempotencyKey(), newIdempotencyKey()];
      expect(keys[0]).toMatch(UUID);
      expect(keys[1]).toMatch(UUID);
      expect(keys[0]).not.toBe(keys[1]);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  test('a 503 is retried with the same request and key: one todo, no failure shown', async () => {
    const field = await openTodos();
    fakeRetryClock();
    api.failNext((request) => request.method === 'POST', 503);
    fireEvent.change(field, { target: { value: 'Call mum' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    await moveClockUntil(() => api.todos.length > 0);
    expect(api.todos.map((todo) => todo.title)).toEqual(['Call mum']);
    const [first, retry] = posts();
    expect(retry?.idempotencyKey).toBe(first?.idempotencyKey);
    expect(retry?.body).toEqual(first?.body);
    expect(field.value).toBe('');
    expect(screen.queryByText(/was not saved/)).toBeNull();
    expect(screen.getByRole('checkbox', { name: 'Call mum' })).toBeTruthy();
  });

  test('two adds on their way, the first refused once the second was sent: the first is still reported and its text comes back', async () => {
    const field = await openTodos();
    // Refused after a while: the second add is sent meanwhile (which arrives first is no matter).
    api.failNext(
      (request) =>
        request.method === 'POST' && (request.body as { title?: string })?.title === 'Feed the cat',
      400,
      400,
    );
    fireEvent.change(field, { target: { value: 'Feed the cat' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    fireEvent.change(field, { target: { value: 'Water the plants' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    await screen.findByText(/Your change was not saved/, undefined, { timeout: 4000 });
    await waitFor(() => expect(api.todos.map((todo) => todo.title)).toEqual(['Water the plants']));
    expect(field.value).toBe('Feed the cat');
    expect(window.sessionStorage.getItem('todo-sso.draft.new.title')).toBe('Feed the cat');
  });

  test('the next todo typed while an add is retried: its failure keeps the new text and names the one not added', async () => {
    const field = await openTodos();
    for (let i = 0; i < 3; i++) api.failNext((request) => request.method === 'POST', 503);
    fakeRetryClock();
    fireEvent.change(field, { target: { value: 'Pay the rent' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    fireEvent.change(field, { target: { value: 'Call the plumber' } });
    await moveClockUntil(() => screen.queryByText(/Your change was not saved/) !== null);
    expect(field.value).toBe('Call the plumber');
    expect(window.sessionStorage.getItem('todo-sso.draft.new.title')).toBe('Call the plumber');
    expect(screen.getByText(/“Pay the rent” was not added/).textContent).toBe(
      '“Pay the rent” was not added, and the field keeps what you typed since. Add it again if it is still needed.',
    );
  }, 15_000);

  test('notes typed for the next todo while an add is retried are kept by its failure too', async () => {
    const field = await openTodos();
    for (let i = 0; i < 3; i++) api.failNext((request) => request.method === 'POST', 503);
    fakeRetryClock();
    fireEvent.change(field, { target: { value: 'Pay the rent' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    fireEvent.click(screen.getByRole('button', { name: '+ Add notes' }));
    fireEvent.change(screen.getByLabelText(/Notes/), { target: { value: 'Ask about the leak' } });
    await moveClockUntil(() => screen.queryByText(/Your change was not saved/) !== null);
    expect((screen.getByLabelText(/Notes/) as HTMLTextAreaElement).value).toBe(
      'Ask about the leak',
    );
    expect(field.value).toBe('');
    expect(screen.getByText(/“Pay the rent” was not added/)).toBeTruthy();
  });

  test('no answer even after the retries: the text is back, and adding it again reuses the key', async () => {
    const field = await openTodos();
    for (let i = 0; i < 3; i++) api.failNext((request) => request.method === 'POST', 503);
    fakeRetryClock();
    fireEvent.change(field, { target: { value: 'Pay the rent' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    await moveClockUntil(() => screen.queryByText(/Your change was not saved/) !== null);
    expect(field.value).toBe('Pay the rent');
    expect(screen.queryByRole('checkbox', { name: 'Pay the rent' })).toBeNull();
    expect(posts()).toHaveLength(3);
    fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    await waitFor(() => expect(api.todos.map((todo) => todo.title)).toEqual(['Pay the rent']));
    expect(new Set(posts().map((post) => post.idempotencyKey)).size).toBe(1);
  }, 15_000);
});
