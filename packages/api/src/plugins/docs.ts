import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiConfig } from '../config/config.js';
import { swaggerOptions } from '../openapi.js';
import { PROBLEM_ID, Problem } from '../schemas/common.js';
import { PUBLIC } from '../schemas/security.js';
import { docsUiPlugin } from './docs-ui.js';

/**
 * The OpenAPI document (`/openapi.json`) and the interactive docs (`/docs`), generated from the
 * route schemas; also registers the shared `Problem` schema every route's errors reference.
 * Not encapsulated, so the document sees every route registered after it.
 */
export const docsPlugin = fp(
  async function docs(app: FastifyInstance, { config }: { config: ApiConfig }) {
    app.addSchema({ $id: PROBLEM_ID, ...Problem });
    await app.register(swagger, swaggerOptions(config));
    await app.register(docsUiPlugin(config));
    // The document is the same for every request once the routes are registered: serialized on
    // the first request and kept. Serializing its ~100 KB on every request cost 1.5 ms of CPU,
    // 30 times the other public answers, open to anyone at the per-address limit.
    let document: Buffer | undefined;
    app.get('/openapi.json', { schema: { hide: true, security: PUBLIC } }, (_request, reply) => {
      document ??= Buffer.from(JSON.stringify(app.swagger()));
      reply.type('application/json; charset=utf-8').send(document);
    });
  },
  { name: 'docs' },
);
