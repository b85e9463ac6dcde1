import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { authPlugin } from '@todo-sso/auth/fastify';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { PERMISSIONS } from './authz/permissions.js';
import type { RoutePolicy } from './authz/requirement.js';
import { authzenMetadataPlugin } from './authzen/plugin.js';
import { fastifyTrustProxy } from './config/trust-proxy.js';
import type { AppContext } from './context.js';
import { createErrorHandler, createNotFoundHandler } from './http/error-handler.js';
import { useStrictJsonParser } from './http/json-body.js';
import { ApiError, PROBLEM_JSON, problem } from './http/problem.js';
import { RequestLog } from './http/request-log.js';
import { RouteMethods } from './http/route-methods.js';
import { setSecurityHeaders } from './http/security-headers.js';
import { validatorCompiler } from './http/validator.js';
import { protectedResourceRoutes } from './mcp/metadata-routes.js';
import { acceptedAudiences } from './mcp/resource.js';
import { mcpRoutes } from './mcp/routes.js';
import { swaggerOptions } from './openapi.js';
import { backchannelRoutes } from './routes/backchannel.js';
import { healthRoutes } from './routes/health.js';
import { protectedRoutes } from './routes/protected.js';
import { PROBLEM_ID, Problem } from './schemas/common.js';
import { PUBLIC } from './schemas/security.js';

/**
 * Every route under `/admin/` declares the configured step-up (RFC 9470): a start-up error
 * naming the route when one forgets it, so admin work never runs on a weak or old sign-in.
 */
function requireStepUp(
  route: { method: string | string[]; url: string; config?: unknown },
  stepUp: AppContext['config']['stepUp'],
): void {
  if (!route.url.startsWith('/admin/')) return;
  const auth = (route.config as { auth?: RoutePolicy } | undefined)?.auth;
  if (auth?.acr !== stepUp.acr || auth?.maxAge !== stepUp.maxAge)
    throw new TypeError(
      `Route ${[route.method].flat().join(',')} ${route.url} lacks the admin step-up requirement`,
    );
}

/** An incoming `X-Request-Id` is kept when it is short and plain; otherwise a UUID is made. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Routes outside the per-address limit: probes, metrics and the IdP's logout calls. */
const UNLIMITED_ROUTES = new Set(['/healthz', '/readyz', '/metrics', '/auth/backchannel-logout']);

/**
 * Builds the API from its context. Never listens: `startApi` does, tests use `app.inject()`.
 * Public routes (health, metrics, docs, the logout receiver) live at the root; everything else
 * is registered in one encapsulated context behind the auth plugin, which decides each route's
 * declared requirement.
 *
 * @example
 * ```ts
 * const app = await buildApp(await createContext(loadConfig(process.env)));
 * const res = await app.inject({ url: '/healthz' });
 * ```
 */
