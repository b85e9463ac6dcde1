/**
 * When to renew an access token: a quarter of its lifetime before it expires, at most a
 * minute before (keycloak-js's `updateToken(30)` idea, scaled so a 20-second token is renewed
 * at 15 s rather than in a tight loop), and never sooner than one second from now.
 *
 * @param issuedAt seconds since the epoch when the token was obtained
 * @param expiresAt seconds since the epoch when it expires
 * @param now milliseconds since the epoch
 * @returns milliseconds to wait
 */
export function renewalDelay(issuedAt: number, expiresAt: number, now: number): number {
  const lifetime = Math.max(0, expiresAt - issuedAt);
  const lead = Math.min(60, lifetime / 4);
  const at = (expiresAt - lead) * 1000;
  return Math.max(1000, Math.round(at - now));
}
