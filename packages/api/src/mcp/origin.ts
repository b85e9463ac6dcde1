import { isIP } from 'node:net';
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import type { ApiConfig } from '../config/config.js';
import { ApiError } from '../http/problem.js';
import { isMcpPath, resourceOf } from './resource.js';

/** The serialized origin (WHATWG URL) of a configured URL, or the text itself. */
function serialized(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : url;
}

/** A host name no DNS answer can stand for: an IP literal, or `localhost` (RFC 6761 §6.3). */
function isLiteralHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '');
  return isIP(bare) !== 0 || bare === 'localhost';
}

/**
 * The request's own origin, when it may count as same-origin: only for a host written as an IP
 * literal or `localhost`. A name is what DNS rebinding turns against a server: the attacker's
 * page at `http://attacker.example:8000`, re-resolved to this server, sends
 * `Host: attacker.example:8000` and `Origin: http://attacker.example:8000`, which agree.
 */
function literalOwnOrigin(request: FastifyRequest): string | undefined {
  const own = `${request.protocol}://${request.host}`;
  if (!URL.canParse(own)) return undefined;
  const url = new URL(own);
  return isLiteralHost(url.hostname) ? url.origin : undefined;
}

/**
 * Whether a request is for `/mcp`: the route the router matched, or for a CORS preflight (served
 * by the CORS plugin's catch-all OPTIONS route) the path as the router will match the request it
 * announces, percent-decoded (RFC 3986 §2.3, §6.2.2.2: `/%6Dcp` is `/mcp`, and is served so).
 */
function isMcp(request: FastifyRequest): boolean {
  if (request.method === 'OPTIONS') return isMcpPath(routedPath(request.url));
  return resourceOf(request) === 'mcp';
}

/** `url` decoded as the router decodes a path (`%2F` stays encoded); as sent if it cannot be. */
function routedPath(url: string): string {
  if (!url.includes('%')) return url;
  try {
    return decodeURI(url);
  } catch {
    return url;
  }
}

/**
 * MCP 2025-06-18 and 2025-11-25, Basic › Transports › Streamable HTTP, "Security Warning":
 * servers MUST validate the `Origin` header on all incoming connections (DNS rebinding), and a
 * present but invalid `Origin` MUST be answered with 403 Forbidden.
 *
 * Valid at `/mcp`: no `Origin` at all (a client that is not a browser), one of `CORS_ORIGINS`
 * (the browser apps the API already serves), the origin of `API_PUBLIC_URL`, and the API's own
 * origin when the request's host is an IP literal or `localhost` (the interactive docs on the
 * same server). Anything else, `null` included, is refused before authentication, whatever
 * the method (a CORS preflight too). The REST routes are left to CORS: they carry no
 * ambient credential either, but the MCP transport makes this check a MUST.
 */
export function mcpOriginCheck(config: ApiConfig): onRequestHookHandler {
  const allowed = new Set(config.corsOrigins.map(serialized));
  if (config.publicUrl !== undefined) allowed.add(serialized(config.publicUrl));
  return (request, _reply, done) => {
    const { origin } = request.headers;
    if (origin === undefined || !isMcp(request)) return done();
    if (allowed.has(origin) || origin === literalOwnOrigin(request)) return done();
    done(new ApiError('forbidden', 'The Origin of this request may not call the MCP endpoint'));
  };
}
