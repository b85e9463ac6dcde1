/** What `fetch` rejects with when no answer came (Chromium, Firefox, Safari, Node). */
const NO_ANSWER = /failed to fetch|fetch failed|networkerror|load failed|network request failed/i;

/**
 * The sentence the sign-in page shows for a failed sign-in. An identity provider that does not
 * answer (discovery or token endpoint unreachable, CORS refused) is said in words the user can
 * act on, rather than as the browser's bare `TypeError` text; anything else (an OAuth error
 * response such as `access_denied`, an unknown `state`) keeps the provider's own description.
 */
export function describeSignInError(error: { message: string; innerError?: unknown }): string {
  const inner = error.innerError;
  if (inner instanceof TypeError && NO_ANSWER.test(inner.message)) {
    return 'Cannot reach your identity provider to sign you in. Check your connection and try again.';
  }
  return `Sign-in did not complete: ${error.message}`;
}
