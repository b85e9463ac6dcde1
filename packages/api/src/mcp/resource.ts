import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { loopbackOrigin } from '../http/loopback-origin.js';

/** Where RFC 9728 §3 puts protected resource metadata: inserted before the resource's path. */
export const METADATA_PATH = '/.well-known/oauth-protected-resource';
/** The MCP endpoint's path; its resource identifier is `<base>/mcp`. */
export const MCP_PATH = '/mcp';

/**
 * A path as a route the router matches literally: it reads `:` as the start of a parameter and
 * `::` as a colon (find-my-way), so the path of an `API_PUBLIC_URL` like `https://h/v1:todo`
 * (a colon is legal in a path, RFC 3986 §3.3) is served as written. A `*` the router cannot hold
 * literally: `API_PUBLIC_URL` refuses it at load.
 */
export function literalRoute(path: string): string {
  return path.replaceAll(':', '::');
}

/** The two protected resources the API serves: the REST API and the MCP endpoint. */
export type ResourceName = 'api' | 'mcp';

/**
 * The scopes a client asks for (OpenID Connect Core §5.4); permissions come from roles. The one
 * list both the metadata's `scopes_supported` (RFC 9728 §2) and the `scope` of the `/mcp` 401
 * challenges (RFC 6750 §3) name.
 */
export const SCOPES: readonly string[] = Object.freeze(['openid', 'profile', 'email']);

/**
 * The API's public base URL, the base of both resource identifiers (RFC 8707 §2, RFC 9728 §1.2):
 * `API_PUBLIC_URL` when set, else the origin the request came to when that is this machine's
 * loopback interface ({@link loopbackOrigin}), else `undefined`: the base is unknown, and no
 * URL audience is accepted. A request never chooses the audience it is checked against: a token
 * issued for another resource server of the same identity provider (an MCP server that got a
 * person's token for `https://evil.example/mcp`) is no good here with `Host: evil.example`
 * (RFC 9728 §7.3; MCP authorization, "Token Audience Binding and Validation").
 */
export function publicBase(context: AppContext, request: FastifyRequest): string | undefined {
  if (context.config.publicUrl !== undefined) return context.config.publicUrl;
  return loopbackOrigin(request);
}

/**
 * What a request's DPoP proof must name in `htu` before the request's path (RFC 9449 §4.3 step
 * 9): the request's own loopback origin ({@link loopbackOrigin}: a client on this machine calling
 * the API directly, at the API's own paths), else `API_PUBLIC_URL`, its path included (a proxy
 * serving the API under `https://example.com/todo` passes `/todo/me` on as `/me`). A proof names
 * the server it was made for (§11.1): a server a client was led to (a wrong API URL, a malicious
 * MCP server) holding its token and proofs cannot make them count here by writing its own name
 * in `Host` or `X-Forwarded-Host`, as it cannot choose an audience (RFC 9728 §7.3). Without
 * `API_PUBLIC_URL`, `undefined`: the origin the request came to, forwarded by trusted proxies,
 * as before a public URL is known.
 */
export function proofOrigin(context: AppContext): (request: FastifyRequest) => string | undefined {
  const { publicUrl } = context.config;
  if (publicUrl === undefined) return () => undefined;
  return (request) => loopbackOrigin(request) ?? publicUrl;
}

/** Why a request has no base URL, for the problems that refuse it. */
export const NO_PUBLIC_URL =
  'API_PUBLIC_URL is not set and this request did not come to a loopback address: set API_PUBLIC_URL to the public base URL of the API';

/** A resource's identifier (RFC 8707 §2, RFC 9728 §1.2): the base URL, or `<base>/mcp`. */
export function resourceId(base: string, name: ResourceName): string {
  return name === 'mcp' ? `${base}${MCP_PATH}` : base;
}

/** A resource's metadata URL (RFC 9728 §3.1): the well-known path, then the resource's path. */
export function metadataUrl(base: string, name: ResourceName): string {
  const origin = new URL(base).origin;
  const path = new URL(resourceId(base, name)).pathname.replace(/\/$/, '');
  return `${origin}${METADATA_PATH}${path}`;
}

/**
 * Which resource a request is for: the MCP endpoint or the REST API. Decided by the route the
 * router matched, not by the URL as written: the router decodes percent-encoded octets, so
 * `/%6Dcp` is served by the `/mcp` route, and reading the raw URL would take it for the REST
 * API (whose audiences `/mcp` must not accept, RFC 8707 §2). A request no route matched is
 * read from its path.
 */
export function resourceOf(request: FastifyRequest): ResourceName {
  const route = request.routeOptions.url;
  if (route !== undefined) return route === MCP_PATH ? 'mcp' : 'api';
  return isMcpPath(request.url) ? 'mcp' : 'api';
}

