import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, test } from 'vitest';
import { IdpUsers } from '../src/admin/IdpUsers.js';
import { freshPageEachTest } from './support/fresh-page.js';
import { idpPerson } from './support/idp-user-routes.js';
import { renderWithApi } from './support/render.js';
import type { RecordedRequest } from './support/todo-server.js';

const api = freshPageEachTest();

beforeEach(() => {
  Object.assign(api.identity, { sub: 'sub-admin', username: 'admin', roles: ['admin'] });
  api.idp.pageSize = 3;
  api.idp.people = ['ann', 'bob', 'cat', 'dan', 'eve'].map((name) => idpPerson(name));
});

const nextPage = (r: RecordedRequest) => r.path === '/admin/idp/users' && r.query.has('cursor');
/** The usernames in the table, in order. */
const shown = () =>
  within(screen.getByRole('table', { name: 'People at the identity provider' }))
    .getAllByRole('rowheader')
    .map((cell) => cell.querySelector('.cell-main')?.textContent);

async function firstPage() {
  renderWithApi(<IdpUsers />, api.url);
  await screen.findByText('cat');
  expect(shown()).toEqual(['ann', 'bob', 'cat']);
}

describe('Load more on the people at the identity provider', () => {
  test.each([
    ['the identity provider is unavailable (503)', 503, /Try again in a moment\./],
    ['the network is gone', 0, /Cannot reach the server\./],
  ])(
    'when %s says so, keeps the people shown and lets them try again',
    async (_, status, words) => {
      await firstPage();
      api.failNext(nextPage, status);
      fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
      const alert = await screen.findByRole('alert');
      expect(alert.textContent).toMatch(/^Couldn't load more people\. /);
      expect(alert.textContent).toMatch(words);
      expect(shown()).toEqual(['ann', 'bob', 'cat']);

      fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
      await screen.findByText('eve');
      expect(shown()).toEqual(['ann', 'bob', 'cat', 'dan', 'eve']);
      expect(screen.queryByRole('alert')).toBeNull();
      expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
    },
  );

  test('when the session has ended, says so and keeps the people shown while sign-in starts', async () => {
    renderWithApi(<IdpUsers />, api.url);
    await screen.findByText('cat');
    // The API refuses the token from now on (401), and renewing it gets no new one.
    api.validTokens.clear();
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe(
      "Couldn't load more people. Your session has ended. Signing you in again…",
    );
    expect(shown()).toEqual(['ann', 'bob', 'cat']);
    expect(screen.getByRole('button', { name: 'Load more' })).toBeTruthy();
  });

  test('shows a person once when the next page repeats someone already shown', async () => {
    await firstPage();
    api.idp.people.unshift(idpPerson('aaron'));
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await screen.findByText('eve');
    expect(shown()).toEqual(['ann', 'bob', 'cat', 'dan', 'eve']);
  });
});

describe('a username ending in a right-to-left override (U+202E), written at the provider', () => {
  test('is shown isolated, and the controls and questions named after it carry no override', async () => {
    api.idp.people = [idpPerson('bob\u202e')];
    renderWithApi(<IdpUsers />, api.url);
    const shown = await screen.findByText('bob\u202e');
    expect(shown.closest('bdi, [dir="auto"]')).not.toBeNull();
    for (const name of ['Disable bob', 'End sessions of bob', 'Save'])
      expect(screen.getByRole('button', { name })).toBeTruthy();
    expect(screen.getByRole('textbox', { name: 'Department of bob' })).toBeTruthy();
    expect(screen.getByRole('checkbox', { name: 'admin for bob' })).toBeTruthy();
    expect(screen.getByRole('group', { name: 'Roles of bob' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Disable bob' }));
    const question = await screen.findByText(/^Disable bob\? /);
    expect(question.textContent).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
  });
});

describe('disabling a person the provider deleted meanwhile', () => {
  test('says that they are gone and their tokens are refused, not that they are disabled', async () => {
    await firstPage();
    // Deleted in the provider's console after the list was read; the API had seen them.
    api.idp.people = api.idp.people.filter((p) => p.username !== 'bob');
    api.idp.deleted.add('id-bob');
    fireEvent.click(screen.getByRole('button', { name: 'Disable bob' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Confirm' }));
    const outcome = await screen.findByText(/no longer has this person/);
    expect(outcome.textContent).toBe(
      'http://idp no longer has this person (deleted there), so there was no one to disable; the access tokens it issued them before are refused here.',
    );
    expect(screen.queryByText('bob is disabled.')).toBeNull();
  });

  test('says that a person still there is disabled', async () => {
    await firstPage();
    fireEvent.click(screen.getByRole('button', { name: 'Disable bob' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Confirm' }));
    expect((await screen.findByText('bob is disabled.')).getAttribute('role')).toBe('status');
  });
});

describe('a change to a person the provider deleted right after it was made', () => {
  test('says the change was made and that they are gone, not that they moved', async () => {
    await firstPage();
    api.idp.deletedAfterChange.add('id-bob');
    const department = screen.getByRole('textbox', { name: 'Department of bob' });
    fireEvent.change(department, { target: { value: 'Sales' } });
    const form = department.closest('form') as HTMLFormElement;
    fireEvent.click(within(form).getByRole('button', { name: 'Save' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Confirm' }));
    const outcome = await screen.findByText(/no longer has this person/);
    expect(outcome.textContent).toBe(
      'The change was made, but http://idp no longer has this person (deleted there since).',
    );
    expect(screen.queryByText(/bob is in Sales/)).toBeNull();
  });
});

describe('granting and removing a role', () => {
  test('says a removal holds now (their tokens refused), and a grant from the next token', async () => {
    await firstPage();
    fireEvent.click(screen.getByRole('checkbox', { name: 'admin for bob' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Confirm' }));
    expect(
      (await screen.findByText('bob now has admin (from their next token).')).getAttribute('role'),
    ).toBe('status');
    // The list read again after the change shows the role held before it is removed.
    const admin = () => screen.getByRole('checkbox', { name: 'admin for bob' }) as HTMLInputElement;
    await waitFor(() => expect(admin().checked).toBe(true));
    fireEvent.click(admin());
    fireEvent.click(await screen.findByRole('button', { name: 'Confirm' }));
    const removed = await screen.findByText(/^bob no longer has admin/);
    expect(removed.textContent).toBe(
      'bob no longer has admin, from now on: the tokens they hold are refused, and their app renews them without it.',
    );
  }, 20_000);
});
