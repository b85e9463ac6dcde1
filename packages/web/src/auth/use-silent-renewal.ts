import type { User } from 'oidc-client-ts';
import { useEffect } from 'react';
import type { SessionPort } from '../api/session.js';
import { renewalDelay } from './renewal-schedule.js';

/** `iat` of a JWT access token, or `null` for an opaque token. */
function issuedAt(accessToken: string): number | null {
  const payload = accessToken.split('.')[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const iat = (JSON.parse(json) as { iat?: unknown }).iat;
    return typeof iat === 'number' ? iat : null;
  } catch {
    return null;
  }
}

/**
 * Renews the access token with the refresh token before it expires, for as long as the tab is
 * open. A failed renewal is left to the API client, whose next 401 signs the user in again.
 */
export function useSilentRenewal(user: User | null | undefined, session: SessionPort): void {
  const token = user?.access_token;
  const expiresAt = user?.expires_at;
  useEffect(() => {
    if (!token || !expiresAt) return;
    const now = Date.now();
    // Without a JWT `iat`, the token's remaining lifetime when it arrived stands in for it.
    const iat = issuedAt(token) ?? Math.floor(now / 1000);
    const timer = window.setTimeout(() => void session.renew(), renewalDelay(iat, expiresAt, now));
    return () => window.clearTimeout(timer);
  }, [token, expiresAt, session]);
}
