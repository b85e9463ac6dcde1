import { createHash } from 'node:crypto';

/** Stable UUID-shaped subject of a client's service account (Keycloak gives it a user id). */
export function serviceAccountId(realm: string, clientId: string): string {
  const h = createHash('sha256').update(`${realm}\0service-account\0${clientId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
