import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Realm, RealmClient } from '../realm/types.js';

/** Keycloak web origins: exact origins, `*`, or `+` (the origins of the redirect URIs). */
export function originAllowed(client: RealmClient, origin: string): boolean {
  for (const entry of client.webOrigins) {
    if (entry === '*' || entry === origin) return true;
    if (entry === '+') {
      for (const uri of client.redirectUris) {
        const base = uri.replace(/\*$/, '');
        if (URL.canParse(base) && new URL(base).origin === origin) return true;
      }
    }
  }
  return false;
}

/**
 * CORS for the endpoints the dev IdP serves itself (userinfo, introspection, revocation, logout):
 * an origin listed in some client's web origins may call them with credentials, as in Keycloak.
 * Answers a preflight itself and returns true when it did.
 */
export function applyCors(realm: Realm, req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  if (!origin) return false;
  const allowed = [...realm.clients.values()].some((c) => originAllowed(c, origin));
  if (!allowed) return false;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('access-control-allow-credentials', 'true');
  res.setHeader('vary', 'Origin');
  if (req.method !== 'OPTIONS') return false;
  res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
  res.setHeader('access-control-allow-headers', 'Authorization, Content-Type');
  res.setHeader('access-control-max-age', '600');
  res.writeHead(204).end();
  return true;
}
