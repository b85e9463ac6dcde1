import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { requirementProblems } from '../authorization/check.js';
import { decide } from '../authorization/decide.js';
import { denialError } from '../authorization/denial.js';
import type { DecisionContext } from '../authorization/requirement.js';
import type { Principal } from '../principal.js';
import type { AuthPluginOptions, RouteAuthConfig } from './options.js';
import { createRequestHook } from './request-hook.js';

export type { AuthPluginOptions, RouteAuthConfig } from './options.js';

/** Start-up checks of one route's declaration; a mistake is a TypeError naming the route. */
function checkRoute(
  route: { method: string | string[]; url: string; config?: unknown },
  options: AuthPluginOptions,
): void {
  const methods = [route.method].flat().filter((m) => m !== 'HEAD');
  if (methods.length === 0) return;
  const name = `${methods.join(',')} ${route.url}`;
  const auth = (route.config as { auth?: RouteAuthConfig } | undefined)?.auth;
  if (auth === undefined) {
    if (options.requireDeclaration)
      throw new TypeError(`Route ${name} declares no requirement (config.auth)`);
    return;
  }
  if (auth.introspect && !options.authenticator.canIntrospect())
    throw new TypeError(
      `Route ${name} asks for introspection, but no issuer has clientId and clientSecret`,
    );
  const vocabulary = {
    ...(options.permissions && { permissions: options.permissions }),
    ...(options.acrLevels && { acrLevels: options.acrLevels }),
    ...(options.issuerAcrLevels && { issuerAcrLevels: options.issuerAcrLevels }),
  };
  const problems = requirementProblems(auth, vocabulary, ['introspect']);
  if (problems.length > 0) throw new TypeError(`Route ${name}: ${problems.join('; ')}`);
}

/**
 * Adds the request decorators `principal`, `dpopProof`, `verifiedNow`, `decide` and `authorize`,
 * once per app.
 */
function decorateRequests(
  app: FastifyInstance,
  contextOf: (request: FastifyRequest) => DecisionContext,
): void {
  if (!app.hasRequestDecorator('principal'))
    app.decorateRequest('principal', null as unknown as Principal);
  if (!app.hasRequestDecorator('dpopProof')) app.decorateRequest('dpopProof', undefined);
  if (!app.hasRequestDecorator('verifiedNow')) app.decorateRequest('verifiedNow', false);
  if (!app.hasRequestDecorator('decide'))
    app.decorateRequest('decide', function (this: FastifyRequest, requirement, resource) {
      return decide(this.principal, requirement, resource, contextOf(this));
    });
  if (!app.hasRequestDecorator('authorize'))
    app.decorateRequest('authorize', function (this: FastifyRequest, requirement, resource) {
      const decision = decide(this.principal, requirement, resource, contextOf(this));
      if (!decision.allowed) throw denialError(decision);
    });
}

async function plugin(app: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  const { authenticator, beforeDecision, audiences, publicPath, origin } = options;
  if (authenticator === undefined || typeof authenticator.authenticate !== 'function')
    throw new TypeError('authPlugin needs { authenticator }');
  if (publicPath !== undefined && publicPath !== '' && !/^(?:\/[^/?#]+)+$/.test(publicPath))
    throw new TypeError(`authPlugin publicPath ${publicPath} is not a path such as /api`);
  const now = options.now ?? Date.now;
  const dpopAlgorithms = authenticator.dpopAlgorithms;
  const { acrLevels, issuerAcrLevels, isAgent } = options;
  // One shape for every request (absent members are undefined, as `decide` reads them): no
  // spread of a temporary object per member on each request.
  const contextOf = (request: FastifyRequest): DecisionContext => ({
    now: Math.floor(now() / 1000),
    acrLevels,
    issuerAcrLevels,
    proof: request.dpopProof ?? undefined,
    dpopAlgorithms,
    isAgent,
  });
  // Mistakes in a declaration are refused when the route is declared (a TypeError at
  // start-up), never a 500 or a silently missing check per request.
  app.addHook('onRoute', (route) => checkRoute(route, options));
  decorateRequests(app, contextOf);
  app.addHook(
    'onRequest',
    createRequestHook({
      authenticator,
      beforeDecision,
      audiences,
      dpopAlgorithms,
      publicPath,
      origin,
      contextOf,
    }),
  );
}

/**
 * Fastify plugin: authenticates every request of the context it is registered in, sets
 * `request.principal` and decides the route's declared requirement (`config.auth`) with
 * {@link decide}. Register it inside the protected part of the app only (Fastify
 * encapsulation). Refusals are thrown as `AuthError`s carrying their challenge, for the app's
 * one error handler (`authErrorResponse`).
 *
 * @example
 * ```ts
 * app.register(async (protectedRoutes) => {
 *   await protectedRoutes.register(authPlugin, { authenticator, requireDeclaration: true });
 *   protectedRoutes.get('/todos/', { config: { auth: { permission: 'todos:read' } } }, handler);
 * });
 * ```
 */
export const authPlugin = fp(plugin, { name: '@todo-sso/auth', fastify: '5.x' });
