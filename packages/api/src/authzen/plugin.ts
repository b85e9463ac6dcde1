import { resolveIssuer } from '@todo-sso/auth';
import type { FastifyPluginAsync } from 'fastify';
import { relationChecker } from '../authz/relation-check.js';
import { requires } from '../authz/requirement.js';
import { withApiDefaults } from '../config/load.js';
import type { AppContext } from '../context.js';
import { createErrorHandler } from '../http/error-handler.js';
import { ApiError } from '../http/problem.js';
import { varyForwarded } from '../mcp/metadata-routes.js';
import { literalRoute, NO_PUBLIC_URL, publicBase } from '../mcp/resource.js';
import { principalOf } from '../routes/principal.js';
import { problems } from '../schemas/common.js';
import { PUBLIC } from '../schemas/security.js';
import { APP_ENGINE_POLICY, appFacts } from './app-facts.js';
import { createEngine, type EngineFactory } from './engine.js';
import { AUTHZEN_PATHS, authzenMetadata, authzenRoutes, echoRequestId } from './routes.js';

/** Where AuthZEN 1.0 §9.2 puts the metadata: inserted before the decision point's path. */
const WELL_KNOWN = '/.well-known/authzen-configuration';

/**
 * The app's engine: its list and todo policy, relations from the database for subjects of the
 * caller's issuer, decided by the same check that guards the list and todo routes.
 */
export function appEngineFactory(context: AppContext): EngineFactory {
  // Each issuer's admin role (`OIDC_ADMIN_ROLE`, an entry's `adminRole`), as the REST routes
  // read it from that issuer's tokens.
  const adminRoles = new Map(
    context.config.issuers.map((i) => [i.issuer, resolveIssuer(withApiDefaults(i)).adminRole]),
  );
  return (request) =>
    createEngine(
      APP_ENGINE_POLICY,
      appFacts(context.db, principalOf(request).issuer, relationChecker(), (issuer) =>
        adminRoles.get(issuer),
      ),
    );
}

/**
 * The AuthZEN endpoints, behind authentication, the `authz:evaluate` permission and
 * `firstParty`: their answers (and the searches above all) tell who may do what on every
 * person's lists, which is a policy enforcement point's business and never an agent's, even
 * an agent of a person who holds the permission. A PEP's own client (`OIDC_CLIENT_ID`, or one
 * listed in `FIRST_PARTY_CLIENTS`) asks; any other client's token is refused with 403.
 */
export function authzenPlugin(context: AppContext, engineFor: EngineFactory): FastifyPluginAsync {
  return authzenRoutes({
    engineFor,
    configFor: () => requires({ permission: 'authz:evaluate', firstParty: true }),
    errorHandler: createErrorHandler(context),
  });
}

/**
 * `GET /.well-known/authzen-configuration` (AuthZEN 1.0 §9.2), public like other discovery
 * documents: the endpoints under `API_PUBLIC_URL`, or under the loopback address a request on
 * this machine came to; 503 for any other request without `API_PUBLIC_URL`.
 */
export function authzenMetadataPlugin(context: AppContext): FastifyPluginAsync {
  // RFC 9110 §12.5.5: without API_PUBLIC_URL, behind trusted proxies, whether the document is
  // served depends on forwarded headers ({@link publicBase}), which are no part of a cache's key.
  const { publicUrl, trustProxy } = context.config;
  const forwarded = publicUrl === undefined && trustProxy !== false;
  // AuthZEN 1.0 §9.2: the well-known string goes between the host and the identifier's path, so
  // an API_PUBLIC_URL with a path (`https://example.com/todo`) has its document at
  // `/.well-known/authzen-configuration/todo`, where a proxy serving the API under that path
  // passes it on as it is (as RFC 9728's documents, `mcp/metadata-routes.ts`); the root path
  // stays, documented once.
  const path = publicUrl === undefined ? '/' : new URL(publicUrl).pathname;
  const urls = [{ url: WELL_KNOWN, hide: false }];
  if (path !== '/') urls.push({ url: literalRoute(`${WELL_KNOWN}${path}`), hide: true });
  return async (app) => {
    // The metadata is part of the API (§9): a PEP's request identifier comes back here too.
    app.addHook('onSend', echoRequestId);
    for (const { url, hide } of urls)
      app.get(
        url,
        {
          schema: {
            hide,
            tags: ['authzen'],
            operationId: 'getAuthzenConfiguration',
            summary: 'AuthZEN policy decision point metadata (§9)',
            description:
              "AuthZEN §9.2 metadata: the decision point's identifier and the URLs of its evaluation, evaluations and search endpoints, under `API_PUBLIC_URL` (or the loopback address a local request came to). Public; 503 when `API_PUBLIC_URL` is unset and the request did not come to a loopback address.",
            security: PUBLIC,
            response: {
              200: {
                type: 'object',
                required: ['policy_decision_point', 'access_evaluation_endpoint'],
                properties: Object.fromEntries(
                  Object.keys(authzenMetadata('https://x')).map((k) => [k, { type: 'string' }]),
                ),
              },
              // 503: no API_PUBLIC_URL and a request that did not come to a loopback address.
              ...problems(503),
            },
          },
        },
        async (request, reply) => {
          if (forwarded) reply.header('vary', varyForwarded(reply.getHeader('vary')));
          // AuthZEN 1.0 §9.1: the decision point's URL, where clients send their evaluations and
          // tokens: `API_PUBLIC_URL` (https, checked at start), or a laptop's loopback address;
          // never a host the request names, which would send a cached client elsewhere.
          const base = publicBase(context, request);
          if (base === undefined) throw new ApiError('unavailable', NO_PUBLIC_URL);
          // §11.9 (metadata caching): the same document for everyone who calls this URL (the
          // `Vary` above aside), so a PEP and caches may keep it a while, as RFC 9728's.
          reply.header('cache-control', 'public, max-age=300');
          return authzenMetadata(base);
        },
      );
  };
}

export { AUTHZEN_PATHS };
