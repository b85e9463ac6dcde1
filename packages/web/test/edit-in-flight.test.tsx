import { screen, within } from '@testing-library/react';
import { describe, expect, test } from 'vitest';
import { freshPageEachTest } from './support/fresh-page.js';
import { renderRoot, storeSignedInUser, UNREACHABLE_ISSUER } from './support/signed-in-root.js';

const api = freshPageEachTest();

const OWN_DEFAULT = '00000000-0000-4000-8000-0000000000a1';
const TYPED = 'Water the ferns on Sunday ';
const SENT = 'Water the ferns on Sunday';

/**
 * One todo, as the API has it now (`stored`), and what an earlier page load of this tab left
 * when it went while an edit of it from version 2 was on its way: the edit's drafts (the form's
 * text) and the record of the send.
 */
function leaveUnansweredEdit(stored: { title: string; version: number }): string {
  api.seed(1, () => ({ ...stored, listId: OWN_DEFAULT }));
  const id = api.todos[0]?.id ?? '';
  window.sessionStorage.setItem('todo-sso.draft-owner', 'sub-alice');
  window.sessionStorage.setItem(`todo-sso.draft.edit.${id}.title`, TYPED);
  window.sessionStorage.setItem(
    `todo-sso.draft.edit.${id}.sending`,
    JSON.stringify({
      nonce: 'n1',
      page: 'an-earlier-page-load',
      title: SENT,
      description: null,
      base: 2,
    }),
  );
  return id;
}

function openApp() {
  api.lists = [{ id: OWN_DEFAULT, name: 'My todos', relation: 'owner', isDefault: true }];
  storeSignedInUser(UNREACHABLE_ISSUER);
  renderRoot({ issuer: UNREACHABLE_ISSUER, apiUrl: api.url });
}

const patches = () => api.requests.filter((request) => request.method === 'PATCH');

describe('an edit whose page went before the API answered', () => {
  test('stored by the API (its text, a later version): the form closes, its drafts go, and the todo says it was saved', async () => {
    const id = leaveUnansweredEdit({ title: SENT, version: 3 });
    openApp();
    expect((await screen.findByText(/before the page was reloaded/)).textContent).toBe(
      `Your edit of “${SENT}” was saved before the page was reloaded.`,
    );
    expect(screen.getByRole('checkbox', { name: SENT })).toBeTruthy();
    expect(screen.queryByLabelText('Title')).toBeNull();
    expect(window.sessionStorage.getItem(`todo-sso.draft.edit.${id}.title`)).toBeNull();
    expect(window.sessionStorage.getItem(`todo-sso.draft.edit.${id}.sending`)).toBeNull();
    expect(patches()).toHaveLength(0);
  });

  test('never stored (the version it was based on): the form stays open with the text, and nothing is sent', async () => {
    const id = leaveUnansweredEdit({ title: 'Water the ferns', version: 2 });
    openApp();
    expect((await screen.findByText(/before the page was reloaded/)).textContent).toBe(
      `Your edit of “${SENT}” was not saved before the page was reloaded: it is back in the form.`,
    );
    expect((screen.getByLabelText('Title') as HTMLInputElement).value).toBe(TYPED);
    expect(window.sessionStorage.getItem(`todo-sso.draft.edit.${id}.title`)).toBe(TYPED);
    expect(window.sessionStorage.getItem(`todo-sso.draft.edit.${id}.sending`)).toBeNull();
    expect(patches()).toHaveLength(0);
  });

  test('someone else changed the todo meanwhile (a later version, other text): not taken for this edit, the form and the text stay with the conflict', async () => {
    leaveUnansweredEdit({ title: 'Water the cactus', version: 3 });
    openApp();
    const conflict = await screen.findByRole('alert', { name: 'Changed elsewhere' });
    expect(
      within(screen.getByTestId('conflict-theirs')).getByText('Water the cactus'),
    ).toBeTruthy();
    expect(within(screen.getByTestId('conflict-mine')).getByText(SENT)).toBeTruthy();
    expect(conflict).toBeTruthy();
    expect((screen.getByLabelText('Title') as HTMLInputElement).value).toBe(TYPED);
    expect(screen.queryByText(/was saved before the page was reloaded/)).toBeNull();
    expect(patches()).toHaveLength(0);
  });
});
