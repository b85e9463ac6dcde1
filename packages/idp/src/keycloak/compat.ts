import type Provider from 'oidc-provider';
import { DEFAULT_SCOPES } from '../constants.js';

/**
 * Keycloak marks its JWTs with a `typ` claim (`ID` for ID tokens, `Logout` for logout tokens) and
 * always names the authorized party (`azp`) in ID tokens.
 */
export function keycloakIdTokenClaims(provider: Provider): void {
  const proto = provider.IdToken.prototype as unknown as {
    payload(): Promise<Record<string, unknown>>;
    client?: { clientId: string };
    extra: Record<string, unknown>;
  };
  const original = proto.payload;
  proto.payload = async function payload(this: typeof proto) {
    const claims = await original.call(this);
    if ('token_introspection' in this.extra) return claims;
    if ('events' in this.extra) return { ...claims, typ: 'Logout' };
    return { ...claims, typ: 'ID', azp: this.client?.clientId };
  };
}

/** `scope` with Keycloak's default client scopes added when it asks for `openid`; else undefined. */
export function withDefaultScopes(params: URLSearchParams): URLSearchParams | undefined {
  const scopes = new Set((params.get('scope') ?? '').split(' ').filter(Boolean));
  if (!scopes.has('openid')) return undefined;
  for (const scope of DEFAULT_SCOPES) scopes.add(scope);
  const out = new URLSearchParams(params);
  out.set('scope', [...scopes].join(' '));
  return out;
}

/**
 * Keycloak applies a client's default client scopes (`profile`, `email`) whatever the request
 * asks for; the dev IdP adds them to the scope of every authorization request (a POSTed one
 * arrives here as a GET, see dispatch.ts).
 */
export function applyDefaultScopes(provider: Provider, authorizationRoute: string): void {
  provider.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === authorizationRoute) {
      const query = withDefaultScopes(new URLSearchParams(ctx.querystring));
      if (query) {
        // Keep the mount-path prefix (originalUrl) in step with the rewritten URL.
        const req = ctx.req as typeof ctx.req & { originalUrl?: string };
        const before = req.url ?? '';
        ctx.querystring = query.toString();
        if (req.originalUrl?.endsWith(before)) {
          req.originalUrl =
            req.originalUrl.slice(0, req.originalUrl.length - before.length) + req.url;
        }
      }
    }
    await next();
  });
}