/** Whether a request target as written is `/mcp` or below it. */
export function isMcpPath(url: string): boolean {
  if (!url.startsWith(MCP_PATH)) return false;
  // The path is `/mcp` or below it: what follows is nothing, `/`, or the query.
  const next = url.charCodeAt(MCP_PATH.length);
  return Number.isNaN(next) || next === 0x2f || next === 0x3f;
}

/**
 * The audiences a request accepts (RFC 8707 §2: a token asked for one resource is for that one
 * alone). `/mcp` takes only tokens naming `<base>/mcp`; the REST routes take the configured
 * audiences (`todo-api`), their own identifier, and, unless `API_ACCEPTS_MCP_TOKENS=false`,
 * the MCP one (an agent may use the REST API with the same decisions; with the setting false the
 * REST routes refuse agents whatever their token's audience, `keepAgentsToMcp`). Without a base
 * ({@link publicBase}) no URL is accepted: `/mcp` nothing (it answers 503 before), the REST
 * routes their configured audiences alone. `resource`: the one the request's route serves
 * (each resource's routes are a context of their own, whose auth options name it), never
 * guessed from the URL as written.
 */
export function acceptedAudiences(
  context: AppContext,
  request: FastifyRequest,
  configured: readonly string[],
  resource: ResourceName,
): readonly string[] {
  const base = publicBase(context, request);
  if (base === undefined) return resource === 'mcp' ? NONE : configured;
  const memo = audienceMemo.get(configured);
  if (memo?.base === base && memo.apiAcceptsMcpTokens === context.config.apiAcceptsMcpTokens)
    return memo[resource];
  const own = [...configured, resourceId(base, 'api')];
  const computed: AudienceMemo = {
    base,
    apiAcceptsMcpTokens: context.config.apiAcceptsMcpTokens,
    mcp: Object.freeze([resourceId(base, 'mcp')]),
    api: Object.freeze(
      context.config.apiAcceptsMcpTokens ? [...own, resourceId(base, 'mcp')] : own,
    ),
  };
  audienceMemo.set(configured, computed);
  return computed[resource];
}

const NONE: readonly string[] = Object.freeze([]);

/** Both resources' accepted audiences for one base URL, computed once per base. */
interface AudienceMemo {
  readonly base: string;
  readonly apiAcceptsMcpTokens: boolean;
  readonly api: readonly string[];
  readonly mcp: readonly string[];
}

/** Per configured audience list (one per issuer): the last base's accepted audiences. */
const audienceMemo = new WeakMap<readonly string[], AudienceMemo>();

/** RFC 9728 §2 protected resource metadata. */
export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers: readonly string[];
  readonly bearer_methods_supported: readonly string[];
  readonly scopes_supported: readonly string[];
  readonly resource_name: string;
  readonly resource_documentation?: string;
  readonly dpop_signing_alg_values_supported?: readonly string[];
  readonly dpop_bound_access_tokens_required?: boolean;
}

/**
 * The metadata of one resource (RFC 9728 §2): its identifier, the trusted issuers as its
 * authorization servers, the header as the only way to send a token (RFC 6750 §2.1; the query
 * and the form body are refused), and the DPoP algorithms when DPoP is on (RFC 9449 §5.1).
 */
export function protectedResourceMetadata(
  context: AppContext,
  base: string,
  name: ResourceName,
): ProtectedResourceMetadata {
  const { config, authenticator } = context;
  const algorithms = authenticator.dpopAlgorithms;
  return {
    resource: resourceId(base, name),
    authorization_servers: config.issuers.map((issuer) => issuer.issuer),
    bearer_methods_supported: ['header'],
    scopes_supported: SCOPES,
    resource_name: name === 'mcp' ? 'todo-sso MCP server' : 'todo-sso API',
    ...(name === 'api' && { resource_documentation: `${base}/docs` }),
    ...(algorithms && {
      dpop_signing_alg_values_supported: algorithms,
      dpop_bound_access_tokens_required: dpopRequired(context),
    }),
  };
}

/**
 * Whether every issuer requires DPoP-bound tokens (`OIDC_DPOP=required`): then no bearer token
 * is accepted anywhere, the metadata says so (RFC 9728 §2 `dpop_bound_access_tokens_required`)
 * and the challenges offer the DPoP scheme alone (RFC 9449 §7.1).
 */
export function dpopRequired(context: AppContext): boolean {
  const { config, authenticator } = context;
  return config.issuers.every((issuer) => authenticator.dpopMode(issuer.issuer) === 'required');
}
