import { withDeadline } from '../deadline.js';
import { CliError } from '../errors.js';
import { whyUnanswered } from '../net-failure.js';
import { inline } from '../output/terminal.js';
import type { DpopKey } from './dpop.js';

/** An OAuth 2.0 error response (RFC 6749 §5.2, RFC 8628 §3.5). */
export interface OAuthError {
  readonly error: string;
  readonly error_description?: string;
}

/** More than any metadata document or token response; a longer answer is not read on. */
const MAX_BODY_BYTES = 1 << 20;

/**
 * The provider's answer as a JSON object (undefined when it is not one), reading at most 1 MiB:
 * an endless or huge answer is cut off, not kept in memory. An answer that breaks off or outlasts
 * the request's timeout means the provider stopped answering (`idp_unreachable`).
 */
export async function readJson(
  response: Response,
  url: string,
): Promise<Record<string, unknown> | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    if (response.body !== null)
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          await response.body.cancel().catch(() => {});
          throw new CliError(
            'idp_error',
            `The identity provider at ${url} answered with more than ${MAX_BODY_BYTES >> 20} MiB`,
          );
        }
        chunks.push(chunk);
      }
  } catch (cause) {
    if (cause instanceof CliError) throw cause;
    throw new CliError('idp_unreachable', `The identity provider at ${url} stopped answering`, {
      cause,
    });
  }
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** How long a request to the provider may take, its answer read to the end. */
const IDP_TIMEOUT_MS = 15_000;

/**
 * POSTs an `application/x-www-form-urlencoded` body and reads a JSON answer, within
 * {@link IDP_TIMEOUT_MS} (a deadline that holds its controller, see `withDeadline`) and until
 * `signal` aborts: the caller giving up (todo add's deadline) ends the request and closes its
 * connection. A redirect is not followed: a 307 or 308 would send the same body — a device code,
 * a refresh token — to wherever it points (RFC 9700 §4.12), so it is an answer like any other
 * status.
 */
export async function postForm(
  fetchImpl: typeof fetch,
  url: string,
  form: Record<string, string>,
  extraHeaders: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  return withDeadline(IDP_TIMEOUT_MS, async (deadline) => {
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: 'POST',
        headers: {
          ...extraHeaders,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams(form).toString(),
        redirect: 'manual',
        signal: signal === undefined ? deadline : AbortSignal.any([deadline, signal]),
      });
    } catch (cause) {
      throw new CliError(
        'idp_unreachable',
        `The identity provider at ${url} cannot be reached${whyUnanswered(cause)}`,
        { cause },
      );
    }
    // Logout and revocation answer with an empty body, a redirect with none that matters.
    const body = (await readJson(response, url)) ?? {};
    return { status: response.status, body, headers: response.headers };
  }).catch((e: unknown) => {
    if (e instanceof CliError) throw e;
    // The deadline passed first: said as fetch's own timeout would be.
    throw new CliError(
      'idp_unreachable',
      `The identity provider at ${url} cannot be reached${whyUnanswered(e)}`,
      { cause: e },
    );
  });
}

/**
 * A token request (RFC 6749 §3.2), with a DPoP proof by `dpop` when given (RFC 9449 §5): fresh
 * for each request, carrying the provider's latest nonce. A provider that asks for a nonce
 * (400 `use_dpop_nonce` with a `DPoP-Nonce` header, §8) gets the request once more with it;
 * a second demand is its answer. `signal` ends either send when the caller gives up.
 */
export async function tokenRequest(
  fetchImpl: typeof fetch,
  url: string,
  form: Record<string, string>,
  dpop?: DpopKey,
  signal?: AbortSignal,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const send = () =>
    postForm(fetchImpl, url, form, dpop ? { dpop: dpop.proof('POST', url) } : {}, signal);
  let answer = await send();
  if (dpop === undefined) return answer;
  const fresh = dpop.rememberNonce(url, answer.headers);
  if (
    fresh !== undefined &&
    answer.status === 400 &&
    oauthError(answer.body)?.error === 'use_dpop_nonce'
  ) {
    answer = await send();
    dpop.rememberNonce(url, answer.headers);
  }
  return answer;
}

/** The OAuth error in a response body, if any. */
export function oauthError(body: Record<string, unknown>): OAuthError | undefined {
  if (typeof body.error !== 'string') return undefined;
  return {
    error: body.error,
    ...(typeof body.error_description === 'string'
      ? { error_description: body.error_description }
      : {}),
  };
}

/** A readable sentence for an OAuth error: the provider's words, on one line, quoted safely. */
export function describeOAuthError(e: OAuthError): string {
  return inline(e.error_description ? `${e.error}: ${e.error_description}` : e.error);
}
