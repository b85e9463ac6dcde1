import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sql } from 'kysely';
import type { AppContext } from '../context.js';
import { Health, Readiness } from '../schemas/misc.js';
import { PUBLIC } from '../schemas/security.js';

const TAGS = ['operations'];

/** `/healthz` (the process runs), `/readyz` (it can serve), `/metrics` (Prometheus). */
export function healthRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { db, authenticator, revocations, metrics } = context;
  return async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          tags: TAGS,
          operationId: 'getHealth',
          summary: 'Liveness',
          security: PUBLIC,
          response: { 200: Health },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          tags: TAGS,
          operationId: 'getReadiness',
          summary: 'Readiness: database, issuer keys and revocation feed reachable',
          security: PUBLIC,
          response: { 200: Readiness, 503: Readiness },
        },
      },
      async (_request, reply) => {
        const checks: Record<string, boolean> = {
          database: await sql`select 1`
            .execute(db.kysely)
            .then(() => true)
            .catch(() => false),
          issuers: await authenticator
            .ready()
            .then(() => authenticator.status().every((s) => s.usable))
            .catch(() => false),
          revocations: revocations.listening(),
        };
        const ready = Object.values(checks).every(Boolean);
        return reply
          .code(ready ? 200 : 503)
          .send({ status: ready ? ('ready' as const) : ('unavailable' as const), checks });
      },
    );

    app.get(
      '/metrics',
      {
        schema: {
          tags: TAGS,
          operationId: 'getMetrics',
          summary: 'Prometheus metrics',
          security: PUBLIC,
          produces: ['text/plain'],
          response: { 200: { type: 'string', description: 'Prometheus text format' } },
        },
      },
      async (_request, reply) => {
        const body = await metrics.registry.metrics();
        return reply.type(metrics.registry.contentType).send(body);
      },
    );
  };
}
