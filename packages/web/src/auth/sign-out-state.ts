import { randomNonce, SIGNED_OUT_PATH } from './user-manager.js';

/**
 * The `state` of this tab's end-session request (OpenID Connect RP-Initiated Logout 1.0 §2),
 * kept in sessionStorage while the browser is at the identity provider. Only a return to
 * `/signed-out` carrying it (§3: the provider passes it back) shows that the provider ended its
 * session; any other arrival there (typed, a link, a reload, a provider that gave up) proves
 * nothing, and the signed-out page then claims nothing about the provider.
 */
const KEY = 'todo-sso.sign-out-state';

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

/** A fresh `state` for the end-session request, remembered until the provider sends it back. */
export function newSignOutState(): string {
  const state = randomNonce();
  storage()?.setItem(KEY, state);
  return state;
}

let confirmed = false;

/**
 * At start-up: is this page the provider's return from this tab's sign-out, with the `state` it
 * was sent (compared, then used up)? The `state` leaves the address bar and this history entry
 * either way; the rest of the address (the path, other query parameters, the fragment) stays, as
 * a sign-in's return keeps it.
 */
export function takeSignOutReturn(
  location: Pick<Location, 'pathname' | 'search' | 'hash'> = window.location,
) {
  confirmed = false;
  if (location.pathname !== SIGNED_OUT_PATH) return confirmed;
  const params = new URLSearchParams(location.search);
  const returned = params.get('state');
  const sent = storage()?.getItem(KEY) ?? null;
  storage()?.removeItem(KEY);
  confirmed = sent !== null && returned === sent;
  if (returned !== null) {
    params.delete('state');
    const rest = params.toString();
    window.history.replaceState(
      null,
      '',
      `${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`,
    );
  }
  return confirmed;
}

/** Did the identity provider confirm the sign-out this page shows (see `takeSignOutReturn`)? */
export function signedOutAtProvider(): boolean {
  return confirmed;
}
