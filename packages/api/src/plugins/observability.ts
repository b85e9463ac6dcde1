import { routeUrlOf } from '@todo-sso/auth/fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AppContext } from '../context.js';

/**
 * Request ids and Prometheus request metrics, for every route of the app (the plugin is not
 * encapsulated). The id is echoed as `X-Request-Id`; requests are counted from the first hook
 * to the response (or the client giving up), once per request.
 */
export const observabilityPlugin = fp(
  async function observability(app: FastifyInstance, { context }: { context: AppContext }) {
    const { metrics } = context;
    // Callback-style hooks: no promise per request for bookkeeping that never waits.
    app.addHook('onSend', (request, reply, payload, done) => {
      reply.header('x-request-id', request.id);
      done(null, payload);
    });
    const { inFlight, requests } = metrics;
    // Counted in flight by a flag of the request (not a set of requests): no hashing per request.
    app.decorateRequest('inFlight', false);
    const settle = (request: FastifyRequest) => {
      if (!request.inFlight) return;
      request.inFlight = false;
      inFlight.count -= 1;
    };
    app.addHook('onRequest', (request, _reply, done) => {
      request.inFlight = true;
      inFlight.count += 1;
      done();
    });
    app.addHook('onRequestAbort', (request, done) => {
      settle(request);
      done();
    });
    app.addHook('onResponse', (request, reply, done) => {
      settle(request);
      requests
        .series(request.method, routeUrlOf(request) ?? 'unmatched', reply.statusCode)
        .observe(reply.elapsedTime / 1000);
      done();
    });
  },
  { name: 'observability' },
);

declare module 'fastify' {
  interface FastifyRequest {
    /** Counted in `http_requests_in_flight` and not yet settled (answered or aborted). */
    inFlight: boolean;
  }
}
