import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
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

/** The request's `Origin` when some client of the realm lists it among its web origins. */
function registeredOrigin(realm: Realm, req: IncomingMessage): string | undefined {
  const origin = req.headers.origin;
  if (!origin) return undefined;
  return [...realm.clients.values()].some((c) => originAllowed(c, origin)) ? origin : undefined;
}

/**
 * CORS for the endpoints the dev IdP serves itself (userinfo, introspection, revocation, logout):
 * an origin listed in some client's web origins may call them with credentials, as in Keycloak.
 */
export function applyCors(realm: Realm, req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('vary', 'Origin');
  const origin = registeredOrigin(realm, req);
  if (!origin) return;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('access-control-allow-credentials', 'true');
}

/**
 * Request headers a registered origin may send: Keycloak's CORS defaults (browser libraries such
 * as Swagger UI add `X-Requested-With` to the token request), `Authorization` and RFC 9449's
 * `DPoP`.
 */
const ALLOWED_HEADERS = 'Origin, Accept, X-Requested-With, Content-Type, Authorization, DPoP';

/**
 * Answers every CORS preflight (`OPTIONS`) of the dev IdP. Only an origin registered as some
 * client's web origin is allowed (with credentials); any other gets no CORS headers, so the
 * browser refuses the actual request (Fetch Standard §4.8, CORS-preflight fetch).
 */
export function answerPreflight(realm: Realm, req: IncomingMessage, res: ServerResponse): void {
  applyCors(realm, req, res);
  if (res.hasHeader('access-control-allow-origin')) {
    res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    res.setHeader('access-control-allow-headers', ALLOWED_HEADERS);
    res.setHeader('access-control-max-age', '600');
  }
  res.writeHead(204).end();
}

/**
 * keycloak-js calls the token endpoint with credentials; Keycloak answers an allowed web origin
 * with `Access-Control-Allow-Credentials: true`. oidc-provider has already checked the origin
 * against the client's web origins (`clientBasedCORS`) when it echoes one back; preflights never
 * reach it (see {@link answerPreflight}).
 */
export function allowCredentialsForClientOrigins(provider: Provider): void {
  provider.use(async (ctx, next) => {
    await next();
    const origin = ctx.response.get('access-control-allow-origin');
    if (origin && origin !== '*') {
      ctx.set('access-control-allow-credentials', 'true');
      ctx.vary('Origin');
    }
  });
}
