import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test } from 'vitest';
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
});
