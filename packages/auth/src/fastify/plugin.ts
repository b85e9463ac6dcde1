import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Authenticator } from '../authenticator.js';
import { AuthError } from '../errors.js';
import { requirePermission, requireRole } from '../policy/permissions.js';
import type { Principal } from '../principal.js';
import { readBearerToken } from './bearer.js';

/** Route-level auth options, set through `config: { auth: { … } }`. */
export interface RouteAuthConfig {
  /** Every listed permission is required (admins bypass). */
  permission?: string | readonly string[];
  /** Role required (admins hold every role). */
  role?: string;
  /** Also run an RFC 7662 live check, so a revoked token is refused at once. */
  introspect?: boolean;
}

/** Options of {@link authPlugin}. */
export interface AuthPluginOptions {
  authenticator: Authenticator;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; set by `authPlugin` on the routes of its context only. */
    principal: Principal;
  }
  interface FastifyContextConfig {
    auth?: RouteAuthConfig;
  }
}

/**
 * Node keeps only the first of repeated `Authorization` field lines, while a proxy in front may
 * act on the last. `Authorization` is not a list-based field (RFC 9110 §5.3, §11.6.2), so two
 * lines are ambiguous credentials: refused as RFC 6750 §3.1 `invalid_request`, never resolved
 * silently to one of the callers.
 */
function hasRepeatedAuthorization(rawHeaders: readonly string[]): boolean {
  let seen = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    // The length test spares a lower-cased copy of every other header name on each request.
    if (name?.length === 13 && name.toLowerCase() === 'authorization' && ++seen > 1) return true;
  }
  return false;
}

async function plugin(app: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  const { authenticator } = options;
  if (authenticator === undefined || typeof authenticator.authenticate !== 'function')
    throw new TypeError('authPlugin needs { authenticator }');
  // A route that asks for a live check while no issuer can introspect is a misconfiguration:
  // refused when the route is declared (a TypeError at start-up), never a 500 per request.
  app.addHook('onRoute', (route) => {
    const auth = (route.config as { auth?: RouteAuthConfig } | undefined)?.auth;
    if (auth?.introspect && !authenticator.canIntrospect())
      throw new TypeError(
        `Route ${route.method} ${route.url} asks for introspection, but no issuer has clientId and clientSecret`,
      );
  });
  if (!app.hasRequestDecorator('principal'))
    app.decorateRequest('principal', null as unknown as Principal);

  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (
      request.headers.authorization !== undefined &&
      hasRepeatedAuthorization(request.raw.rawHeaders)
    )
      throw new AuthError('request_invalid', 'Send exactly one Authorization header');
    const token = readBearerToken(request.headers.authorization, request.query);
    // Failures are thrown as AuthError (statusCode set); the app's error handler maps them.
    const principal = await authenticator.authenticate(token);
    const auth = request.routeOptions.config?.auth;
    if (auth?.introspect && token !== undefined) await authenticator.introspect(token);
    if (auth?.role !== undefined) requireRole(principal, auth.role);
    if (auth?.permission !== undefined) {
      const permissions = typeof auth.permission === 'string' ? [auth.permission] : auth.permission;
      requirePermission(principal, ...permissions);
    }
    request.principal = principal;
  });
}

/**
 * Fastify plugin: authenticates every request of the context it is registered in and sets
 * `request.principal`. Register it inside the protected part of the app only (Fastify
 * encapsulation); route `config.auth` adds permission, role and live-introspection checks.
 *
 * @example
 * ```ts
 * app.register(async (protectedRoutes) => {
 *   await protectedRoutes.register(authPlugin, { authenticator });
 *   protectedRoutes.get('/todos/', { config: { auth: { permission: 'todos:read' } } }, handler);
 * });
 * ```
 */
export const authPlugin = fp(plugin, { name: '@todo-sso/auth', fastify: '5.x' });
