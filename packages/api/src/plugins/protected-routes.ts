import { authPlugin } from '@todo-sso/auth/fastify';
import type { FastifyInstance } from 'fastify';
import { PERMISSIONS } from '../authz/permissions.js';
import type { RoutePolicy } from '../authz/requirement.js';
import type { ApiConfig } from '../config/config.js';
import type { AppContext } from '../context.js';
import { protectedRoutes } from '../routes/protected.js';
import { subjectRateLimit } from './rate-limits.js';

/**
 * Every route under `/admin/` declares the configured step-up (RFC 9470): a start-up error
 * naming the route when one forgets it, so admin work never runs on a weak or old sign-in.
 */
function requireStepUp(
  route: { method: string | string[]; url: string; config?: unknown },
  stepUp: ApiConfig['stepUp'],
): void {
  if (!route.url.startsWith('/admin/')) return;
  const auth = (route.config as { auth?: RoutePolicy } | undefined)?.auth;
  if (auth?.acr !== stepUp.acr || auth?.maxAge !== stepUp.maxAge)
    throw new TypeError(
      `Route ${[route.method].flat().join(',')} ${route.url} lacks the admin step-up requirement`,
    );
}

/**
 * Every route behind authentication, in one encapsulated context (registered, not wrapped, so
 * the auth plugin's hooks stay inside it). Each route declares its requirement (`config.auth`)
 * beside itself; one without, or naming a permission outside the table, fails start-up naming
 * the route. Needs the rate-limits plugin registered first.
 */
export async function protectedRoutesPlugin(
  secured: FastifyInstance,
  { context }: { context: AppContext },
): Promise<void> {
  const { config } = context;
  await secured.register(authPlugin, {
    authenticator: context.authenticator,
    requireDeclaration: true,
    permissions: PERMISSIONS.all,
    acrLevels: config.acrLevels,
    now: () => context.clock.now().getTime(),
    beforeDecision: subjectRateLimit(secured, config),
  });
  secured.addHook('onRoute', (route) => requireStepUp(route, config.stepUp));
  for (const routes of protectedRoutes(context)) await secured.register(routes);
}
