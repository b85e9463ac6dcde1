import { screen } from '@testing-library/react';
import { describe, expect, test } from 'vitest';
import { freshPageEachTest } from './support/fresh-page.js';
import { renderRoot, storeSignedInUser, UNREACHABLE_ISSUER } from './support/signed-in-root.js';

const api = freshPageEachTest();

const OWN_DEFAULT = '00000000-0000-4000-8000-0000000000a1';
/** The list the todo went to: the person's own, not their default one. */
const GROCERIES = '00000000-0000-4000-8000-0000000000a2';
const SENDING = 'todo-sso.draft.new.sending';

/** What an earlier page load left when it went while adding `title` to the groceries list. */
function leaveUnanswered(title: string) {
  window.sessionStorage.setItem('todo-sso.draft-owner', 'sub-alice');
  window.sessionStorage.setItem('todo-sso.draft.new.title', title);
  window.sessionStorage.setItem(
    SENDING,
    JSON.stringify({
      nonce: 'n1',
      page: 'an-earlier-page-load',
      title,
      description: null,
      typed: title,
      listId: GROCERIES,
      at: Date.now(),
      known: [],
    }),
  );
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

const groceriesTodos = (request: { method: string; path: string }) =>
  request.method === 'GET' && request.path === `/lists/${GROCERIES}/todos/`;

describe('a new todo left unanswered by an earlier page, when looking for it fails', () => {
  test('its list is gone (404): the record goes, the text stays, and the form says why', async () => {
    api.failNext(groceriesTodos, 404);
    leaveUnanswered('Buy oat milk');
    const field = await openApp();
    expect((await screen.findByText(/before the page was reloaded/)).textContent).toBe(
      '“Buy oat milk” was not saved before the page was reloaded: its list no longer exists. The text is back in the field.',
    );
    expect(field.value).toBe('Buy oat milk');
    expect(window.sessionStorage.getItem(SENDING)).toBeNull();
  });

  test('the API is down (503): the record and the text stay, and the form says it could not check yet', async () => {
    api.failNext(groceriesTodos, 503);
    leaveUnanswered('Buy rye bread');
    const field = await openApp();
    expect((await screen.findByText(/Could not check yet/)).textContent).toBe(
      'Could not check yet whether “Buy rye bread” was saved before the page was reloaded: the text stays in the field. Check the list before adding it again.',
    );
    expect(field.value).toBe('Buy rye bread');
    expect(JSON.parse(window.sessionStorage.getItem(SENDING) ?? '{}').nonce).toBe('n1');
  });
});
