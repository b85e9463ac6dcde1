import { shownText } from '../ui/shown-text.js';

/** What `fetch` rejects with when no answer came (Chromium, Firefox, Safari, Node). */
const NO_ANSWER = /failed to fetch|fetch failed|networkerror|load failed|network request failed/i;

/** Did this call to the identity provider get no answer at all (down, offline, CORS refused)? */
export function isNoAnswer(error: unknown): boolean {
  return error instanceof TypeError && NO_ANSWER.test(error.message);
}

/**
 * What oidc-client-ts says when an authorization response's `state` matches no sign-in under
 * way in this tab: the answer was used already (its state goes with the first redemption), or
 * the sign-in started in another tab or browser (sessionStorage is per tab).
 */
const UNKNOWN_STATE = 'No matching state found in storage';
const UNKNOWN_STATE_TEXT =
  'this sign-in answer was already used, or belongs to a sign-in started in another tab or ' +
  'browser. Sign in again.';

/**
 * The sentence the sign-in page shows for a failed sign-in. An identity provider that does not
 * answer (discovery or token endpoint unreachable, CORS refused) is said in words the user can
 * act on, rather than as the browser's bare `TypeError` text; anything else (an OAuth error
 * response such as `access_denied`, an unknown `state`) keeps the provider's own description.
 */
export function describeSignInError(error: { message: string; innerError?: unknown }): string {
  if (error.message === UNKNOWN_STATE) return `Sign-in did not complete: ${UNKNOWN_STATE_TEXT}`;
  if (isNoAnswer(error.innerError)) {
    return 'Cannot reach your identity provider to sign you in. Check your connection and try again.';
  }
  return `Sign-in did not complete: ${shownText(error.message)}`;
}