export async function buildApp(context: AppContext): Promise<FastifyInstance> {
  const { config, metrics } = context;
  const issuerOrigins = [...new Set(config.issuers.map((i) => new URL(i.issuer).origin))].join(' ');
  const app: FastifyInstance = Fastify({
    loggerInstance: context.logger as FastifyBaseLogger,
    logController: new RequestLog(),
    bodyLimit: config.bodyLimit,
    trustProxy: fastifyTrustProxy(config.trustProxy),
    routerOptions: { ignoreTrailingSlash: true },
    // A path that cannot be percent-decoded fails before routing, outside the error handler:
    // problem details here too, and without echoing the path back.
    frameworkErrors: (error, _request, reply) => {
      const body =
        error.code === 'FST_ERR_BAD_URL'
          ? problem(
              400,
              'invalid_request',
              'The request path is not a valid percent-encoded URL (RFC 3986 §2.1)',
            )
          : problem(400, 'invalid_request', 'The request cannot be routed');
      (reply as FastifyReply).code(400).type(PROBLEM_JSON).send(JSON.stringify(body));
    },
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
  });

  // TypeBox validates without Ajv's `removeAdditional`: unknown fields are refused, not dropped;
  // integers in the query string must be decimal digits (no `1.5` read as 1).
  app.setValidatorCompiler(validatorCompiler);
  // JSON only, in UTF-8: any other body is 415 (the logout receiver adds its form parser).
  app.removeContentTypeParser('text/plain');
  useStrictJsonParser(app);
  app.setErrorHandler(createErrorHandler(context));
  // Every route's methods, so a known path with another method is 405, not 404.
  const routeMethods = new RouteMethods();
  app.addHook('onRoute', (route) => routeMethods.add(route.url, route.method));
  app.setNotFoundHandler(createNotFoundHandler(routeMethods));

  // Graceful drain: once closing, answer in-flight requests with `Connection: close` so their
  // keep-alive sockets end and the server's close can complete (idle ones Fastify closes).
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
  });
  // Counted from the first hook to the response (or the client giving up), once per request.
  const inFlight = new WeakSet<object>();
  const settle = (request: object) => {
    if (inFlight.delete(request)) metrics.inFlight.dec();
  };
  app.addHook('onRequest', async (request) => {
    inFlight.add(request);
    metrics.inFlight.inc();
  });
  app.addHook('onRequestAbort', async (request) => settle(request));
  app.addHook('onResponse', async (request, reply) => {
    settle(request);
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    };
    metrics.requests.inc(labels);
    metrics.duration.observe(labels, reply.elapsedTime / 1000);
  });

  // A JSON API needs no resources; the docs set their own policy on their pages.
  app.addHook('onRequest', setSecurityHeaders);
  // The API answers OPTIONS only as a CORS preflight (Fetch standard, "CORS protocol": it
  // carries Origin and Access-Control-Request-Method). Anything else is refused here, before
  // the CORS plugin would answer it with a text/plain 400 instead of problem details.
  app.addHook('onRequest', (request, _reply, done) => {
    const { headers } = request;
    if (
      request.method === 'OPTIONS' &&
      (!headers.origin || !headers['access-control-request-method'])
    ) {
      return done(
        new ApiError(
          400,
          'invalid_request',
          'OPTIONS is answered only as a CORS preflight, with Origin and Access-Control-Request-Method',
        ),
      );
    }
    done();
  });
  await app.register(cors, {
    origin: [...config.corsOrigins],
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    // RFC 9449: browsers send the proof in `DPoP` and read a server nonce from `DPoP-Nonce`.
    allowedHeaders: ['authorization', 'content-type', 'x-request-id', 'if-match', 'dpop'],
    exposedHeaders: [
      'www-authenticate',
      'x-request-id',
      'retry-after',
      'location',
      'etag',
      'dpop-nonce',
    ],
    maxAge: 600,
  });
  app.addSchema({ $id: PROBLEM_ID, ...Problem });
  await app.register(swagger, swaggerOptions(config));
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // The docs page exchanges the authorization code at the issuer's token endpoint (a fetch),
    // so the issuers' origins join connect-src; plain-http dev issuers must not be upgraded.
    transformStaticCSP: (header) =>
      header
        .replace(/\s*upgrade-insecure-requests;?/, '')
        .replace("default-src 'self';", `default-src 'self'; connect-src 'self' ${issuerOrigins};`),
    uiConfig: { persistAuthorization: false },
    initOAuth: {
      clientId: config.docsClientId,
      usePkceWithAuthorizationCodeGrant: true,
      scopes: ['openid', 'profile', 'email'],
    },
  });
  app.get('/openapi.json', { schema: { hide: true, security: PUBLIC } }, async () => app.swagger());

  // Per client address, at the root and before authentication, so a flood of bad tokens is
  // limited too (the per-subject limit below only sees authenticated callers). Generous: many
  // people may share one address. Probes, scrapers and the IdP's back-channel logouts are never
  // limited — a 429 there would fail a probe or lose a logout (OIDC Back-Channel Logout §2.8
  // lets the OP give up).
  const rateLimited = (context: { max: number }) =>
    new ApiError(429, 'rate_limited', `Rate limit of ${context.max} requests per minute exceeded`);
  await app.register(rateLimit, { global: false, errorResponseBuilder: (_r, c) => rateLimited(c) });
  const perAddress = app.rateLimit({
    max: config.rateLimitPerAddressPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => `address ${request.ip}`,
    errorResponseBuilder: (_request, c) => rateLimited(c),
  });
  app.addHook('onRequest', async function limitAddress(request, reply) {
    if (UNLIMITED_ROUTES.has(request.routeOptions.url ?? '')) return;
    await perAddress.call(this, request, reply);
  });

  await app.register(healthRoutes(context));
  await app.register(backchannelRoutes(context));
  await app.register(authzenMetadataPlugin(context));
  await app.register(protectedResourceRoutes(context));

  // Per subject, so one noisy user cannot starve the others behind a shared proxy. Counted
  // once the caller is known and before the route's requirement is decided, so refused
  // requests count too.
  const perSubject = app.createRateLimit({
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => `${request.principal.issuer} ${request.principal.subject}`,
  });
  async function limitSubject(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const result = await perSubject(request);
    if (result.isAllowed) return;
    reply.header('x-ratelimit-limit', result.max);
    reply.header('x-ratelimit-remaining', result.remaining);
    reply.header('x-ratelimit-reset', result.ttlInSeconds);
    if (!result.isExceeded) return;
    reply.header('retry-after', result.ttlInSeconds);
    throw rateLimited(result);
  }

  // The REST API and the MCP endpoint are two protected resources (RFC 9728) behind the same
  // verification: each context accepts the audiences of its own resource (RFC 8707 §2).
  const authOptions = {
    authenticator: context.authenticator,
    requireDeclaration: true,
    permissions: PERMISSIONS.all,
    acrLevels: config.acrLevels,
    now: () => context.clock.now().getTime(),
    beforeDecision: limitSubject,
    audiences: (request: FastifyRequest, configured: readonly string[]) =>
      acceptedAudiences(context, request, configured),
  };
  await app.register(async (secured) => {
    // Every route here declares its requirement (`config.auth`) beside itself; one without, or
    // naming a permission outside the table, fails start-up naming the route.
    await secured.register(authPlugin, authOptions);
    secured.addHook('onRoute', (route) => requireStepUp(route, config.stepUp));
    for (const routes of protectedRoutes(context)) await secured.register(routes);
  });
  await app.register(async (mcp) => {
    await mcp.register(authPlugin, authOptions);
    await mcp.register(mcpRoutes(context));
  });

  await app.ready();
  return app;
}
