import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { recordAgentUse } from './agents/usage.js';
import { authzenMetadataPlugin } from './authzen/plugin.js';
import { fastifyTrustProxy } from './config/trust-proxy.js';
import type { AppContext } from './context.js';
import { clientErrorHandler } from './http/client-error.js';
import { createErrorHandler, createNotFoundHandler } from './http/error-handler.js';
import { originForm } from './http/host-field.js';
import { useStrictJsonParser } from './http/json-body.js';
import { warnOnLoopbackHostBehindProxy } from './http/loopback-host-proxy.js';
import { PROBLEM_JSON, problem } from './http/problem.js';
import { deferredChildLogger, RequestLog } from './http/request-log.js';
import { RouteMethods } from './http/route-methods.js';
import { SECURITY_HEADERS } from './http/security-headers.js';
import { apiSerializers } from './http/serializers.js';
import { warnOnUntrustedProxy } from './http/untrusted-proxy.js';
import { validatorCompiler } from './http/validator.js';
import { protectedResourceRoutes } from './mcp/metadata-routes.js';
import { docsPlugin } from './plugins/docs.js';
import { observabilityPlugin } from './plugins/observability.js';
import { protectedRoutesPlugin } from './plugins/protected-routes.js';
import { rateLimitsPlugin } from './plugins/rate-limits.js';
import { securityPlugin } from './plugins/security.js';
import { backchannelRoutes } from './routes/backchannel.js';
import { healthRoutes } from './routes/health.js';

/** An incoming `X-Request-Id` is kept when it is short and plain; otherwise a UUID is made. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** How often Node looks for requests past their timeout (its default is every 30 s). */
const TIMEOUT_CHECK_MS = 1000;

/** The longest path parameter the router passes to a route's validation. */
export const MAX_PARAM_LENGTH = 320;

/**
 * Fastify's `frameworkErrors`: a path that cannot be percent-decoded fails before routing,
 * outside the error handler: problem details here too, and without echoing the path back.
 */
function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const body =
    error.code === 'FST_ERR_BAD_URL'
      ? problem(
          'invalid_request',
          'The request path is not a valid percent-encoded URL (RFC 3986 §2.1)',
        )
      : problem('invalid_request', 'The request cannot be routed');
  // Before any hook: the security headers (no-store among them) are set here too.
  reply.headers(SECURITY_HEADERS).code(body.status).type(PROBLEM_JSON).send(JSON.stringify(body));
}

/**
 * How long a connection may take, as Fastify options. A request must arrive whole, header
 * section and body, within the request timeout; a slower one (a header sent a byte at a time, a
 * body trickled) is answered 408 (RFC 9110 §15.5.9) and its connection closed. Fastify's
 * default (0) let a trickled body hold its connection and its request forever. Node checks
 * every second, not every 30 s. A connection serving a request with nothing moving either way
 * for the connection timeout (a response the client does not read, its bytes buffered here) is
 * destroyed; idle keep-alive connections between requests close after Fastify's
 * `keepAliveTimeout` (72 s) instead.
 */
function connectionLimits(config: AppContext['config']) {
  const requestMs = config.requestTimeoutSeconds * 1000;
  return {
    http: {
      requireHostHeader: false, // no Host: `requireOneHost` refuses it, problem details
      headersTimeout: requestMs,
      requestTimeout: requestMs,
      connectionsCheckingInterval: TIMEOUT_CHECK_MS,
    },
    // Fastify sets the server's request timeout again from its own option: the same value.
    requestTimeout: requestMs,
    connectionTimeout: config.connectionTimeoutSeconds * 1000,
  };
}

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
  const { config } = context;
  const app: FastifyInstance = Fastify({
    loggerInstance: context.logger as FastifyBaseLogger,
    logController: new RequestLog(context.logger),
    // Each request's logger is made only if the request logs something besides its line.
    childLoggerFactory: deferredChildLogger,
    bodyLimit: config.bodyLimit,
    ...connectionLimits(config),
    rewriteUrl: originForm, // an absolute-form target: its path, its authority as the host
    trustProxy: fastifyTrustProxy(config.trustProxy),
    // A path parameter as long as its schema allows must reach its route (find-my-way's default
    // of 100 characters refused a 254-character email handle, RFC 5321 §4.5.3.1.3, before its
    // validation could): 320 is the longest any route documents (`username` of a share).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    // One response serializer per schema, not one per route and status, shared with every app
    // of this process (see serializers.ts).
    schemaController: { compilersFactory: { buildSerializer: apiSerializers } },
    // A path that cannot be percent-decoded fails before routing, outside the error handler.
    frameworkErrors,
    // What Node's parser refuses (431, 400, 408) is answered with problem details too.
    clientErrorHandler,
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
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });

  // Order matters: each plugin's `onRequest` hooks run in registration order for every route.
  await app.register(observabilityPlugin, { context });
  // Which agents act for whom, and when last (written at most once a minute per agent).
  app.addHook('onResponse', recordAgentUse(context));
  await app.register(securityPlugin, { config });
  await app.register(docsPlugin, { config });
  // Forwarding headers with TRUST_PROXY unset: a proxy in front that the API does not believe.
  warnOnUntrustedProxy(app, config);
  // A proxy on this machine forwarding a loopback Host: requests read as direct local ones.
  warnOnLoopbackHostBehindProxy(app, config);
  await app.register(rateLimitsPlugin, { config });

  await app.register(healthRoutes(context));
  await app.register(backchannelRoutes(context));
  await app.register(authzenMetadataPlugin(context));
  await app.register(protectedResourceRoutes(context));
  await app.register(protectedRoutesPlugin, { context });

  await app.ready();
  return app;
}
