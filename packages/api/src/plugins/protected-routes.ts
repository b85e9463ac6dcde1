import { type AuthPluginOptions, authPlugin } from '@todo-sso/auth/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { agentClassifier } from '../agents/clients.js';
import { PERMISSIONS } from '../authz/permissions.js';
import type { RoutePolicy } from '../authz/requirement.js';
import type { ApiConfig } from '../config/config.js';
import { issuerAcrLevels } from '../config/step-up.js';
import { type AppContext, clockMillis } from '../context.js';
import { ApiError } from '../http/problem.js';
import {
  acceptedAudiences,
  NO_PUBLIC_URL,
  proofOrigin,
  publicBase,
  type ResourceName,
} from '../mcp/resource.js';
import { mcpRoutes } from '../mcp/routes.js';
import { protectedRoutes } from '../routes/protected.js';
import { subjectRateLimit } from './rate-limits.js';

/**
 * Every route under `/admin/` declares the admin work's requirement: the configured step-up
 * (RFC 9470) and `firstParty` (admin work is the person's own, never an agent's: a client
 * other than the product's own, such as one an MCP client registered for itself, RFC 7591).
 * A start-up error names a route that forgets either. The authorization core decides both on
 * every request, like any other requirement: an agent's token is refused with 403 even for an
 * administrator with a fresh second factor, explained and audited as the core's denials are.
 * The agent acts for the person on their todos; what it may do must not grow to the product's
 * administration (role grants at the identity provider, every person's todos, revocations)
 * because the person who allowed it happens to be an administrator.
 */
function requireAdminDeclaration(
  route: { method: string | string[]; url: string; config?: unknown },
  stepUp: ApiConfig['stepUp'],
): void {
  if (!route.url.startsWith('/admin/')) return;
  const auth = (route.config as { auth?: RoutePolicy } | undefined)?.auth;
  const name = `${[route.method].flat().join(',')} ${route.url}`;
  if (auth?.acr !== stepUp.acr || auth?.maxAge !== stepUp.maxAge)
    throw new TypeError(`Route ${name} lacks the admin step-up requirement`);
  if (auth?.firstParty !== true)
    throw new TypeError(`Route ${name} does not refuse agents (firstParty: true)`);
}

/** The per-subject limit, run before every decision (one limiter shared by both resources). */
type BeforeDecision = (request: FastifyRequest, reply: FastifyReply) => void;

/**
 * `API_ACCEPTS_MCP_TOKENS=false` keeps agents on `/mcp`, where each tool call is decided and
 * audited with the agent's client: the REST routes serve the product's own clients alone, the
 * core's `firstParty` requirement on every request, whatever the token's audience, so an agent
 * cannot get around the setting by asking its authorization server for the REST API's own
 * identifier (`resource=<base>`, RFC 8707 §2). An agent is a client the token names (`azp`,
 * else `client_id`) that is not the product's own ({@link agentClassifier}); a token naming no
 * client (RFC 9068 §2.2 requires `client_id`) cannot be shown to be the product's own and is
 * refused too (fail closed): the core's refusal says it names no client. The refusal is 403
 * `insufficient_scope` without a scope (RFC 6750 §3.1: the token is valid, and no scope the
 * agent could ask for would help; a 401 `invalid_token` would send it to sign in again for
 * another token just like it), audited as a denial.
 */
function keepAgentsToMcp(limit: BeforeDecision): BeforeDecision {
  return (request, reply) => {
    limit(request, reply);
    request.authorize(FIRST_PARTY);
  };
}

const FIRST_PARTY = Object.freeze({ firstParty: true as const });

/**
 * The auth plugin's options in both protected contexts: every route must declare a
 * requirement, and only permissions of the table, `acr` values of `OIDC_ACR_LEVELS` (each
 * asking an issuer with levels of its own for one of them); a
 * mistake fails start-up with a message naming the route. `resource`: the protected resource
 * the context's routes serve, whose audiences its requests accept (RFC 8707 §2), whatever
 * their URL looks like; with `API_ACCEPTS_MCP_TOKENS=false` the REST API refuses agents
 * ({@link keepAgentsToMcp}). `limit`: the per-subject limiter, to share one between contexts.
 */
export function protectedAuthOptions(
  context: AppContext,
  resource: ResourceName = 'api',
  limit: BeforeDecision = subjectRateLimit(context.config),
): AuthPluginOptions {
  const { config } = context;
  const isAgent = agentClassifier(config);
  return {
    authenticator: context.authenticator,
    requireDeclaration: true,
    permissions: PERMISSIONS.all,
    acrLevels: config.acrLevels,
    // An OIDC_ISSUERS entry's own levels rank its tokens' `acr` (docs/step-up.md).
    issuerAcrLevels: issuerAcrLevels(config),
    now: clockMillis(context.clock),
    beforeDecision:
      resource === 'api' && !config.apiAcceptsMcpTokens ? keepAgentsToMcp(limit) : limit,
    // Which clients are agents, for the `firstParty` requirement (admin, AuthZEN, /me/agents).
    isAgent,
    audiences: audiencesOf(context, resource),
    // RFC 9449 §4.3 step 9, §11.1: the server a proof must name is the API's, not the Host's;
    // behind a proxy serving the API under a path of API_PUBLIC_URL (`https://example.com/todo`),
    // with that path, which the proxy strips, but not for a direct loopback request.
    origin: proofOrigin(context),
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
  // One per-subject limiter for both resources; each resource's audiences.
  const limit = subjectRateLimit(config);
  const authOptions = protectedAuthOptions(context, 'api', limit);
  const mcpOptions = protectedAuthOptions(context, 'mcp', limit);
  await app.register(async (secured) => {
    await secured.register(authPlugin, authOptions);
    secured.addHook('onRoute', (route) => requireAdminDeclaration(route, config.stepUp));
    for (const routes of protectedRoutes(context)) await secured.register(routes);
  });
  await app.register(async (mcp) => {
    // Before authentication: with no base URL (no API_PUBLIC_URL, a request not from loopback)
    // the MCP resource has no identifier a token could name, so `/mcp` is unavailable, not
    // 401: a client told to sign in would get a token nothing here accepts.
    mcp.addHook('onRequest', (request, _reply, done) => {
      done(
        publicBase(context, request) === undefined
          ? new ApiError('unavailable', NO_PUBLIC_URL)
          : undefined,
      );
    });
    await mcp.register(authPlugin, mcpOptions);
    await mcp.register(mcpRoutes(context));
  });
}
