import { ErrorResponse, type UserManager } from 'oidc-client-ts';
import type { SessionPort } from '../api/session.js';
import { isNoAnswer } from './sign-in-error.js';
import { forgetUnfinishedSignIn } from './unfinished-sign-in.js';
import type { SignInState } from './user-manager.js';

/** Seconds before expiry at which a token is renewed before use rather than sent stale. */
const MIN_VALIDITY_SECONDS = 5;

/** Set while an automatic sign-in has not yet given a token the API accepted. */
const UNCONFIRMED_KEY = 'todo-sso.reauth-unconfirmed';
/** Set when the API refused the token of an automatic sign-in too; the sign-in page says so. */
const REFUSED_KEY = 'todo-sso.sign-in-refused';

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

/** Did the API refuse the session an automatic sign-in just gave (see `reauthenticate`)? */
export function signInRefusedByApi(): boolean {
  return storage()?.getItem(REFUSED_KEY) === '1';
}

/**
 * The user starts a sign-in themselves: forget `signInRefusedByApi` and any automatic sign-in
 * still unconfirmed, so the next refusal gets one automatic sign-in again.
 */
export function resetSignInLoopGuard(): void {
  storage()?.removeItem(REFUSED_KEY);
  storage()?.removeItem(UNCONFIRMED_KEY);
}

/**
 * The credential headers for `token` (see `SessionPort.credentials`). A DPoP-bound token (the
 * token response said `token_type: DPoP`, RFC 9449 §5) goes with a proof signed by the key in
 * IndexedDB; `htu` is the URL without query and fragment (§4.2). Without that key the request is
 * not sent as a bearer request, which the API would refuse anyway (§7.2): the error surfaces.
 */
async function credentialsFor(
  userManager: UserManager,
  token: string,
  request: { method: string; url: string },
  nonce: string | undefined,
): Promise<Record<string, string>> {
  const user = await userManager.getUser();
  // A stored user may lack token_type (older sessions): that is a bearer token.
  if (user?.access_token !== token || (user.token_type ?? '').toLowerCase() !== 'dpop') {
    return { Authorization: `Bearer ${token}` };
  }
  const url = new URL(request.url);
  url.search = '';
  url.hash = '';
  const proof = await userManager.dpopProof(url.href, user, request.method, nonce);
  if (!proof) throw new Error('The DPoP key of this session is missing; sign in again');
  return { Authorization: `DPoP ${token}`, DPoP: proof };
}

/**
 * A refresh the provider refused with `invalid_grant`: the refresh token is invalid, expired or
 * revoked (RFC 6749 §5.2), so the session ended there (sign-out elsewhere, back-channel logout,
 * an administrator, idle timeout) and nothing this tab holds can renew it. `renew` then forgets
 * the session (tokens and DPoP key, `removeUser`) at once, so the screen stops showing the
 * person's data and the sign-in page says why, rather than waiting for the next click. Anything
 * else (no answer, a server error, a refused ID token) leaves the session as it is.
 */
function refreshRefused(error: unknown): boolean {
  return error instanceof ErrorResponse && error.error === 'invalid_grant';
}

/**
 * The session as the API client sees it, backed by oidc-client-ts. Renewals are single-flight:
 * Keycloak rotates refresh tokens, so two concurrent refreshes would race and one would fail.
 */
export interface BrowserSession extends SessionPort {
  /**
   * After sign-out: no renewal, no automatic sign-in, whatever request still comes back 401.
   * A renewal already out when sign-out began is removed when it comes back: oidc-client-ts
   * stores what it brought after sign-out removed the stored session, while the page still
   * waits for the provider's end-session answer, and the signed-out page would open signed in.
   */
  end(): void;
  /**
   * Takes up the stored session again after a sign-in round trip failed (a step-up the
   * identity provider refused): the tokens held before it are still valid for everything else.
   */
  resume(): Promise<boolean>;
  /**
   * After a sign-in that ended without a session, and on the sign-in page: deletes what the
   * sign-in left behind, its pending requests and its DPoP key (`forgetUnfinishedSignIn`).
   */
  forgetUnfinishedSignIn(): Promise<void>;
  /** Did the provider refuse this tab's refresh token, so that its session was forgotten? */
  sessionEndedAtProvider(): boolean;
}

export function createSessionPort(
  userManager: UserManager,
  currentPath: () => string = () => window.location.pathname + window.location.search,
): BrowserSession {
  let renewing: Promise<string | null> | null = null;
  let redirecting = false;
  let ended = false;
  let unreachable = false;
  let endedAtProvider = false;

  const renew = () => {
    if (ended) return Promise.resolve(null);
    renewing ??= userManager
      .signinSilent()
      .then(async (user) => {
        unreachable = false;
        if (ended) await userManager.removeUser().catch(() => undefined); // see `end`
        return ended ? null : (user?.access_token ?? null);
      })
      .catch(async (error: unknown) => {
        unreachable = isNoAnswer(error);
        if (refreshRefused(error)) {
          endedAtProvider = true; // read by the sign-in page, shown once the user is removed
          await userManager.removeUser().catch(() => undefined);
        }
        return null;
      })
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
    async resume() {
      // getUser(true) raises UserLoaded: react-oidc-context takes the user up again.
      const user = await userManager.getUser(true).catch(() => null);
      return Boolean(user && !user.expired);
    },
    forgetUnfinishedSignIn: () => forgetUnfinishedSignIn(userManager).catch(() => undefined),
    identityProviderUnreachable: () => unreachable,
    sessionEndedAtProvider: () => endedAtProvider,
    credentials: (token, request, nonce) => credentialsFor(userManager, token, request, nonce),
    accepted() {
      storage()?.removeItem(UNCONFIRMED_KEY);
    },
    reauthenticate() {
      if (redirecting || ended) return;
      const store = storage();
      // The automatic sign-in started last time gave a token the API refuses as well (its
      // audience or issuer does not match, clocks disagree…): another redirect would come
      // straight back here, forever, while the identity provider's session lasts. Stop, forget
      // the tokens and let the sign-in page explain.
      if (store?.getItem(UNCONFIRMED_KEY)) {
        store.removeItem(UNCONFIRMED_KEY);
        store.setItem(REFUSED_KEY, '1');
        ended = true;
        void userManager.removeUser().catch(() => undefined);
        return;
      }
      store?.setItem(UNCONFIRMED_KEY, '1');
      redirecting = true;
      const state: SignInState = { returnTo: currentPath() };
      void userManager.signinRedirect({ state }).catch(() => {
        redirecting = false;
      });
    },
  };
}
