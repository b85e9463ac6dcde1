import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiConfig } from '../config/config.js';
import { swaggerOptions } from '../openapi.js';
import { PROBLEM_ID, Problem } from '../schemas/common.js';
import { PUBLIC } from '../schemas/security.js';

/**
 * The OpenAPI document (`/openapi.json`) and the interactive docs (`/docs`), generated from the
 * route schemas; also registers the shared `Problem` schema every route's errors reference.
 * Not encapsulated, so the document sees every route registered after it.
 */
export const docsPlugin = fp(
  async function docs(app: FastifyInstance, { config }: { config: ApiConfig }) {
    const issuerOrigins = [...new Set(config.issuers.map((i) => new URL(i.issuer).origin))].join(
      ' ',
    );
    app.addSchema({ $id: PROBLEM_ID, ...Problem });
    await app.register(swagger, swaggerOptions(config));
    await app.register(swaggerUi, {
      routePrefix: '/docs',
      staticCSP: true,
      // The docs page exchanges the authorization code at the issuer's token endpoint (a
      // fetch), so the issuers' origins join connect-src; plain-http dev issuers must not be
      // upgraded.
      transformStaticCSP: (header) =>
        header
          .replace(/\s*upgrade-insecure-requests;?/, '')
          .replace(
            "default-src 'self';",
            `default-src 'self'; connect-src 'self' ${issuerOrigins};`,
          ),
      uiConfig: { persistAuthorization: false },
      initOAuth: {
        clientId: config.docsClientId,
        usePkceWithAuthorizationCodeGrant: true,
        scopes: ['openid', 'profile', 'email'],
      },
    });
    app.get('/openapi.json', { schema: { hide: true, security: PUBLIC } }, async () =>
      app.swagger(),
    );
  },
  { name: 'docs' },
);
