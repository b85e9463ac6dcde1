import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test } from 'vitest';
import { freshPageEachTest } from './support/fresh-page.js';
import {
  renderRoot,
  storeSignedInUser,
  storeSignInState,
  UNREACHABLE_ISSUER,
} from './support/signed-in-root.js';

const api = freshPageEachTest();

describe('sign-in callback', () => {
  test('an error from the identity provider (access_denied) is shown, and state leaves the address bar', async () => {
    const state = await storeSignInState(UNREACHABLE_ISSUER, '/reports');
    window.history.replaceState(
      null,
      '',
      `/callback?error=access_denied&error_description=User+refused+consent&state=${state}`,
    );
    renderRoot({ issuer: UNREACHABLE_ISSUER, apiUrl: api.url });

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('User refused consent');
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeTruthy();
    // Dropped by an effect after the error is shown, so possibly a moment after the alert.
    await waitFor(() => expect(window.location.search).toBe(''));
    expect(api.requests).toEqual([]);
  });

  test('a code with an unknown state is refused, and the code leaves the address bar', async () => {
    window.history.replaceState(null, '', '/callback?code=stolen-code&state=not-ours');
    renderRoot({ issuer: UNREACHABLE_ISSUER, apiUrl: api.url });

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/Sign-in did not complete/);
    await waitFor(() => expect(window.location.href).not.toContain('stolen-code'));
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeTruthy();
  });
});

describe('a sign-in answer replayed after it was used (Back, a copied address)', () => {
  test('in the tab that holds the session: the session stands, nothing is redeemed, no error', async () => {
    storeSignedInUser(UNREACHABLE_ISSUER);
    // Its state was used up when the code was redeemed the first time.
    window.history.replaceState(null, '', '/callback?code=spent-code&state=used-up');
    renderRoot({ issuer: UNREACHABLE_ISSUER, apiUrl: api.url });

    await waitFor(() => expect(screen.getByTestId('user-name').textContent).toBe('alice'));
    expect(screen.queryByText(/Sign-in did not complete/)).toBeNull();
    expect(window.location.pathname + window.location.search).toBe('/');
  });

  test('in a tab without a session: says the answer was already used, in words', async () => {
    window.history.replaceState(null, '', '/callback?code=spent-code&state=used-up');
    renderRoot({ issuer: UNREACHABLE_ISSUER, apiUrl: api.url });

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe(
      'Sign-in did not complete: this sign-in answer was already used, or belongs to a sign-in ' +
        'started in another tab or browser. Sign in again.',
    );
    await waitFor(() => expect(window.location.href).not.toContain('spent-code'));
  });
});

describe('sign-in with the identity provider down', () => {
  test('says the identity provider cannot be reached and lets the user try again', async () => {
    window.history.replaceState(null, '', '/reports');
    renderRoot({ issuer: UNREACHABLE_ISSUER, apiUrl: api.url });
    await userEvent.click(await screen.findByRole('button', { name: 'Sign in' }));

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe(
      'Cannot reach your identity provider to sign you in. Check your connection and try again.',
    );
    const retry = screen.getByRole('button', { name: 'Sign in' }) as HTMLButtonElement;
    expect(retry.disabled).toBe(false);
    expect(retry.getAttribute('aria-disabled')).toBeNull();
    // The pressed button was busy, never disabled: the keyboard focus is still on it.
    expect(document.activeElement).toBe(retry);
  });

  test('a stored session that cannot be resumed says why instead of a bare sign-in page', async () => {
    storeSignedInUser(UNREACHABLE_ISSUER, 'token-1', -60); // expired while the tab slept
    renderRoot({ issuer: UNREACHABLE_ISSUER, apiUrl: api.url });

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(
      /could not be resumed: todo-sso cannot reach your identity provider/i,
    );
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeTruthy();
  });
});
