import { type AuthPluginOptions, authPlugin } from '@todo-sso/auth/fastify';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { agentClassifier } from '../agents/clients.js';
import { PERMISSIONS } from '../authz/permissions.js';
import type { RoutePolicy } from '../authz/requirement.js';
import type { ApiConfig } from '../config/config.js';
import { type AppContext, clockMillis } from '../context.js';
import { ApiError } from '../http/problem.js';
import { acceptedAudiences, type ResourceName } from '../mcp/resource.js';
import { mcpRoutes } from '../mcp/routes.js';
import { principalOf } from '../routes/principal.js';
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
 * Admin work is the person's own, never an agent's (a client other than the product's own,
 * such as one an MCP client registered for itself, RFC 7591): every route under `/admin/`
 * refuses an agent's token with 403, even an administrator's with a fresh second factor. The
 * agent acts for the person on their todos; what it may do must not grow to the product's
 * administration (role grants at the identity provider, every person's todos, revocations)
 * because the person who allowed it happens to be an administrator.
 */
function refuseAgents(route: RouteOptions, isAgent: (clientId: string | undefined) => boolean) {
  if (!route.url.startsWith('/admin/')) return;
  const refuse = async (request: FastifyRequest) => {
    if (isAgent(principalOf(request).clientId))
      throw new ApiError(
        'forbidden',
        'Agents cannot do admin work: sign in to the todo app itself',
      );
  };
  route.preHandler = [...[route.preHandler ?? []].flat(), refuse];
}

/**
 * The auth plugin's options in both protected contexts: every route must declare a
 * requirement, and only permissions of the table, `acr` values of `OIDC_ACR_LEVELS`; a
 * mistake fails start-up with a message naming the route. `resource`: the protected resource
 * the context's routes serve, whose audiences its requests accept (RFC 8707 §2), whatever
 * their URL looks like.
 */
export function protectedAuthOptions(
  context: AppContext,
  resource: ResourceName = 'api',
): AuthPluginOptions {
  const { config } = context;
  return {
    authenticator: context.authenticator,
    requireDeclaration: true,
    permissions: PERMISSIONS.all,
    acrLevels: config.acrLevels,
    now: clockMillis(context.clock),
    beforeDecision: subjectRateLimit(config),
    audiences: audiencesOf(context, resource),
  };
}

/** The audiences a request to `resource`'s routes accepts (RFC 8707 §2). */
function audiencesOf(context: AppContext, resource: ResourceName): AuthPluginOptions['audiences'] {
  return (request: FastifyRequest, configured: readonly string[]) =>
    acceptedAudiences(context, request, configured, resource);
}

/**
 * Every route behind authentication: the REST API and the MCP endpoint, two protected
 * resources (RFC 9728) behind the same verification, each in its own encapsulated context
 * (registered, not wrapped, so the auth plugin's hooks stay inside) accepting the audiences of
 * its own resource (RFC 8707 §2). Each route declares its requirement (`config.auth`) beside
 * itself; one without, or naming a permission outside the table, fails start-up naming the
 * route. Needs the rate-limits plugin registered first.
 */
export async function protectedRoutesPlugin(
  app: FastifyInstance,
  { context }: { context: AppContext },
): Promise<void> {
  const { config } = context;
  const authOptions = protectedAuthOptions(context, 'api');
  // The same options (one per-subject limiter for both resources), the MCP resource's audiences.
  const mcpOptions = { ...authOptions, audiences: audiencesOf(context, 'mcp') };
  await app.register(async (secured) => {
    await secured.register(authPlugin, authOptions);
    const isAgent = agentClassifier(config);
    secured.addHook('onRoute', (route) => {
      requireStepUp(route, config.stepUp);
      refuseAgents(route, isAgent);
    });
    for (const routes of protectedRoutes(context)) await secured.register(routes);
  });
  await app.register(async (mcp) => {
    await mcp.register(authPlugin, mcpOptions);
    await mcp.register(mcpRoutes(context));
  });
}
