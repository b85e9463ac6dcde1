import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test } from 'vitest';
import { newSignOutState, takeSignOutReturn } from '../src/auth/sign-out-state.js';
import { freshPageEachTest } from './support/fresh-page.js';
import {
  renderRoot,
  storeSignedInUser,
  UNREACHABLE_ISSUER,
  userStorageKey,
} from './support/signed-in-root.js';

const api = freshPageEachTest();

describe('sign-out', () => {
  test('with the identity provider unreachable, signs out locally and says the IdP session may remain', async () => {
    storeSignedInUser(UNREACHABLE_ISSUER);
    renderRoot({ issuer: UNREACHABLE_ISSUER, apiUrl: api.url });
    await screen.findByText('Your todos');

    await userEvent.click(screen.getByRole('button', { name: 'Sign out' }));

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/could not end your session at your identity provider/i);
    expect(alert.textContent).toMatch(/may still be signed in/i);
    expect(screen.queryByText(/Sign-in did not complete/)).toBeNull();
    expect(screen.queryByText(/ended here and at your identity provider/)).toBeNull();
    expect(window.location.pathname).toBe('/signed-out');
    expect(window.sessionStorage.getItem(userStorageKey(UNREACHABLE_ISSUER))).toBeNull();
    expect(screen.getByRole('button', { name: 'Sign in again' })).toBeTruthy();
  });

  test('the provider’s return with this tab’s sign-out state says the provider session ended; another state does not', async () => {
    const state = newSignOutState();
    window.history.replaceState(null, '', `/signed-out?state=${state}`);
    expect(takeSignOutReturn()).toBe(true);
    expect(window.location.pathname + window.location.search).toBe('/signed-out');
    const view = renderRoot({ issuer: UNREACHABLE_ISSUER, apiUrl: api.url });
    expect(await screen.findByText(/ended here and at your identity provider/)).toBeTruthy();
    view.unmount();

    // Used up: the same state again, or one this tab never sent.
    for (const returned of [state, 'made-up']) {
      window.history.replaceState(null, '', `/signed-out?state=${returned}`);
      expect(takeSignOutReturn()).toBe(false);
      expect(window.location.search).toBe('');
    }
    renderRoot({ issuer: UNREACHABLE_ISSUER, apiUrl: api.url });
    expect(await screen.findByText('You are signed out of todo-sso in this tab.')).toBeTruthy();
    expect(screen.queryByText(/ended here and at your identity provider/)).toBeNull();
  });

  test('the provider’s return loses only its state: other query parameters and the fragment stay', () => {
    const state = newSignOutState();
    window.history.replaceState(null, '', `/signed-out?lang=de&state=${state}&from=menu#section-2`);
    expect(takeSignOutReturn()).toBe(true);
    expect(window.location.pathname + window.location.search + window.location.hash).toBe(
      '/signed-out?lang=de&from=menu#section-2',
    );
    window.history.replaceState(null, '', '/signed-out?state=made-up#only-the-fragment');
    expect(takeSignOutReturn()).toBe(false);
    expect(window.location.pathname + window.location.search + window.location.hash).toBe(
      '/signed-out#only-the-fragment',
    );
  });
});
