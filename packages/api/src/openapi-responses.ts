import type { FastifySchema, RouteOptions } from 'fastify';
import { UNLIMITED_ROUTES } from './plugins/rate-limits.js';
import { problemResponse, writeUnavailable } from './schemas/common.js';

/**
 * The `X-RateLimit-*` headers of every answer a rate limit counted (`src/http/rate-limit.ts`,
 * `applyLimit`): the successes and the 429 of each route the limits count. Not listed on the
 * other errors: a request refused before it is counted (a malformed Host field) has none.
 */
const rateLimitHeaders = {
  'X-RateLimit-Limit': {
    type: 'integer',
    minimum: 1,
    required: true,
    description: 'Requests a minute allowed by the limit closest to running out',
  },
  'X-RateLimit-Remaining': {
    type: 'integer',
    minimum: 0,
    required: true,
    description: 'Requests left in the current window of that limit',
  },
  'X-RateLimit-Reset': {
    type: 'integer',
    minimum: 1,
    required: true,
    description: 'Seconds until that window ends',
  },
};

/**
 * The headers a route may declare it always sends with an answer (`schema.sentHeaders`, by
 * status), for the document: the document lists them, and the contract tests check they are
 * sent.
 */
const SENDABLE_HEADERS = {
  ETag: {
    type: 'string',
    required: true,
    description:
      'The strong entity tag of the version answered, `"<version>"` (RFC 9110 §8.8.3); send it back in `If-Match`',
  },
  Location: {
    type: 'string',
    required: true,
    description: 'The path of the created resource (RFC 9110 §10.2.2)',
  },
  'Access-Control-Allow-Origin': {
    type: 'string',
    required: true,
    const: '*',
    description:
      'Any origin may read this answer, without credentials (Fetch standard, CORS protocol)',
  },
};

declare module 'fastify' {
  interface FastifySchema {
    /** The headers the route always sends with the answer of each status, for the document. */
    sentHeaders?: Partial<Record<number, readonly (keyof typeof SENDABLE_HEADERS)[]>>;
  }
}

/**
 * 429 Too Many Requests (RFC 6585 §4) with `Retry-After` (RFC 9110 §10.2.3): what any route the
 * rate limits count answers past its limit.
 */
const rateLimited = {
  ...problemResponse,
  description: 'RFC 9457 problem details: over a rate limit; retry after `Retry-After` seconds',
  headers: {
    'Retry-After': {
      type: 'integer',
      minimum: 1,
      required: true,
      description: 'Seconds until the limit window ends (RFC 9110 §10.2.3)',
    },
    ...rateLimitHeaders,
  },
};

/**
 * 400 Bad Request on every route: a Host field that is missing, repeated or not a valid host and
 * port is refused before any route runs (RFC 9112 §3.2, `src/http/host-field.ts`), and on a
 * protected route an `Authorization` header that is not one well-formed credential too (RFC 6750
 * §3.1).
 */
const malformed = {
  ...problemResponse,
  description:
    'RFC 9457 problem details: a malformed request (`invalid_request`), such as a Host field missing, repeated or invalid (RFC 9112 §3.2)',
};

/** 413 Content Too Large (RFC 9110 §15.5.14): a body past `BODY_LIMIT_BYTES`. */
const tooLarge = {
  ...problemResponse,
  description: 'RFC 9457 problem details: the request body is larger than the API accepts',
};

/**
 * 415 Unsupported Media Type (RFC 9110 §15.5.16): a body the API has no parser for, or one sent
 * with a content coding, which then names the one coding accepted (§12.5.3).
 */
const unsupportedMediaType = {
  ...problemResponse,
  // The header is named in the description only: it comes with a refused coding alone, and a
  // header the document lists is one every 415 would carry.
  description:
    'RFC 9457 problem details: the body is in a media type the API does not read, JSON not in UTF-8, or sent with a content coding (Content-Encoding other than identity), which is answered with `Accept-Encoding: identity` (RFC 9110 §12.5.3)',
};

/**
 * 408 Request Timeout (RFC 9110 §15.5.9) and 431 Request Header Fields Too Large (RFC 6585 §5):
 * what Node's parser refuses before any route runs, on every route, answered as problem details
 * with the connection closed (`src/http/client-error.ts`).
 */
const timedOut = {
  ...problemResponse,
  description:
    'RFC 9457 problem details, `request_timeout`: the request (header section and body) did not arrive whole within `REQUEST_TIMEOUT_SECONDS`; the connection is closed',
};
const headersTooLarge = {
  ...problemResponse,
  description:
    "RFC 9457 problem details, `request_header_fields_too_large`: the request line and header section are larger than the server's limit (Node's 16 KiB by default); the connection is closed",
};

/**
 * `Idempotent-Replayed: true` (draft-ietf-httpapi-idempotency-key-header): sent with the 201 of a
 * create route that reads `Idempotency-Key` when the answer is the first request's, replayed.
 * Only on a replay, so not `required` (`src/todos/idempotency.ts`, `sendCreated`).
 */
const replayedHeader = {
  'Idempotent-Replayed': {
    type: 'string',
    const: 'true',
    description:
      'Sent (`true`) when this answer is the replay of the first request with the same `Idempotency-Key`: nothing was created this time',
  },
};

/**
 * Routes that answer a body they cannot read with 400, not 413 or 415: the back-channel logout
 * receiver, as OpenID Connect Back-Channel Logout 1.0 §2.8 requires of every failed logout
 * request (`src/routes/backchannel.ts`); its own 400 says so.
 */
