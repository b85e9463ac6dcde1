import type Provider from 'oidc-provider';
import type { MemoryStore } from '../adapter.js';

const KEY = 'SessionAddress:';

/**
 * Remembers the address a session signed in from (Keycloak shows it as the session's
 * `ipAddress`); oidc-provider's session model has no place for it. Kept as long as a session can
 * live, and only the first address is kept.
 */
export function recordSessionAddress(
  store: MemoryStore,
  sessionUid: string | undefined,
  address: string | undefined,
  ttlSeconds: number,
): void {
  if (!sessionUid || !address || store.get(`${KEY}${sessionUid}`)) return;
  store.set(`${KEY}${sessionUid}`, { address: address.replace(/^::ffff:/, '') }, ttlSeconds);
}

export function sessionAddress(store: MemoryStore, sessionUid: string | undefined): string {
  const entry = sessionUid ? store.get(`${KEY}${sessionUid}`) : undefined;
  return typeof entry?.address === 'string' ? entry.address : '';
}

/** Records the address of every browser sign-in as the authorization succeeds. */
export function recordBrowserSessionAddresses(
  provider: Provider,
  store: MemoryStore,
  ttlSeconds: number,
): void {
  provider.on('authorization.success', (ctx) => {
    recordSessionAddress(store, ctx.oidc.session?.uid, ctx.req.socket.remoteAddress, ttlSeconds);
  });
}
