import type { FastifyInstance } from 'fastify';
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
    const inFlight = new WeakSet<object>();
    const settle = (request: object) => {
      if (inFlight.delete(request)) metrics.inFlight.dec();
    };
    app.addHook('onRequest', (request, _reply, done) => {
      inFlight.add(request);
      metrics.inFlight.inc();
      done();
    });
    app.addHook('onRequestAbort', (request, done) => {
      settle(request);
      done();
    });
    app.addHook('onResponse', (request, reply, done) => {
      settle(request);
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      };
      metrics.requests.inc(labels);
      metrics.duration.observe(labels, reply.elapsedTime / 1000);
      done();
    });
  },
  { name: 'observability' },
);
