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
    app.addHook('onSend', async (request, reply) => {
      reply.header('x-request-id', request.id);
    });
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
  },
  { name: 'observability' },
);
