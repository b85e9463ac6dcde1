/** What `fetch` rejects with when no answer came (Chromium, Firefox, Safari, Node). */
const NO_ANSWER = /failed to fetch|fetch failed|networkerror|load failed|network request failed/i;

/** Did this call to the identity provider get no answer at all (down, offline, CORS refused)? */
export function isNoAnswer(error: unknown): boolean {
  return error instanceof TypeError && NO_ANSWER.test(error.message);
}

/**
 * The sentence the sign-in page shows for a failed sign-in. An identity provider that does not
 * answer (discovery or token endpoint unreachable, CORS refused) is said in words the user can
 * act on, rather than as the browser's bare `TypeError` text; anything else (an OAuth error
 * response such as `access_denied`, an unknown `state`) keeps the provider's own description.
 */
export function describeSignInError(error: { message: string; innerError?: unknown }): string {
  if (isNoAnswer(error.innerError)) {
    return 'Cannot reach your identity provider to sign you in. Check your connection and try again.';
  }
  return `Sign-in did not complete: ${error.message}`;
}
