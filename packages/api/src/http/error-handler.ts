import {
  type AuthError,
  authErrorResponse,
  credentialScheme,
  isAuthError,
  type Principal,
} from '@todo-sso/auth';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { autocommitOutcomeUnknown } from '../db/write-outcome.js';
import {
  dpopRequired,
  metadataUrl,
  publicBase,
  resourceId,
  resourceOf,
  SCOPES,
} from '../mcp/resource.js';
import { InvalidCursorError } from '../repositories/cursor.js';
import { actorOf, profileOf } from '../routes/principal.js';
import { etagOf, PreconditionFailed } from './etag.js';
import { withKeyLimit } from './idempotency-key.js';
import {
  ApiError,
  type ApiErrorCode,
  type ProblemDetails,
  problem,
  problemBody,
  problemOf,
} from './problem.js';
import { applyPendingLimit } from './rate-limit.js';
import type { RouteMethods } from './route-methods.js';
import { send, sendServerSide } from './server-errors.js';
import { fieldErrors } from './validation.js';

/** The bearer (or DPoP-bound) token of the request, for the refusal explainer only. */
function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^(?:Bearer|DPoP) +(\S+)$/i.exec(header) : null;
  return match?.[1];
}

/**
 * With `AUTH_EXPLAIN`, the expected and the received values of an audience, issuer, token-type
 * or claim-mapping refusal as extension members of the problem (RFC 9457 §3.2); claim values
 * and configured names only, never the token.
 */
function explanation(
  context: AppContext,
  error: AuthError,
  request: FastifyRequest,
): { expected: string; received: string } | undefined {
  if (context.explainRefusal === undefined) return undefined;
  const principal = (request as { principal?: Principal | null }).principal ?? undefined;
  const explained = context.explainRefusal(error, presentedToken(request), principal);
  // `/mcp` accepts its own resource identifier alone (RFC 8707 §2), not the configured audiences.
  if (explained && error.code === 'audience_mismatch' && resourceOf(request) === 'mcp') {
    const base = publicBase(context, request);
    if (base !== undefined) return { ...explained, expected: resourceId(base, 'mcp') };
  }
  return explained;
}

/**
 * An auth failure as the auth package renders it (RFC 6750 §3 challenge, RFC 9457 body), with
 * the API's realm, the resource's metadata and, with `AUTH_EXPLAIN`, the explanation.
 */
function authProblem(
  context: AppContext,
  error: AuthError,
  request: FastifyRequest,
): { headers: Record<string, string>; body: ProblemDetails & Record<string, unknown> } {
  const base = publicBase(context, request);
  const response = authErrorResponse(error, {
    realm: 'todo-api',
    ...(context.authenticator.dpopAlgorithms && {
      dpopAlgorithms: context.authenticator.dpopAlgorithms,
    }),
    // RFC 9728 §5.1: every challenge names the metadata of the resource it guards, when the
    // API knows its own URL (`API_PUBLIC_URL`, or a loopback request): never one from Host.
    ...(base !== undefined && { resourceMetadata: metadataUrl(base, resourceOf(request)) }),
    // MCP authorization (2025-11-25), "Protected Resource Metadata Discovery Requirements": a
    // 401 of `/mcp` names the scopes to ask for (RFC 6750 §3), its metadata's `scopes_supported`.
    ...(resourceOf(request) === 'mcp' && { scope: SCOPES }),
    // RFC 9449 §7.1: a DPoP request's refused token is answered in the DPoP challenge.
    scheme: credentialScheme(request.headers.authorization),
    // Where every issuer requires DPoP, the challenges offer no Bearer scheme (RFC 9449 §7.1).
    bearer: !dpopRequired(context),
  });
  const body: ProblemDetails & Record<string, unknown> = { ...response.body };
  if (error.code === 'logout_token_invalid') {
    // OIDC Back-Channel Logout 1.0 §2.8: 400 with an OAuth 2.0 (RFC 6749 §5.2) error.
    body.error = 'invalid_request';
    body.error_description = error.description;
  }
  Object.assign(body, explanation(context, error, request));
  return { headers: response.headers, body };
}

/**
 * 401s that refuse a known caller's valid token by the route's decision (RFC 9470 §3, a sign-in
 * too weak or too old): denials audited like a 403. Other 401s refuse the token itself.
 */
const STEP_UP_REFUSALS = new Set(['authentication_too_weak', 'authentication_too_old']);

/** Fastify's own client-error codes this API answers specifically. */
const FASTIFY_CODES: Record<string, ApiErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_request',
};

