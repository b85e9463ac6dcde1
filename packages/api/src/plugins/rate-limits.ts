import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiConfig } from '../config/config.js';
import { ApiError } from '../http/problem.js';

/** Routes outside the per-address limit: probes, metrics and the IdP's logout calls. */
const UNLIMITED_ROUTES = new Set(['/healthz', '/readyz', '/metrics', '/auth/backchannel-logout']);

function rateLimited(context: { max: number }): ApiError {
  return new ApiError('rate_limited', `Rate limit of ${context.max} requests per minute exceeded`);
}

/**
 * The per-address limit, for every route (not encapsulated): at the root and before
 * authentication, so a flood of bad tokens is limited too (the per-subject limit only sees
 * authenticated callers). Generous: many people may share one address. Probes, scrapers and
 * the IdP's back-channel logouts are never limited — a 429 there would fail a probe or lose a
 * logout (OIDC Back-Channel Logout §2.8 lets the OP give up).
 */
export const rateLimitsPlugin = fp(
  async function rateLimits(app: FastifyInstance, { config }: { config: ApiConfig }) {
    await app.register(rateLimit, {
      global: false,
      errorResponseBuilder: (_r, c) => rateLimited(c),
    });
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
  },
  { name: 'rate-limits' },
);

/**
 * The per-subject limit, so one noisy user cannot starve the others behind a shared proxy. The
 * protected routes run it once the caller is known and before the route's requirement is
 * decided, so refused requests count too. Needs {@link rateLimitsPlugin} registered first.
 */
export function subjectRateLimit(
  app: FastifyInstance,
  config: ApiConfig,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const perSubject = app.createRateLimit({
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => `${request.principal.issuer} ${request.principal.subject}`,
  });
  return async function limitSubject(request, reply) {
    const result = await perSubject(request);
    if (result.isAllowed) return;
    reply.header('x-ratelimit-limit', result.max);
    reply.header('x-ratelimit-remaining', result.remaining);
    reply.header('x-ratelimit-reset', result.ttlInSeconds);
    if (!result.isExceeded) return;
    reply.header('retry-after', result.ttlInSeconds);
    throw rateLimited(result);
  };
}
