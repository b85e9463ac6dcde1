import createClient from 'openapi-fetch';
import { withDeadline } from '../deadline.js';
import { CliError } from '../errors.js';
import type { Io } from '../io.js';
import { whatToCheck, whyUnanswered } from '../net-failure.js';
import { inline } from '../output/terminal.js';
import type { Session } from '../session.js';
import { neverSent } from '../write-outcome.js';
import { challengeError, type Refusal } from './refusal.js';
import { unavailableLine } from './retry-after.js';
import type { paths } from './schema.gen.js';

/** How long a request waits for the API's answer (its status and headers) by default. */
export const API_TIMEOUT_MS = 30_000;

/** The typed API client: paths, parameters and bodies come from the API's OpenAPI document. */
export type ApiClient = ReturnType<typeof createClient<paths>>;

/**
 * The API's answer to `attempt`, read to the end, or `api_unreachable` saying why there is none.
 * A silent API is given up at the deadline (Node's fetch would wait five minutes for the
 * headers); the caller's signal `given` (todo add's shorter deadline) aborts the request too.
 * The body is read here, under both, so an answer that stops halfway is given up as well and no
 * read of it outlives the command.
 */
async function answerOf(
  io: Io,
  apiUrl: string,
  attempt: Request,
  given: AbortSignal,
): Promise<Response> {
  const waitMs = io.requestTimeoutMs ?? API_TIMEOUT_MS;
  try {
    return await withDeadline(waitMs, async (signal) => {
      const response = await io.fetch(attempt, { signal: AbortSignal.any([signal, given]) });
      // RFC 9110 §15.3.5, §15.4.5: no content for 204 and 304 (nor for 205, §15.3.6).
      const empty = [204, 205, 304].includes(response.status);
      const body = empty ? null : await response.arrayBuffer();
      const { status, statusText, headers } = response;
      return new Response(body, { status, statusText, headers });
    });
  } catch (cause) {
    const timedOut = (cause as { name?: unknown } | undefined)?.name === 'TimeoutError';
    const why = timedOut ? ` (no answer within ${waitMs / 1000} s)` : whyUnanswered(cause);
    // A change that may have reached the API is not said to have found nobody there: only its
    // answer is known to be missing (the command says what that means for the change).
    const write = !['GET', 'HEAD', 'OPTIONS'].includes(attempt.method);
    throw new CliError(
      'api_unreachable',
      write && !neverSent(cause)
        ? `The API at ${apiUrl} did not answer${timedOut ? ` within ${waitMs / 1000} s` : why} after the request was sent`
        : `The API at ${apiUrl} cannot be reached${why}; ${whatToCheck(cause, 'the API', '--api (TODO_API_URL)')}`,
      { cause },
    );
  }
}

/**
 * A fetch that sends the session's access token — `Bearer` (RFC 6750 §2.1), or for a DPoP-bound
 * one `DPoP` with a fresh proof for the request's method and URI and the token's hash (RFC 9449
 * §7.1) — and, when the API answers 401 `invalid_token` (expired, or revoked in the meantime),
 * refreshes once and retries. A 401 `use_dpop_nonce` with a new `DPoP-Nonce` is retried once
 * with that nonce (§9), which later proofs to the API carry too. The request's signal ends
 * every step of it: a request given up leaves no refresh, retry or connection behind.
 */
