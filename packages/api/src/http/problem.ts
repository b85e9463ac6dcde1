import { STATUS_CODES } from 'node:http';

/** Stable codes of the API's own errors (auth errors carry the auth package's codes). */
export type ApiErrorCode =
  | 'invalid_request'
  | 'validation_failed'
  | 'not_found'
  | 'forbidden'
  | 'conflict'
  | 'precondition_failed'
  | 'route_not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'insufficient_scope'
  | 'unavailable'
  | 'conflict'
  | 'not_implemented'
  | 'idp_unavailable'
  | 'idp_refused'
  | 'internal_error';

/** One offending input field, named as `body.title`, `querystring.limit`, `params.id`. */
export interface FieldError {
  field: string;
  message: string;
}

/** The API's one error class; the error handler turns it into problem details. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly errors?: FieldError[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** RFC 9457 §3 problem details; `type` is a URN per code, like the auth package's. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code?: string;
  errors?: FieldError[];
}

export function problem(
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
