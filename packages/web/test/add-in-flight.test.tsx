import { screen } from '@testing-library/react';
import { describe, expect, test } from 'vitest';
import type { Todo } from '../src/api/types.js';
import { forgetSending, rememberSending } from '../src/todos/add-in-flight.js';
import { freshPageEachTest } from './support/fresh-page.js';
import { renderRoot, storeSignedInUser, UNREACHABLE_ISSUER } from './support/signed-in-root.js';

const api = freshPageEachTest();

const SENT_AT = Date.parse('2026-03-01T12:00:00Z');

/** The person's own default list, and bob's default list, which bob shares with them. */
const OWN_DEFAULT = '00000000-0000-4000-8000-0000000000a1';
const BOBS_DEFAULT = '00000000-0000-4000-8000-0000000000b0';

/**
 * What an earlier page load of this tab left when it went while adding `title`: the draft of
 * the field, and the record of the send (as `rememberSending` writes it, from another page).
 */
function leaveUnanswered(title: string, known: string[] = []) {
  window.sessionStorage.setItem('todo-sso.draft-owner', 'sub-alice');
  window.sessionStorage.setItem('todo-sso.draft.new.title', title);
  window.sessionStorage.setItem(
    'todo-sso.draft.new.sending',
    JSON.stringify({
      nonce: 'n1',
      page: 'an-earlier-page-load',
      title,
      description: null,
      typed: title,
      listId: undefined,
      at: SENT_AT,
      known,
    }),
  );
}

async function openApp(): Promise<HTMLInputElement> {
  // As the API orders them, but for the test's sake bob's shared default list first: both are
  // someone's default list, only one is the person's own.
  api.lists = [
    { id: BOBS_DEFAULT, name: 'My todos', relation: 'editor', isDefault: true },
    { id: OWN_DEFAULT, name: 'My todos', relation: 'owner', isDefault: true },
  ];
  storeSignedInUser(UNREACHABLE_ISSUER);
  renderRoot({ issuer: UNREACHABLE_ISSUER, apiUrl: api.url });
  return (await screen.findByLabelText('New todo')) as HTMLInputElement;
}

describe('a new todo whose page went before the API answered', () => {
  test('stored by the API: the field is emptied and the form says it was saved', async () => {
    api.seed(1, () => ({ title: 'Water the ferns', createdAt: '2026-03-01T12:00:01Z' }));
    leaveUnanswered('Water the ferns');
    const field = await openApp();
    expect((await screen.findByText(/was saved before the page was reloaded/)).textContent).toBe(
      '“Water the ferns” was saved before the page was reloaded.',
    );
    expect(field.value).toBe('');
    expect(window.sessionStorage.getItem('todo-sso.draft.new.title')).toBeNull();
    expect(window.sessionStorage.getItem('todo-sso.draft.new.sending')).toBeNull();
  });

  test('only an older todo of the same title (known then, or long before): the text stays', async () => {
    api.seed(2, (i) => ({
      title: 'Renew the passport',
      createdAt: i === 0 ? '2026-03-01T12:00:02Z' : '2026-02-01T00:00:00Z',
    }));
    const [knownThen] = api.todos;
    leaveUnanswered('Renew the passport', [knownThen?.id ?? '']);
    const field = await openApp();
    expect(
      (await screen.findByText(/was not saved before the page was reloaded/)).textContent,
    ).toBe(
      '“Renew the passport” was not saved before the page was reloaded: it is back in the field.',
    );
    expect(field.value).toBe('Renew the passport');
  });

  test('a send of this page load is under way, not left behind: nothing is looked up', async () => {
    window.sessionStorage.setItem('todo-sso.draft-owner', 'sub-alice');
    window.sessionStorage.setItem('todo-sso.draft.new.title', 'Book the dentist');
    rememberSending({
      title: 'Book the dentist',
      description: null,
      typed: 'Book the dentist',
      listId: undefined,
      known: [],
    });
    const field = await openApp();
    await screen.findByText('Nothing to do yet');
    expect(field.value).toBe('Book the dentist');
    expect(screen.queryByText(/before the page was reloaded/)).toBeNull();
  });

  test('added to the default list and never stored: a same-titled todo of a list shared with the person, new since the send, is not it', async () => {
    api.seed(1, () => ({
      title: 'Buy milk',
      listId: BOBS_DEFAULT,
      createdAt: '2026-03-01T12:00:01Z',
    }));
    leaveUnanswered('Buy milk');
    const field = await openApp();
    expect((await screen.findByText(/before the page was reloaded/)).textContent).toBe(
      '“Buy milk” was not saved before the page was reloaded: it is back in the field.',
    );
    expect(field.value).toBe('Buy milk');
  });

  test('added to the default list and stored: found in the person’s own default list', async () => {
    api.seed(1, () => ({
      title: 'Buy bread',
      listId: OWN_DEFAULT,
      createdAt: '2026-03-01T12:00:01Z',
    }));
    leaveUnanswered('Buy bread');
    const field = await openApp();
    expect((await screen.findByText(/before the page was reloaded/)).textContent).toBe(
      '“Buy bread” was saved before the page was reloaded.',
    );
    expect(field.value).toBe('');
  });

  describe('the same todo added twice on purpose, the first still unanswered when the second went', () => {
    /** Sends `title` twice from this page load, then makes it an earlier one (the reload). */
    function sendTwiceThenReload(title: string, firstAnswer?: (first: string) => void) {
      window.sessionStorage.setItem('todo-sso.draft-owner', 'sub-alice');
      window.sessionStorage.setItem('todo-sso.draft.new.title', title);
      const send = { title, description: null, typed: title, listId: undefined, known: [] };
      const first = rememberSending(send);
      rememberSending(send);
      firstAnswer?.(first);
      const record = JSON.parse(window.sessionStorage.getItem('todo-sso.draft.new.sending') ?? '');
      window.sessionStorage.setItem(
        'todo-sso.draft.new.sending',
        JSON.stringify({ ...record, page: 'an-earlier-page-load' }),
      );
    }
    const justNow = () => ({ listId: OWN_DEFAULT, createdAt: new Date().toISOString() });

    test('only one of them stored: the second is not taken for saved, its text stays', async () => {
      api.seed(1, () => ({ title: 'Buy eggs', ...justNow() }));
      sendTwiceThenReload('Buy eggs');
      const field = await openApp();
      expect((await screen.findByText(/before the page was reloaded/)).textContent).toBe(
        '“Buy eggs” was not saved before the page was reloaded: it is back in the field.',
      );
      expect(field.value).toBe('Buy eggs');
    });

    test('the first answered before the reload, the second not stored: the text stays', async () => {
      api.seed(1, () => ({ title: 'Buy eggs', ...justNow() }));
      const [firstStored] = api.todos;
      sendTwiceThenReload('Buy eggs', (first) =>
        forgetSending(first, firstStored as unknown as Todo),
      );
      const field = await openApp();
      expect((await screen.findByText(/before the page was reloaded/)).textContent).toBe(
        '“Buy eggs” was not saved before the page was reloaded: it is back in the field.',
      );
      expect(field.value).toBe('Buy eggs');
    });

    test('both stored: saved, the field is emptied', async () => {
      api.seed(2, () => ({ title: 'Buy eggs', ...justNow() }));
      sendTwiceThenReload('Buy eggs');
      const field = await openApp();
      expect((await screen.findByText(/before the page was reloaded/)).textContent).toBe(
        '“Buy eggs” was saved before the page was reloaded.',
      );
      expect(field.value).toBe('');
    });
  });
});
