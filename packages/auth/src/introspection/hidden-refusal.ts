import { randomUUID } from 'node:crypto';
import type { ResolvedIssuer } from '../config.js';
import { AuthError } from '../errors.js';
import { clientBasicAuth } from '../http/client-basic-auth.js';
import { fetchJson, IdpHttpError } from '../http/fetch-json.js';
import type { KeyStore } from '../jwks/key-store.js';
import { CLIENT_REFUSED } from './introspect.js';

/** The token endpoint's answer said nothing about the client (an outage, no endpoint). */
export const NO_VERDICT = Symbol('no verdict');

/**
 * Whether a provider that answers a client it does not authenticate `{"active": false}` (Authentik:
 * providers/oauth2/views/introspection.py, `authenticate_provider`) accepts the API's client,
 * asked at its token endpoint, which compares the secret before anything else (token.py,
 * `TokenParams.__post_init__`): a refresh token grant with a refresh token no one holds answers
 * `invalid_client` (RFC 6749 §5.2) for a wrong secret or an unknown client, and `invalid_grant`
 * once the client authenticated. Nothing is issued. Returns `undefined` for accepted, the
 * refusal as `idp_unavailable` with {@link CLIENT_REFUSED}, or {@link NO_VERDICT}.
 */
export async function tokenEndpointVerdict(
  issuer: ResolvedIssuer,
  keys: KeyStore,
  http: { readonly fetch: typeof fetch; readonly timeoutMs: number },
): Promise<AuthError | undefined | typeof NO_VERDICT> {
  if (issuer.clientId === undefined || issuer.clientSecret === undefined) return NO_VERDICT;
  try {
    const endpoint = await keys.tokenEndpoint();
    if (endpoint === undefined) return NO_VERDICT;
    await fetchJson(endpoint, {
      ...http,
      init: {
        method: 'POST',
        headers: {
          authorization: clientBasicAuth(issuer.clientId, issuer.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: `probe-${randomUUID()}`,
        }).toString(),
      },
    });
    return NO_VERDICT;
  } catch (e) {
    if (!(e instanceof IdpHttpError)) return NO_VERDICT;
    // 400 `invalid_client` (Authentik), or 401 (RFC 6749 §5.2 with HTTP Basic).
    if (e.status === 401 || (e.status === 400 && e.oauthError === 'invalid_client'))
      return new AuthError('idp_unavailable', CLIENT_REFUSED, { cause: e });
    // `invalid_grant` or `unauthorized_client`: said only to a client that authenticated.
    if (
      e.status === 400 &&
      (e.oauthError === 'invalid_grant' || e.oauthError === 'unauthorized_client')
    )
      return undefined;
    return NO_VERDICT;
  }
}