export function authenticatedFetch(io: Io, session: Session): typeof fetch {
  const send = async (request: Request, signal: AbortSignal, refused?: Refusal) => {
    const attempt = request.clone();
    const { accessToken: token, dpop } = await session.credentials(refused, signal);
    if (dpop === undefined) attempt.headers.set('authorization', `Bearer ${token}`);
    else {
      attempt.headers.set('authorization', `DPoP ${token}`);
      attempt.headers.set('dpop', dpop.proof(request.method, request.url, { accessToken: token }));
    }
    const response = await answerOf(io, session.settings.apiUrl, attempt, signal);
    const freshNonce = dpop?.rememberNonce(request.url, response.headers);
    return { token, response, freshNonce };
  };
  const challenge = (response: Response) => response.headers.get('www-authenticate') ?? '';
  /** One request, retried once when the API asks for a nonce it has just given (§9). */
  const sendWithNonce = async (request: Request, signal: AbortSignal, refused?: Refusal) => {
    const first = await send(request, signal, refused);
    if (
      first.response.status === 401 &&
      first.freshNonce !== undefined &&
      /\buse_dpop_nonce\b/.test(challenge(first.response))
    ) {
      await first.response.body?.cancel();
      return send(request, signal, refused);
    }
    return first;
  };
  return async (input, init) => {
    const request = new Request(input, init);
    // The caller's signal, passed on by hand to every step (the refresh, the nonce retry, the
    // retry after a refresh): a copied Request follows it only through a weak reference.
    const source = input instanceof Request ? input : request;
    const signal = init?.signal ?? source.signal;
    try {
      const { token, response } = await sendWithNonce(request, signal);
      if (
        response.status === 401 &&
        challenge(response).includes('invalid_token') &&
        session.load()?.refreshToken !== undefined
      ) {
        await response.body?.cancel();
        const error = challengeError(challenge(response));
        const refusal = { accessToken: token, ...(error === undefined ? {} : { error }) };
        return notTheApi((await sendWithNonce(request, signal, refusal)).response);
      }
      return notTheApi(response);
    } finally {
      // A Request's signal follows the one it was made with only while that Request lives
      // (undici links them through a weak reference): it is held until the answer is read.
      keepUntilHere(source);
    }
  };
  /**
   * Every answer of the API but 204 is JSON, and every refusal (4xx) is a problem,
   * application/problem+json (RFC 9457 §3): anything else comes from something that is not the
   * API — a web server's page, the identity provider (whose 404 for the API's paths is plain
   * JSON), a proxy — and is said so, instead of failing in the JSON parser or passing on a bare
   * "Not Found" as if the API had said it.
   */
  async function notTheApi(response: Response): Promise<Response> {
    const type = response.headers.get('content-type') ?? '';
    const { status } = response;
    const shown = inline(type.split(';')[0] ?? '', 100) || 'no content type';
    if (status >= 400 && status < 500 && /\bjson\b/i.test(type) && !isProblem(type)) {
      await response.body?.cancel().catch(() => {});
      throw new CliError(
        'api_error',
        `${session.settings.apiUrl} answered HTTP ${status} with ${shown}, not the API's problem details (application/problem+json); is --api (TODO_API_URL) the todo-sso API?`,
      );
    }
    if (status === 204 || status >= 500 || /\bjson\b/i.test(type)) return response;
    await response.body?.cancel().catch(() => {});
    throw new CliError(
      'api_error',
      `${session.settings.apiUrl} answered HTTP ${status} with ${shown}, not the API's JSON; is --api (TODO_API_URL) the todo-sso API?`,
    );
  }
}

/** Holds its arguments up to the call (see authenticatedFetch). */
function keepUntilHere(..._held: unknown[]): void {}

/** Creates the typed client for the session's API. */
export function apiClient(io: Io, session: Session): ApiClient {
  return createClient<paths>({
    baseUrl: session.settings.apiUrl,
    fetch: authenticatedFetch(io, session),
  });
}

/** An RFC 9457 problem body, as far as the CLI reads it. */
interface Problem {
  title?: string;
  detail?: string;
  code?: string;
  errors?: { field: string; message: string }[];
  /** With the API's AUTH_EXPLAIN: what it expected and what the token carried. */
  expected?: string;
  received?: string;
}

/**
 * The data of a successful call, or a {@link CliError} carrying the problem's `detail` (and
 * every field error) for a refused one.
 */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  const { response } = result;
  if (response.ok) return result.data as T;
  const problem = (result.error ?? {}) as Problem;
  // Each piece is the API's text: one line each, without control characters (see terminal.ts).
  const text = (value: unknown) => inline(String(value));
  if (problem.code === 'route_not_found')
    throw new CliError('route_missing', `The API has no such route: ${text(problem.detail ?? '')}`);
  const fields = (Array.isArray(problem.errors) ? problem.errors : []).map(
    (e) => `${text(e?.field)}: ${text(e?.message)}`,
  );
  if (problem.expected !== undefined) fields.push(`expected: ${text(problem.expected)}`);
  if (problem.received !== undefined) fields.push(`received: ${text(problem.received)}`);
  const detail = text(problem.detail ?? problem.title ?? response.statusText);
  const said = [
    `${detail} (HTTP ${response.status}${problem.code ? `, ${text(problem.code)}` : ''})`,
    ...fields,
  ].join('\n  ');
  // A 503 (the API, the database or the identity provider behind it unavailable) says when to
  // try again, by its Retry-After.
  throw new CliError(
    response.status === 404 ? 'not_found' : 'api_error',
    response.status === 503 ? `${said}\n${unavailableLine(response)}` : said,
    {
      status: response.status,
      ...(typeof problem.code === 'string' && { problem: problem.code }),
    },
  );
}

/** An RFC 9457 problem's media type (`application/problem+json`, any parameters). */
function isProblem(contentType: string): boolean {
  return /^\s*application\/problem\+json\s*(;|$)/i.test(contentType);
}