const BODY_REFUSALS_ARE_400: ReadonlySet<string> = new Set(['/auth/backchannel-logout']);

/**
 * `@fastify/swagger`'s `transform`: adds to each operation of the document the answers no route
 * declares itself because they come from the layers every request passes first, so a client
 * generated from the document knows them.
 * - 429 on every route the per-address limit counts (all but probes and metrics; the logout
 *   receiver too), and so also on every protected route, which the per-subject limit counts too.
 * - 400 on every route: a malformed Host field is refused before any route runs (RFC 9112
 *   §3.2), and on a protected route an `Authorization` header that is not one well-formed
 *   credential is `invalid_request` (RFC 6750 §3.1), whatever the route.
 * - The `X-RateLimit-*` headers on the successes of every route a limit counts, and the
 *   headers a route declares it sends (`schema.sentHeaders`: `ETag`, `Location`).
 * - 413 and 415 on every route whose method has a body Fastify reads (all but GET and HEAD),
 *   whether or not the route takes one: a body is read before the route runs, so one past
 *   `BODY_LIMIT_BYTES` is 413 (RFC 9110 §15.5.14) and one in a media type no parser reads, JSON
 *   not in UTF-8, or one with a content coding is 415 (RFC 9110 §15.5.16), on
 *   `DELETE /todos/{id}` as on `POST /todos/` (but for {@link BODY_REFUSALS_ARE_400}).
 * - On a route that writes, its 503 described with `write_outcome_unknown` ({@link writeUnavailable}).
 * Only the document changes: errors are sent as problem-details text, not through the route's
 * response serializers.
 */
export function documentSharedResponses({
  schema,
  url,
  route,
}: {
  schema: FastifySchema;
  url: string;
  route: RouteOptions;
}): { schema: FastifySchema; url: string } {
  const { sentHeaders, ...rest } = schema ?? {};
  const response = rest.response as Record<string, unknown> | undefined;
  if (response === undefined) return { schema: rest, url };
  const shared: Record<string, unknown> = { 400: malformed, 408: timedOut, 431: headersTooLarge };
  const methods = ([] as string[]).concat(route.method);
  if (methods.some((m) => m !== 'GET' && m !== 'HEAD') && !BODY_REFUSALS_ARE_400.has(route.url)) {
    shared[413] = tooLarge;
    shared[415] = unsupportedMediaType;
  }
  const limited = !UNLIMITED_ROUTES.has(route.url);
  if (limited) shared[429] = rateLimited;
  const merged: Record<string, unknown> = { ...shared, ...response };
  for (const [status, names] of Object.entries(sentHeaders ?? {}))
    merged[status] = withHeaders(merged[status], pick(names ?? []));
  if (readsIdempotencyKey(rest.headers)) merged[201] = withHeaders(merged[201], replayedHeader);
  if (limited)
    for (const [status, answer] of Object.entries(merged))
      if (/^2/.test(status)) merged[status] = withHeaders(answer, rateLimitHeaders);
  // A writing route's 503 names `write_outcome_unknown` too (AuthZEN's and /mcp's POSTs only read).
  const writes =
    methods.some((m) => m !== 'GET' && m !== 'HEAD') && !/^\/(access\/|mcp$)/.test(route.url);
  if (writes && merged[503] === problemResponse) merged[503] = writeUnavailable;
  // A route that lists 413 or 415 itself with the plain problem gets the fuller answer above,
  // which says why and (415) names the header it may carry.
  for (const status of [413, 415])
    if (shared[status] !== undefined && merged[status] === problemResponse)
      merged[status] = shared[status];
  return { schema: { ...rest, response: merged }, url };
}

/** Whether a route's request headers schema takes `Idempotency-Key`. */
function readsIdempotencyKey(headers: unknown): boolean {
  const properties = (headers as { properties?: Record<string, unknown> } | undefined)?.properties;
  return properties?.['idempotency-key'] !== undefined;
}

/** The {@link SENDABLE_HEADERS} named. */
function pick(names: readonly (keyof typeof SENDABLE_HEADERS)[]): Record<string, unknown> {
  return Object.fromEntries(names.map((name) => [name, SENDABLE_HEADERS[name]]));
}

/** An answer as the document lists it, with `headers` added to those it lists already. */
function withHeaders(answer: unknown, headers: Record<string, unknown>): unknown {
  if (answer === undefined)
    throw new Error('a header is declared for an answer the route does not list');
  const documented = answer as { headers?: Record<string, unknown> };
  return { ...documented, headers: { ...documented.headers, ...headers } };
}

/**
 * `@fastify/swagger`'s `transformObject`: a response header declared here with `required: true`
 * (one the API sends with every answer of that status) is `required` in the document (OpenAPI 3.1
 * §4.8.21, the Header Object), not a keyword of its schema, where `@fastify/swagger` puts it.
 * Clients and the contract tests may rely on a required header; others come only sometimes.
 */
export function requiredResponseHeaders<T extends object>(openapiObject: T): T {
  type Header = { schema?: { required?: unknown }; required?: boolean };
  const paths = (openapiObject as { paths?: Record<string, Record<string, unknown>> }).paths;
  for (const item of Object.values(paths ?? {}))
    for (const operation of Object.values(item)) {
      const { responses } = operation as { responses?: Record<string, { headers?: unknown }> };
      for (const response of Object.values(responses ?? {}))
        for (const header of Object.values((response.headers ?? {}) as Record<string, Header>))
          if (header.schema?.required === true) {
            delete header.schema.required;
            header.required = true;
          }
    }
  return openapiObject;
}
