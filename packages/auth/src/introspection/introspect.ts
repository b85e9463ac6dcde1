import type { ResolvedIssuer } from '../config.js';
import { AuthError } from '../errors.js';
import { clientBasicAuth } from '../http/client-basic-auth.js';
import { fetchJson, IdpHttpError } from '../http/fetch-json.js';

/** What the introspection call needs. */
export interface IntrospectionContext {
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
}

/**
 * The `detail` of every request refused because the provider refuses the API's own client: the
 * endpoint answered, so it is not down; the code stays `idp_unavailable` (503), since the API
 * cannot decide about any token until its credentials are fixed.
 */
export const CLIENT_REFUSED =
  "The identity provider refuses the API's client credentials for token introspection, so no token can be verified";

/**
 * Whether an introspection call failed because the provider refused the API's own client, not
 * because it could not be asked. RFC 7662 §2.1 requires client authentication; RFC 6749 §5.2
 * answers failed client authentication with `invalid_client` (401 for HTTP Basic, else 400),
 * and a client that may not introspect gets 401 or 403 (a token itself is never refused with a
 * status: an unusable token is `active: false`, §2.2).
 */
export function refusesClient(error: unknown): boolean {
  if (!(error instanceof IdpHttpError)) return false;
  if (error.status === 401 || error.status === 403) return true;
  return (
    error.status === 400 &&
    (error.oauthError === 'invalid_client' || error.oauthError === 'unauthorized_client')
  );
}

/**
 * Calls an RFC 7662 introspection endpoint (§2.1: POST form `token` + `token_type_hint`, client
 * authenticated). Returns the response members; `active: false` and any failure to get a clear
 * answer are distinguished: the first is `token_inactive` (401), the second `idp_unavailable` (503),
 * with {@link CLIENT_REFUSED} when the provider refused the API's client credentials.
 */
export async function callIntrospection(
  issuer: ResolvedIssuer,
  endpoint: string,
  token: string,
  ctx: IntrospectionContext,
): Promise<Record<string, unknown>> {
  if (issuer.clientId === undefined || issuer.clientSecret === undefined)
    throw new AuthError('idp_unavailable', 'Introspection is not configured for this issuer');
  let answer: Record<string, unknown>;
  try {
    answer = await fetchJson(endpoint, {
      fetch: ctx.fetch,
      timeoutMs: ctx.timeoutMs,
      init: {
        method: 'POST',
        headers: {
          authorization: clientBasicAuth(issuer.clientId, issuer.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
      },
    });
  } catch (cause) {
    throw new AuthError(
      'idp_unavailable',
      refusesClient(cause) ? CLIENT_REFUSED : 'The token introspection endpoint is unavailable',
      { cause },
    );
  }
  // RFC 7662 §2.2: `active` is REQUIRED and boolean; anything else is not a usable answer.
  if (typeof answer.active !== 'boolean')
    throw new AuthError('idp_unavailable', 'The introspection answer has no boolean "active"');
  if (!answer.active) throw new AuthError('token_inactive', 'The access token is not active');
  return answer;
}
