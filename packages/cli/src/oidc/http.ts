import { CliError } from '../errors.js';
import { inline } from '../output/terminal.js';

/** An OAuth 2.0 error response (RFC 6749 §5.2, RFC 8628 §3.5). */
export interface OAuthError {
  readonly error: string;
  readonly error_description?: string;
}

/** POSTs an `application/x-www-form-urlencoded` body and reads a JSON answer. */
export async function postForm(
  fetchImpl: typeof fetch,
  url: string,
  form: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (cause) {
    throw new CliError('idp_unreachable', `The identity provider at ${url} cannot be reached`, {
      cause,
    });
  }
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed !== null && typeof parsed === 'object') body = parsed as Record<string, unknown>;
  } catch {
    // Logout and revocation answer with an empty body.
  }
  return { status: response.status, body };
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
