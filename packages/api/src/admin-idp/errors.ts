import { connectionNeverMade } from '@todo-sso/auth';
import { ApiError } from '../http/problem.js';
import { AdminClientUnavailable, loadedAdminClientModule } from './client-module.js';
import { TokenError } from './connection.js';
import { oneLine } from './provider-text.js';

/**
 * Whether the failed call cannot have reached the IdP's admin API: the service account's token
 * was not obtained, or no connection was made (`connectionNeverMade`). Anything else (a timeout, a connection closed or
 * reset, a 5xx from the IdP or a gateway, an answer that is not JSON) may come after the IdP
 * acted.
 */
function neverSent(error: unknown): boolean {
  if (error instanceof TokenError || error instanceof AdminClientUnavailable) return true;
  return connectionNeverMade(error);
}

/**
 * An Admin REST API failure as the API answers it (RFC 9457 problem details): the IdP
 * unreachable or failing is 503 (never 500); a taken username 409; an unknown user 404; the
 * IdP refusing the API's own service account (missing `realm-management` roles) or not serving
 * the call at all 502, since the admin's request was fine and the fault is between the API and
 * the IdP. The admin client library failing to load is 503 too, saying so. For a `change`, a
 * 503 says that nothing was changed only when the IdP cannot have received the call; otherwise
 * that the change may have been made (its answer was lost), so the admin looks before retrying.
 */
export function idpError(
  error: unknown,
  what: string,
  userScoped = true,
  change = false,
): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof AdminClientUnavailable)
    return new ApiError('idp_unavailable', `${what}: ${error.message}`, { cause: error });
  // Only a loaded library can have thrown one of its own errors.
  const NetworkError = loadedAdminClientModule()?.NetworkError;
  if (error instanceof TokenError && error.status >= 400 && error.status < 500)
    return new ApiError(
      'idp_refused',
      `${what}: the identity provider refused the API's client credentials (OIDC_CLIENT_ID / OIDC_CLIENT_SECRET, or the issuer's clientId / clientSecret in OIDC_ISSUERS)`,
      { cause: error },
    );
  if (NetworkError !== undefined && error instanceof NetworkError) {
    const status = error.response.status;
    const message = idpMessage(error.responseData);
    if (status === 409)
      return new ApiError('conflict', `${what}: ${message ?? 'already exists'}`, { cause: error });
    if (status === 404 && userScoped)
      return new ApiError('not_found', `${what}: no such user at the identity provider`);
    if (status === 404)
      return new ApiError(
        'idp_refused',
        `${what}: the identity provider does not serve this admin call (is IDP_ADMIN_URL right?)`,
        { cause: error },
      );
    if (status === 400) {
      const errors = profileErrors(error.responseData);
      return new ApiError(
        'invalid_request',
        `${what}: ${message ?? 'refused as invalid'}`,
        errors && { errors },
      );
    }
    if (status === 401)
      return new ApiError(
        'idp_refused',
        `${what}: the identity provider refused the API's service-account token, a newly obtained one too (is the admin API of the realm the token is from?)`,
        { cause: error },
      );
    if (status === 403)
      return new ApiError(
        'idp_refused',
        `${what}: the identity provider refused the API's service account (it needs the realm-management roles view-users, manage-users, query-groups and view-clients)`,
        { cause: error },
      );
  }
  if (change && !neverSent(error))
    return new UnconfirmedChange(
      'idp_unavailable',
      `${what}: the identity provider did not confirm it, so the change may have been made: reload to check before trying again`,
      { cause: error },
    );
  return new ApiError(
    'idp_unavailable',
    `${what}: the identity provider is unreachable or failing; nothing was changed by this request`,
    { cause: error },
  );
}

/**
 * A change the IdP did not confirm but may have made (its answer lost, a timeout, a 5xx after
 * the call left): 503, saying so. A caller that cuts a person off acts on it as made.
 */
export class UnconfirmedChange extends ApiError {}

/** Where the API's request body names what Keycloak's user profile names `field`. */
const BODY_FIELDS: Readonly<Record<string, string>> = {
  username: 'body.username',
  email: 'body.email',
  firstName: 'body.firstName',
  lastName: 'body.lastName',
  department: 'body.department',
};

/**
 * Keycloak's user-profile refusal (`{"field", "errorMessage", "params"}`, or several under
 * `errors`) as the problem's field errors, when the field is one the admin sent. The provider's
 * words are one bounded line each ({@link oneLine}), and at most {@link PROFILE_ERRORS_MAX} of
 * them are repeated, however many it sent.
 */
function profileErrors(data: unknown): { field: string; message: string }[] | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const d = data as { errors?: unknown };
  const list: unknown[] = Array.isArray(d.errors) ? d.errors : [data];
  const errors: { field: string; message: string }[] = [];
  for (const raw of list) {
    if (errors.length === PROFILE_ERRORS_MAX) break;
    if (raw === null || typeof raw !== 'object') continue;
    const e = raw as { field?: unknown; errorMessage?: unknown; params?: unknown };
    const field = typeof e.field === 'string' ? BODY_FIELDS[e.field] : undefined;
    if (field === undefined || typeof e.errorMessage !== 'string') continue;
    const params = Array.isArray(e.params) ? e.params.slice(1).map(String) : [];
    const detail = params.length > 0 ? `${e.errorMessage}: ${params.join(', ')}` : e.errorMessage;
    const message = `is refused by the identity provider (${oneLine(detail, IDP_MESSAGE_MAX)})`;
    errors.push({ field, message });
  }
  return errors.length > 0 ? errors : undefined;
}

/** How many of the provider's field refusals an answer repeats (one per field it names, and some). */
const PROFILE_ERRORS_MAX = 10;

/** How much of the provider's own message an answer repeats (`oneLine`). */
const IDP_MESSAGE_MAX = 200;

/**
 * The message of Keycloak's JSON error body, as one bounded line. A body that is not JSON (a
 * gateway's or proxy's page) is not repeated: it is not the provider's answer, and could hold
 * anything the gateway saw.
 */
function idpMessage(data: unknown): string | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const d = data as Record<string, unknown>;
  const m = d.errorMessage ?? d.error_description ?? d.error;
  return typeof m === 'string' ? oneLine(m, IDP_MESSAGE_MAX) : undefined;
}
