import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { ApiError } from '../http/problem.js';
import { problems } from '../schemas/common.js';
import { PUBLIC } from '../schemas/security.js';
import {
  literalRoute,
  MCP_PATH,
  METADATA_PATH,
  NO_PUBLIC_URL,
  protectedResourceMetadata,
  publicBase,
  type ResourceName,
} from './resource.js';

const Strings = { type: 'array', items: { type: 'string' } } as const;

/** RFC 9728 §2 metadata, as the response schema of both documents. */
const Metadata = {
  type: 'object',
  required: ['resource', 'authorization_servers', 'bearer_methods_supported'],
  properties: {
    resource: { type: 'string', format: 'uri' },
    authorization_servers: Strings,
    bearer_methods_supported: Strings,
    scopes_supported: Strings,
    resource_name: { type: 'string' },
    resource_documentation: { type: 'string', format: 'uri' },
    dpop_signing_alg_values_supported: Strings,
    dpop_bound_access_tokens_required: { type: 'boolean' },
  },
} as const;

/**
 * `GET /.well-known/oauth-protected-resource` (the REST API, resource = the public base URL) and
 * `GET /.well-known/oauth-protected-resource/mcp` (the MCP endpoint, resource = `<base>/mcp`),
 * RFC 9728 §3: public, like every discovery document, and named by the 401 challenges (§5.1).
 */
export function protectedResourceRoutes(context: AppContext): FastifyPluginAsync {
  const route = (name: ResourceName, hide: boolean) => ({
    schema: {
      // Documented once, at the root path (the one a request to the API itself names).
      hide,
      tags: ['discovery'],
      operationId: name === 'mcp' ? 'getMcpResourceMetadata' : 'getResourceMetadata',
      summary:
        name === 'mcp'
          ? 'Protected resource metadata of the MCP endpoint (RFC 9728)'
          : 'Protected resource metadata of the API (RFC 9728)',
      description:
        name === 'mcp'
          ? "RFC 9728 §3 metadata of the MCP endpoint: its resource identifier (`<base>/mcp`, the audience its tokens must name), the issuers that issue them, and how to send them. Named by the `resource_metadata` of the endpoint's 401 challenges (§5.1). Public and cacheable five minutes; 503 when `API_PUBLIC_URL` is unset and the request did not come to a loopback address."
          : 'RFC 9728 §3 metadata of the API: its resource identifier (the public base URL), the issuers whose tokens it accepts, the scopes and how to send a token (a header, DPoP when enabled). Named by the `resource_metadata` of every 401 challenge (§5.1). Public and cacheable five minutes; 503 when `API_PUBLIC_URL` is unset and the request did not come to a loopback address.',
      security: PUBLIC,
      // 503: no API_PUBLIC_URL and a request that did not come to a loopback address.
      response: { 200: Metadata, ...problems(503) },
    },
  });
  // RFC 9110 §12.5.5: without API_PUBLIC_URL, behind trusted proxies, whether the document is
  // served depends on forwarded headers ({@link publicBase}), which are no part of a cache's key.
  const { publicUrl, trustProxy } = context.config;
  const forwarded = publicUrl === undefined && trustProxy !== false;
  // RFC 9728 §3.1: an API_PUBLIC_URL with a path (`https://example.com/todo`) puts each document
  // at the well-known path followed by that path, where a proxy serving the API under it passes
  // requests for them on as they are; the documents stay at the root paths too.
  const path = publicUrl === undefined ? '/' : new URL(publicUrl).pathname;
  const paths = (name: ResourceName) => {
    const own = name === 'mcp' ? MCP_PATH : '';
    const root = { url: `${METADATA_PATH}${own}`, hide: false };
    const under = { url: literalRoute(`${METADATA_PATH}${path}${own}`), hide: true };
    return path === '/' ? [root] : [root, under];
  };
  return async (app) => {
    for (const name of ['api', 'mcp'] as const)
      for (const { url, hide } of paths(name))
        app.get(url, route(name, hide), async (request, reply) => {
          if (forwarded) reply.header('vary', varyForwarded(reply.getHeader('vary')));
          const base = publicBase(context, request);
          // RFC 9728 §3.3: the `resource` is the one whose tokens are accepted; with no base the
          // API accepts no URL audience, and names none.
          if (base === undefined) throw new ApiError('unavailable', NO_PUBLIC_URL);
          return (
            reply
              // RFC 9728 §3.2: a JSON object, the same for everyone who calls this URL (the
              // `Vary` above aside), so caches may keep it a while.
              .header('cache-control', 'public, max-age=300')
              .send(protectedResourceMetadata(context, base, name))
          );
        });
  };
}

/** The `Vary` already set (CORS: `Origin`) and the forwarded host and protocol. */
export function varyForwarded(current: unknown): string {
  const added = 'X-Forwarded-Host, X-Forwarded-Proto';
  return typeof current === 'string' && current !== '' ? `${current}, ${added}` : added;
}