/**
 * THE mapping from every failure to HTTP. Auth errors go through the auth package's
 * `authErrorResponse` (RFC 6750 §3 challenge); everything else becomes RFC 9457 problem
 * details. Authorization denials (403, a step-up the route asks for, 401, and a 404 hiding a
 * resource the caller holds no relation to) are written to the audit log here, once for every
 * route (within the per-subject budget of the audit keeper).
 */
export function createErrorHandler(context: AppContext) {
  return async function handleError(
    error: FastifyError,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    // A protected request refused before its caller was counted: its per-address headers.
    applyPendingLimit(request, reply);
    if (isAuthError(error)) {
      context.metrics.authFailures.inc({ code: error.code });
      const { headers, body } = authProblem(context, error, request);
      if (body.status === 403 || STEP_UP_REFUSALS.has(error.code))
        await recordDenial(request, `${error.code}: ${error.description}`);
      return send(reply.headers(headers), body);
    }
    if (error.validation) {
      const errors = withKeyLimit(
        request,
        fieldErrors(error.validationContext ?? 'request', error.validation),
      );
      // `errors[].field` keeps the machine path (`body.title`); the sentence names the field
      // as the person typed it (`title`).
      const detail = errors.map((e) => `${personName(e.field)} ${e.message}`).join('; ');
      return send(reply, problem('validation_failed', detail, errors));
    }
    if (error instanceof InvalidCursorError) {
      const errors = [{ field: 'querystring.cursor', message: error.message }];
      return send(reply, problem('validation_failed', 'querystring.cursor is invalid', errors));
    }
    if (error instanceof PreconditionFailed) {
      // RFC 9110 §15.5.13, with the current state and its tag so the client can show both.
      reply.header('etag', etagOf(error.current.version));
      const body = problem(error.code, error.message);
      return send(reply, { ...body, current: error.current });
    }
    if (error instanceof ApiError) {
      if (error.status === 403) await recordDenial(request, error.message);
      else if (error.denial !== undefined) await recordDenial(request, error.denial);
      // RFC 9110 §10.2.3: an outage (the identity provider's admin API) says when to try again,
      // as the database's and the decision point's do.
      if (error.status === 503) reply.header('retry-after', '5');
      if (error.headers !== undefined) reply.headers(error.headers);
      return send(reply, problemOf(error));
    }
    const known = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (known) return send(reply, problem(known, error.message));
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      const code = error.statusCode === 429 ? 'rate_limited' : 'invalid_request';
      return send(reply, problemBody(error.statusCode, code, error.message));
    }
    return sendServerSide(context, error, request, reply);
  };

  async function recordDenial(request: FastifyRequest, detail: string): Promise<void> {
    try {
      const principal = request.principal;
      await context.audit.recordDenial(
        {
          // With the token's client: an assistant's refusals are told apart from the web app's.
          actor: principal && actorOf(principal),
          action: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
          resource: request.url.split('?')[0],
          outcome: 'denied',
          detail,
          requestId: request.id,
        },
        // The caller's name, so the audit log shows a person even before their first write.
        principal && profileOf(principal),
      );
    } catch (error) {
      request.log.error({ err: error }, auditFailure(context.db.dialect, error));
    }
  }
}

/**
 * The log line of a denial whose audit record failed. The request keeps its answer (the denial
 * stands either way); only the log can tell whether the record is missing, or may be stored
 * (the connection lost after its INSERT was sent, so it may have been committed).
 */
function auditFailure(dialect: string, error: unknown): string {
  return autocommitOutcomeUnknown(dialect, error)
    ? 'the audit record of a denial may or may not have been written: the connection to the database was lost after it was sent'
    : 'could not write the audit record of a denial';
}

/**
 * Unknown routes are problem details too: 405 with `Allow` when the path exists for other
 * methods (RFC 9110 §15.5.6: the Allow header is required on a 405), 404 otherwise.
 */
export function createNotFoundHandler(routes: RouteMethods) {
  return function notFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = routes.allowed(decodedPath(path));
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      reply.header('allow', allowed.join(', '));
      const detail = `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`;
      return send(reply, problem('method_not_allowed', detail));
    }
    return send(reply, problem('route_not_found', `No route ${request.method} ${path}`));
  };
}

/** The path as the router matches it (percent-decoded); as sent when it does not decode. */
function decodedPath(path: string): string {
  try {
    return decodeURI(path);
  } catch {
    return path;
  }
}

/** `body.title` → `title`, `querystring.limit` → `limit`: the name a person knows. */
function personName(field: string): string {
  return field.replace(/^(body|querystring|params|headers)\./, '');
}
