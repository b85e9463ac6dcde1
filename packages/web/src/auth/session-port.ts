import type { UserManager } from 'oidc-client-ts';
import type { SessionPort } from '../api/session.js';
import type { SignInState } from './user-manager.js';

/** Seconds before expiry at which a token is renewed before use rather than sent stale. */
const MIN_VALIDITY_SECONDS = 5;

/**
 * The session as the API client sees it, backed by oidc-client-ts. Renewals are single-flight:
 * Keycloak rotates refresh tokens, so two concurrent refreshes would race and one would fail.
 */
export interface BrowserSession extends SessionPort {
  /** After sign-out: no renewal, no automatic sign-in, whatever request still comes back 401. */
  end(): void;
}

export function createSessionPort(
  userManager: UserManager,
  currentPath: () => string = () => window.location.pathname + window.location.search,
): BrowserSession {
  let renewing: Promise<string | null> | null = null;
  let redirecting = false;
  let ended = false;

  const renew = () => {
    if (ended) return Promise.resolve(null);
    renewing ??= userManager
      .signinSilent()
      .then((user) => user?.access_token ?? null)
      .catch(() => null)
      .finally(() => {
        renewing = null;
      });
    return renewing;
  };

  return {
    async getAccessToken() {
      const user = await userManager.getUser();
      if (!user) return null;
      if ((user.expires_in ?? 0) > MIN_VALIDITY_SECONDS) return user.access_token;
      return (await renew()) ?? user.access_token;
    },
    renew,
    end() {
      ended = true;
    },
    reauthenticate() {
      if (redirecting || ended) return;
      redirecting = true;
      const state: SignInState = { returnTo: currentPath() };
      void userManager.signinRedirect({ state }).catch(() => {
        redirecting = false;
      });
    },
  };
}
