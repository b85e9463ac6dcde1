import { STATUS_CODES } from 'node:http';
import type { Static } from 'typebox';
import type { Problem } from '../schemas/common.js';

/**
 * The API's own error codes and the HTTP status each one is answered with; auth errors carry
 * the auth package's codes and statuses. One table, so a code always means one status.
 */
export const PROBLEM_STATUS = {
  invalid_request: 400,
  validation_failed: 400,
  forbidden: 403,
  insufficient_scope: 403,
  not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  // draft-ietf-httpapi-idempotency-key-header §2.7: the first request with the key is not
  // answered yet (409); the key was used for another request (422).
  idempotency_key_in_use: 409,
  idempotency_key_reused: 422,
  // The key's todo (list) has been deleted since: not created again, and told apart from a
  // missing list.
  idempotency_key_todo_deleted: 404,
  idempotency_key_list_deleted: 404,
  request_timeout: 408,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  // Answered by `clientErrorHandler`, before any route: the request could not be read.
  request_header_fields_too_large: 431,
  rate_limited: 429,
  internal_error: 500,
  not_implemented: 501,
  // The admin's request was fine; the identity provider behind the API refused the API.
  idp_refused: 502,
  unavailable: 503,
  idp_unavailable: 503,
  // The database connection was lost after a write's COMMIT was sent: it may have been saved
  // (`db/write-outcome.ts`); `unavailable` promises that nothing was.
  write_outcome_unknown: 503,
} as const;

/** Stable codes of the API's own errors. */
export type ApiErrorCode = keyof typeof PROBLEM_STATUS;

/** RFC 9457 §3 problem details, typed from the one `Problem` schema the OpenAPI document shows. */
export type ProblemDetails = Static<typeof Problem>;

/** One offending input field, named as `body.title`, `querystring.limit`, `params.id`. */
export type FieldError = NonNullable<ProblemDetails['errors']>[number];

/**
 * The API's one error class; its status comes from {@link PROBLEM_STATUS} and the error
 * handler turns it into problem details.
 *
 * @example
 * ```ts
 * throw new ApiError('not_found', 'No such list');
 * throw new ApiError('validation_failed', 'body.issuer is not trusted', {
 *   errors: [{ field: 'body.issuer', message: 'is not a trusted issuer' }],
 * });
 * ```
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  /**
   * Set when the answer is an authorization denial the status does not show (a 404 for a
   * resource the caller holds no relation to): why, for the audit log only, never the client.
   */
  readonly denial: string | undefined;
  /** Response header fields the answer carries (e.g. `Accept-Encoding` on a refused coding). */
  readonly headers: Readonly<Record<string, string>> | undefined;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    options?: {
      errors?: FieldError[];
      cause?: unknown;
      denial?: string;
      headers?: Readonly<Record<string, string>>;
    },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = PROBLEM_STATUS[code];
    this.errors = options?.errors;
    this.denial = options?.denial;
    this.headers = options?.headers;
  }
}

/** The RFC 9457 body of one of the API's codes, with the status the table gives it. */
export function problem(
  code: ApiErrorCode,
  detail?: string,
  errors?: FieldError[],
): ProblemDetails {
  return problemBody(PROBLEM_STATUS[code], code, detail, errors);
}

/** The body of an {@link ApiError}. */
export function problemOf(error: ApiError): ProblemDetails {
  return problemBody(error.status, error.code, error.message, error.errors);
}

/**
 * An RFC 9457 body for any status and code, for failures whose status another component chose
 * (a Fastify plugin's 4xx); `type` is a URN per code, like the auth package's.
 */
export function problemBody(
  status: number,
  code: string,
  detail?: string,
  errors?: FieldError[],
): ProblemDetails {
  return {
    type: `urn:todo-sso:problem:${code.replaceAll('_', '-')}`,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    code,
    ...(detail !== undefined && { detail }),
    ...(errors !== undefined && errors.length > 0 && { errors }),
  };
}

/** RFC 9457 §3: the media type of a problem-details body. */
export const PROBLEM_JSON = 'application/problem+json';
