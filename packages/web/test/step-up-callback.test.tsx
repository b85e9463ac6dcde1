import { screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, test } from 'vitest';
import { dismissStepUp, stepUpStarting } from '../src/auth/step-up.js';
import { freshPageEachTest } from './support/fresh-page.js';
import {
  renderRoot,
  storeSignedInUser,
  storeSignInState,
  UNREACHABLE_ISSUER,
} from './support/signed-in-root.js';

const api = freshPageEachTest();

describe('a step-up the identity provider ends with an error', () => {
  afterEach(() => dismissStepUp());

  test('goes back to the screen it left from, signed in, and explains with the provider’s words', async () => {
    storeSignedInUser(UNREACHABLE_ISSUER, 'token-1');
    stepUpStarting({ returnTo: '/admin/audit', challenge: { acrValues: ['mfa'], maxAge: 900 } });
    const state = await storeSignInState(UNREACHABLE_ISSUER, '/admin/audit');
    window.history.replaceState(
      null,
      '',
      `/callback?error=unmet_authentication_requirements&error_description=No+authenticator+configured&state=${state}`,
    );
    renderRoot({ issuer: UNREACHABLE_ISSUER, apiUrl: api.url });

    expect(
      await screen.findByRole('heading', { name: 'Your sign-in is still not strong enough' }),
    ).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toContain('No authenticator configured');
    expect(window.location.pathname).toBe('/admin/audit');
    expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Sign in' })).toBeNull();
    // Still signed in with the session from before: the header asks the API who this is.
    await waitFor(() => expect(api.requests.some((r) => r.path === '/me')).toBe(true));
    expect(api.requests.find((r) => r.path === '/me')?.authorization).toBe('Bearer token-1');
  });

  test('an ordinary sign-in that fails still shows the sign-in page', async () => {
    storeSignedInUser(UNREACHABLE_ISSUER, 'token-1');
    const state = await storeSignInState(UNREACHABLE_ISSUER, '/admin/audit');
    window.history.replaceState(null, '', `/callback?error=access_denied&state=${state}`);
    renderRoot({ issuer: UNREACHABLE_ISSUER, apiUrl: api.url });

    expect((await screen.findByRole('alert')).textContent).toContain('access_denied');
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeTruthy();
  });
});
