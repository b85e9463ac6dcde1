import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiConfig } from '../config/config.js';
import { FixedWindowLimiter, perAddressLimit, perSubjectLimit } from '../http/rate-limit.js';

/**
 * Routes outside the per-address limit: probes, metrics and the back-channel logout receiver.
 *
 * The receiver is unauthenticated (OpenID Connect Back-Channel Logout 1.0 §2.5), but a limit in
 * front of it could only count posts before their signature is checked, so it cannot tell the
 * provider's logouts from forged ones: a mass sign-out (thousands of logout tokens from the
 * provider's one address), or anyone sharing that address (a NAT, another tenant of a hosted
 * provider pointing its own logouts here), would get the provider's next logouts answered 429,
 * and §2.8 lets the provider give up, leaving ended sessions alive. A forged post costs one
 * signature check at most: its body is bounded, a token of an unknown issuer is refused before
 * any key is used, and an unknown `kid` fetches the JWKS at most once per cooldown. A flood of
 * such posts is for the network edge in front of the API to limit.
 */
export const UNLIMITED_ROUTES: ReadonlySet<string> = new Set([
  '/healthz',
  '/readyz',
  '/metrics',
  '/auth/backchannel-logout',
]);

/** Both limits count requests per minute. */
const WINDOW_MS = 60_000;

/**
 * The per-address limit, for every route (not encapsulated): at the root and before
 * authentication, so a flood of bad tokens is limited too (the per-subject limit only sees
 * authenticated callers). Generous: many people may share one address. Probes, scrapers and
 * the provider's back-channel logouts are never limited: a 429 there would fail a probe or lose
 * a logout ({@link UNLIMITED_ROUTES}).
 */
export const rateLimitsPlugin = fp(
  async function rateLimits(app: FastifyInstance, { config }: { config: ApiConfig }) {
    const perAddress = new FixedWindowLimiter(config.rateLimitPerAddressPerMinute, WINDOW_MS);
    // A protected request's per-address count, until the per-subject limit sets the headers.
    app.decorateRequest('addressLimit', null);
    app.addHook('onRequest', perAddressLimit(perAddress, UNLIMITED_ROUTES));
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
