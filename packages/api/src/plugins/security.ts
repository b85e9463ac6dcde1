import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiConfig } from '../config/config.js';
import { requireOneHost } from '../http/host-field.js';
import { ApiError } from '../http/problem.js';
import { setSecurityHeaders } from '../http/security-headers.js';
import { mcpOriginCheck } from '../mcp/origin.js';

/**
 * Response security headers and CORS for every route (not encapsulated). A JSON API needs no
 * resources; the docs set their own policy on their pages.
 */
export const securityPlugin = fp(
  async function security(app: FastifyInstance, { config }: { config: ApiConfig }) {
    app.addHook('onRequest', setSecurityHeaders);
    // RFC 9112 §3.2: exactly one valid Host field (none is allowed in HTTP/1.0 only).
    app.addHook('onRequest', requireOneHost);
    // MCP Streamable HTTP: a present but invalid Origin at /mcp is 403 (DNS rebinding).
    app.addHook('onRequest', mcpOriginCheck(config));
    // The API answers OPTIONS only as a CORS preflight (Fetch standard, "CORS protocol": it
    // carries Origin and Access-Control-Request-Method). Anything else is refused here, before
    // the CORS plugin would answer it with a text/plain 400 instead of problem details.
    app.addHook('onRequest', (request, _reply, done) => {
      const { headers } = request;
      if (
        request.method === 'OPTIONS' &&
        (!headers.origin || !headers['access-control-request-method'])
      ) {
        return done(
          new ApiError(
            'invalid_request',
            'OPTIONS is answered only as a CORS preflight, with Origin and Access-Control-Request-Method',
          ),
        );
      }
      done();
    });
    await app.register(cors, {
      origin: [...config.corsOrigins],
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      // RFC 9449: browsers send the proof in `DPoP` and read a server nonce from `DPoP-Nonce`.
      // MCP Streamable HTTP: browser-based clients send the protocol version on every request.
      allowedHeaders: [
        'authorization',
        'content-type',
        'x-request-id',
        'if-match',
        'dpop',
        'mcp-protocol-version',
        // draft-ietf-httpapi-idempotency-key-header: the web app's creates carry a key, and
        // read whether the answer was a replay (`Idempotent-Replayed`).
        'idempotency-key',
      ],
      // One string, joined once: the plugin joins an array again on every response.
      exposedHeaders: [
        'www-authenticate',
        'x-request-id',
        'retry-after',
        'location',
        'etag',
        'dpop-nonce',
        'idempotent-replayed',
        // Readable by the web app, so it can slow down before the limit rather than after.
        'x-ratelimit-limit',
        'x-ratelimit-remaining',
        'x-ratelimit-reset',
      ].join(', '),
      maxAge: 600,
    });
  },
  { name: 'security' },
);
