/** Fired just before sign-out, so screens can send writes the user already asked for. */
export const SIGNING_OUT_EVENT = 'todo-sso:signing-out';

export function announceSignOut(): void {
  window.dispatchEvent(new Event(SIGNING_OUT_EVENT));
}
