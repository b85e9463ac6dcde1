import { screen } from '@testing-library/react';
import type { UserManager } from 'oidc-client-ts';
import { describe, expect, test } from 'vitest';
import { createApiClient } from '../src/api/client.js';
import { getMe } from '../src/api/endpoints.js';
import { createSessionPort } from '../src/auth/session-port.js';
import { freshPageEachTest } from './support/fresh-page.js';
import { renderRoot, UNREACHABLE_ISSUER } from './support/signed-in-root.js';

const api = freshPageEachTest();

/**
 * A UserManager whose refresh always fails and whose sign-in redirect only counts: each call of
 * `page()` is a fresh page load after the round trip through the identity provider, holding a
 * new token the test chooses.
 */
function identityProvider() {
  const calls = { signinRedirect: 0, removeUser: 0 };
  let token = 'token-1';
  const userManager = {
    getUser: async () => ({ access_token: token, expires_in: 300 }),
    signinSilent: async () => {
      throw new Error('invalid_grant');
    },
    signinRedirect: async () => {
      calls.signinRedirect++;
    },
    removeUser: async () => {
      calls.removeUser++;
    },
  } as unknown as UserManager;
  return {
    calls,
    page(nextToken: string) {
      token = nextToken;
      const session = createSessionPort(userManager, () => '/');
      return createApiClient(api.url, session);
    },
  };
}

describe('automatic sign-in after a refused session', () => {
  test('a fresh sign-in whose token the API refuses too is not retried in a redirect loop', async () => {
    api.validTokens = new Set();
    const idp = identityProvider();

    await getMe(idp.page('token-1')).catch(() => undefined);
    expect(idp.calls.signinRedirect).toBe(1);

    // Back from the identity provider with a new token, which the API refuses as well.
    await getMe(idp.page('token-2')).catch(() => undefined);
    expect(idp.calls.signinRedirect).toBe(1);
    expect(idp.calls.removeUser).toBe(1);
  });

  test('once the API has accepted the new session, a later refusal signs in again', async () => {
    const idp = identityProvider();
    api.validTokens = new Set();
    await getMe(idp.page('token-1')).catch(() => undefined);
    api.validTokens = new Set(['token-2']);
    await getMe(idp.page('token-2'));

    api.validTokens = new Set();
    const later = idp.page('token-2');
    await getMe(later).catch(() => undefined);
    expect(idp.calls.signinRedirect).toBe(2);
    expect(idp.calls.removeUser).toBe(0);
  });

  test('the sign-in page then says the API refused the session', async () => {
    api.validTokens = new Set();
    const idp = identityProvider();
    await getMe(idp.page('token-1')).catch(() => undefined);
    await getMe(idp.page('token-2')).catch(() => undefined);

    renderRoot({ issuer: UNREACHABLE_ISSUER, apiUrl: api.url });

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/the todo API refused/i);
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeTruthy();
  });
});
