import { MAX_SHOWN_CHARACTERS, shownText } from '../ui/shown-text.js';
import { OriginRefusedError } from './cors-refusal.js';
import type { components } from './schema.gen.js';
import { stepUpChallengeOf } from './step-up-challenge.js';

/**
 * One error family for everything the API client can fail with, keyed by a stable `code`
 * that screens `switch` on to explain what happened instead of crashing.
 */
export type ApiErrorCode =
  /** 401 that survived a silent renewal: the session is over and sign-in is under way. */
  | 'session_expired'
  /** 401 `insufficient_user_authentication` (RFC 9470 §3): a stronger or fresher sign-in. */
  | 'step_up_required'
  /** 403 `insufficient_scope` (RFC 6750 §3.1) or an ownership/department rule. */
  | 'forbidden'
  | 'not_found'
  /** 412: the item changed since this page read it (If-Match, RFC 9110 §13.1.1). */
  | 'changed_elsewhere'
  /** 400/413/422: the server named the field it refused. */
  | 'invalid_input'
  /** 503 or 502/504: the API or the identity provider behind it is unavailable. */
  | 'unavailable'
  /** The request never got an answer (offline, DNS), or the API refuses this origin (CORS). */
  | 'network'
  | 'server';

/**
 * RFC 9457 problem details as the API sends them (`application/problem+json`): the type
 * generated from the API's `Problem` schema, plus extension members (RFC 9457 §3.2) some
 * responses add, such as `current` on a 412.
 */
export type ProblemDetails = components['schemas']['Problem'] & { [extension: string]: unknown };

