import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import fp from 'fastify-plugin';
import type { ApiConfig } from '../config/config.js';
import {
  addressKey,
  applyLimit,
  FixedWindowLimiter,
  perAddressLimit,
  perSubjectLimit,
} from '../http/rate-limit.js';

/** Routes outside the per-address limit: probes and metrics. */
export const UNLIMITED_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The back-channel logout receiver: limited per address too, but only by its refused posts (see
 * {@link logoutLimit}).
 */
export const LOGOUT_ROUTE = '/auth/backchannel-logout';

/** Both limits count requests per minute. */
const WINDOW_MS = 60_000;

/**
 * The back-channel logout receiver's limit: each client address may have `limiter.max` posts
 * refused (4xx: a logout token that does not verify, a malformed body) per window; past that its
 * posts are answered 429 before any signature is checked. Posts that end a session (200) are
 * never counted: the provider posts one logout token per client and session ending (OpenID
 * Connect Back-Channel Logout 1.0 §2.5), a mass sign-out sends thousands at once from one
 * address, and a 429 there would lose a logout (§2.8 lets the OP give up without retrying),
 * leaving sessions alive that the provider ended. A flood of forged tokens, which is what
 * costs a signature check each, is cut off after `max` of them. The budget is the address's:
 * once it is spent, valid logouts from that address are answered 429 too until the window ends,
 * so the provider's address must not be shared with untrusted senders (`TRUST_PROXY`). The
 * `X-RateLimit-*` headers describe that budget of refusals.
 */
export function logoutLimit(limiter: FixedWindowLimiter): {
  onRequest: (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;
  onSend: (request: FastifyRequest, reply: FastifyReply, payload: unknown) => Promise<unknown>;
} {
  return {
    onRequest(request, reply, done) {
      const refusal = applyLimit(reply, limiter.peek(addressKey(request.ip)));
      if (refusal) return done(refusal);
      done();
    },
    async onSend(request, reply, payload) {
      const status = reply.statusCode;
      if (status >= 400 && status < 500 && status !== 429)
        applyLimit(reply, limiter.hit(addressKey(request.ip)));
      return payload;
    },
  };
}

/**
 * The per-address limit, for every route (not encapsulated): at the root and before
 * authentication, so a flood of bad tokens is limited too (the per-subject limit only sees
 * authenticated callers). Generous: many people may share one address. Probes and scrapers are
 * never limited (a 429 would fail a probe). The back-channel logout receiver, unauthenticated
 * (OpenID Connect Back-Channel Logout 1.0 §2.5), counts only its refused posts, in a window of
 * its own ({@link logoutLimit}).
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
    // The logout receiver's own limit: route hooks, so other requests pay nothing for it.
    const logouts = logoutLimit(new FixedWindowLimiter(limit, WINDOW_MS));
    app.addHook('onRoute', (route) => {
      if (route.url !== LOGOUT_ROUTE) return;
      route.onRequest = [logouts.onRequest, ...(route.onRequest ? [route.onRequest].flat() : [])];
      route.onSend = [logouts.onSend, ...(route.onSend ? [route.onSend].flat() : [])];
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
