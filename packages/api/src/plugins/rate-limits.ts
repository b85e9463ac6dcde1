import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiConfig } from '../config/config.js';
import { FixedWindowLimiter, perAddressLimit, perSubjectLimit } from '../http/rate-limit.js';

/** Routes outside the per-address limit: probes and metrics. */
export const UNLIMITED_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The back-channel logout receiver: limited per address too, but in a window of its own (see
 * {@link rateLimitsPlugin}).
 */
export const LOGOUT_ROUTE = '/auth/backchannel-logout';

/** Both limits count requests per minute. */
const WINDOW_MS = 60_000;

/**
 * The per-address limit, for every route (not encapsulated): at the root and before
 * authentication, so a flood of bad tokens is limited too (the per-subject limit only sees
 * authenticated callers). Generous: many people may share one address. Probes and scrapers are
 * never limited (a 429 would fail a probe).
 *
 * The back-channel logout receiver is unauthenticated (OpenID Connect Back-Channel Logout 1.0
 * §2.5) and each post costs a signature check (and, for an unknown `kid`, maybe a JWKS fetch),
 * so it is limited per address as well, with the same limit, headers and 429; but it counts in
 * a window of its own, so that other traffic from the provider's address (a proxy or NAT it
 * shares with browsers) cannot use up its budget and lose a logout (§2.8 lets the OP give up),
 * and a flood of forged logout tokens does not use up the API budget of that address. The OP
 * posts one logout token per client and session ending, far below the default limit.
 */
export const rateLimitsPlugin = fp(
  async function rateLimits(app: FastifyInstance, { config }: { config: ApiConfig }) {
    const limit = config.rateLimitPerAddressPerMinute;
    const perAddress = new FixedWindowLimiter(limit, WINDOW_MS);
    // A protected request's per-address count, until the per-subject limit sets the headers.
    app.decorateRequest('addressLimit', null);
    app.addHook(
      'onRequest',
      perAddressLimit(perAddress, new Set([...UNLIMITED_ROUTES, LOGOUT_ROUTE])),
    );
    // The logout receiver's own window: a route hook, so other requests pay nothing for it.
    const logouts = perAddressLimit(new FixedWindowLimiter(limit, WINDOW_MS), new Set());
    app.addHook('onRoute', (route) => {
      if (route.url !== LOGOUT_ROUTE) return;
      const own = route.onRequest;
      route.onRequest = own === undefined ? [logouts] : [logouts, ...[own].flat()];
    });
  },
  { name: 'rate-limits' },
);

/**
 * The per-subject limit, so one noisy user cannot starve the others behind a shared proxy. The
 * protected routes run it once the caller is known and before the route's requirement is
 * decided, so refused requests count too.
 */
export function subjectRateLimit(
  config: ApiConfig,
): (request: FastifyRequest, reply: FastifyReply) => void {
  return perSubjectLimit(() => new FixedWindowLimiter(config.rateLimitPerMinute, WINDOW_MS));
}
