import type { UserManager } from 'oidc-client-ts';
import { beforeEach, describe, expect, test } from 'vitest';
import { createApiClient } from '../src/api/client.js';
import { getMe } from '../src/api/endpoints.js';
import { ApiError } from '../src/api/errors.js';
import { createSessionPort } from '../src/auth/session-port.js';
import { freshPageEachTest } from './support/fresh-page.js';

const api = freshPageEachTest();
beforeEach(() => {
  api.validTokens = new Set(); // the access token has expired
});

/** A UserManager whose refresh fails with `error`, counting sign-in redirects. */
function userManagerFailingWith(error: unknown) {
  const calls = { signinRedirect: 0 };
  const userManager = {
    getUser: async () => ({ access_token: 'token-1', expires_in: 300 }),
    signinSilent: async () => {
      throw error;
    },
    signinRedirect: async () => {
      calls.signinRedirect++;
    },
    removeUser: async () => {},
  } as unknown as UserManager;
  return { calls, userManager };
}

describe('renewal while the identity provider is down', () => {
  test('a 401 whose renewal cannot reach the IdP is a retryable 503, not a redirect to it', async () => {
    const idp = userManagerFailingWith(new TypeError('Failed to fetch'));
    const client = createApiClient(
      api.url,
      createSessionPort(idp.userManager, () => '/'),
    );

    const error = await getMe(client).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('unavailable');
    expect((error as ApiError).message).toMatch(/Cannot reach your identity provider/);
    expect(idp.calls.signinRedirect).toBe(0);
  });

  test('a refresh token the IdP refuses (invalid_grant) still signs in again', async () => {
    const idp = userManagerFailingWith(new Error('invalid_grant'));
    const client = createApiClient(
      api.url,
      createSessionPort(idp.userManager, () => '/'),
    );

    const error = await getMe(client).catch((e: unknown) => e);

    expect((error as ApiError).code).toBe('session_expired');
    expect(idp.calls.signinRedirect).toBe(1);
  });
});
