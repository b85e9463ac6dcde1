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

/**
 * Keycloak applies a client's default client scopes (`profile`, `email`) whatever the request
 * asks for; the dev IdP adds them to the scope of every authorization request.
 */
export function applyDefaultScopes(provider: Provider, authorizationRoute: string): void {
  provider.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === authorizationRoute) {
      const query = new URLSearchParams(ctx.querystring);
      const scopes = new Set((query.get('scope') ?? '').split(' ').filter(Boolean));
      if (scopes.has('openid')) {
        for (const scope of DEFAULT_SCOPES) scopes.add(scope);
        query.set('scope', [...scopes].join(' '));
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