/** A failed API call: HTTP status, stable code and the server's problem details. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly problem: ProblemDetails | undefined;
  /**
   * How long the API asked to wait before trying again (a 503's `Retry-After`, RFC 9110
   * §10.2.3 and §15.6.4), in milliseconds; undefined when it did not say.
   */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: ApiErrorCode,
    status: number,
    problem?: ProblemDetails,
    options?: { cause?: unknown; retryAfterMs?: number | undefined },
  ) {
    const advice = tryAgain(options?.retryAfterMs);
    super(
      (problem?.code === WRITE_OUTCOME_UNKNOWN ? MAYBE_SAVED : undefined) ??
        (code === 'unavailable' ? outageText(problem, advice) : serverText(problem)) ??
        refusalText(options?.cause) ??
        (code === 'unavailable'
          ? `The service is temporarily unavailable. ${advice}`
          : undefined) ??
        defaultMessage(code),
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.status = status;
    this.problem = problem;
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/**
 * The API's 503 for a write whose commit its database never confirmed (the connection lost
 * meanwhile): unlike every other 503, the change may have been saved. The app reads everything
 * it shows again after it (`createQueryClient`), so the screen shows what was saved.
 */
export const WRITE_OUTCOME_UNKNOWN = 'write_outcome_unknown';

/** What such a write says: never that nothing was saved. */
export const MAYBE_SAVED =
  'The server lost its connection to its database while saving this change, so it may or may not have been saved. What you see has been read again: check it before doing the change again.';

/** Whether `error` is the API's {@link WRITE_OUTCOME_UNKNOWN} answer. */
export function isWriteOutcomeUnknown(error: unknown): boolean {
  return error instanceof ApiError && error.problem?.code === WRITE_OUTCOME_UNKNOWN;
}

/**
 * When to try again, in words: by the API's `Retry-After` when it gave one (whole seconds,
 * rounded up; minutes from two minutes on), else "in a moment".
 */
function tryAgain(retryAfterMs: number | undefined): string {
  if (retryAfterMs === undefined) return TRY_AGAIN;
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return seconds < 120
    ? `Try again in ${seconds} s.`
    : `Try again in ${Math.ceil(seconds / 60)} minutes.`;
}

/**
 * RFC 9110 §10.2.3: `Retry-After` as delay-seconds or an HTTP-date, in milliseconds from now;
 * undefined without one or when it cannot be read.
 */
export function retryAfterMsOf(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The problem's own words (`detail`, else `title`) as the screen may show them, if any. */
function serverText(problem: ProblemDetails | undefined): string | undefined {
  for (const value of [problem?.detail, problem?.title]) {
    const text = typeof value === 'string' ? shownText(value) : '';
    if (text) return text;
  }
  return undefined;
}

/**
 * The API's own words for `error` (bounded, made safe), without the app's advice to try again:
 * for a screen that says itself what to do next.
 */
export function apiWords(error: ApiError): string {
  return serverText(error.problem) ?? error.message;
}

const TRY_AGAIN = 'Try again in a moment.';

/**
 * An outage in the API's own words ("The database is unavailable") still says that trying
 * again is the way on, and when (`advice`: by its `Retry-After`), as the app's own words for it
 * do; bounded as {@link serverText} is.
 */
function outageText(problem: ProblemDetails | undefined, advice: string): string | undefined {
  for (const value of [problem?.detail, problem?.title]) {
    if (typeof value !== 'string') continue;
    const whole = shownText(value);
    if (!whole) continue;
    if (/try again/i.test(whole)) return whole;
    // Room for a full stop, a space and the advice: the whole stays within the bound.
    const text = shownText(value, MAX_SHOWN_CHARACTERS - advice.length - 2);
    return `${/[.!?…]$/.test(text) ? text : `${text}.`} ${advice}`;
  }
  return undefined;
}

/** A request the browser refused for CORS says so (`network` code, its own words). */
function refusalText(cause: unknown): string | undefined {
  return cause instanceof OriginRefusedError ? cause.message : undefined;
}

function defaultMessage(code: ApiErrorCode): string {
  switch (code) {
    case 'session_expired':
      return 'Your session has ended. Signing you in again…';
    case 'step_up_required':
      return 'This needs you to confirm it is you with a stronger sign-in.';
    case 'forbidden':
      return 'You do not have permission to do this.';
    case 'not_found':
      return 'This item no longer exists.';
    case 'changed_elsewhere':
      return 'This item was changed elsewhere since you opened it.';
    case 'invalid_input':
      return 'The server refused the input.';
    case 'unavailable':
      return 'The service is temporarily unavailable. Try again in a moment.';
    case 'network':
      return 'Cannot reach the server. Check your connection and try again.';
    case 'server':
      return 'Something went wrong on the server.';
  }
}

/** Maps an HTTP status to the error code screens understand. */
export function codeForStatus(status: number): ApiErrorCode {
  if (status === 401) return 'session_expired';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 412) return 'changed_elsewhere';
  if (status === 400 || status === 413 || status === 422) return 'invalid_input';
  if (status === 502 || status === 503 || status === 504) return 'unavailable';
  return 'server';
}

/** Turns an openapi-fetch `error` body and response into an `ApiError`. */
export function toApiError(response: Response, body: unknown): ApiError {
  const problem = typeof body === 'object' && body !== null ? (body as ProblemDetails) : undefined;
  const stepUp =
    response.status === 401 && stepUpChallengeOf(response.headers.get('WWW-Authenticate'));
  const code = stepUp ? 'step_up_required' : codeForStatus(response.status);
  // The API lets the browser read Retry-After (CORS Access-Control-Expose-Headers).
  const retryAfterMs =
    response.status === 503 ? retryAfterMsOf(response.headers.get('Retry-After')) : undefined;
  return new ApiError(code, response.status, problem, { retryAfterMs });
}

/** True when the user should see `error.message` rather than a generic line. */
export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

/**
 * What went wrong with `error`, in the words a screen shows: for a session that ended, the app's
 * own (sign-in is under way; the API's 401 speaks of tokens), else the error's message.
 */
export function failureText(error: unknown): string {
  if (!isApiError(error)) return 'Something unexpected went wrong. Try again in a moment.';
  return error.code === 'session_expired' ? defaultMessage(error.code) : error.message;
}

/**
 * True when a create sent with an `Idempotency-Key` may be sent again with the same key: no
 * answer (status 0), the key still being processed (409) or an outage the API stands by (502,
 * 503, 504). The API answers a repeat with what it stored for the key, never a second copy.
 */
export function isRetriableCreate(error: unknown): boolean {
  return isApiError(error) && [0, 409, 502, 503, 504].includes(error.status);
}
