import { CliError } from '../errors.js';
import type { Io } from '../io.js';
import type { ProviderMetadata } from './discovery.js';
import type { DpopKey } from './dpop.js';
import { tokenRequest } from './http.js';

/** What sign-out achieved at the provider. */
export interface LogoutOutcome {
  /** The provider's session ended (Keycloak's logout endpoint accepted the refresh token). */
  readonly sessionEnded: boolean;
  /** The refresh token was revoked (RFC 7009). */
  readonly revoked: boolean;
  /** The provider answered at all; false when it could not be reached. */
  readonly reachable: boolean;
}

/** The HTTP status of a sign-out request, or undefined when the provider did not answer. */
async function statusOf(io: Io, url: string, form: Record<string, string>, dpop?: DpopKey) {
  try {
    return (await tokenRequest(io.fetch, url, form, dpop)).status;
  } catch (e) {
    if (e instanceof CliError && e.code === 'idp_unreachable') return undefined;
    throw e;
  }
}

/**
 * Ends the session at the provider. Keycloak's end-session endpoint takes a POST with
 * `client_id` and `refresh_token` from scripts and ends the whole session (which sends back-
 * channel logout tokens to the API); providers whose end-session endpoint is for browsers only
 * (Authentik) refuse that, and the refresh token is then revoked (RFC 7009 §2.1), which is also
 * done after a Keycloak logout in case the session outlives it. Each step is tried whatever the
 * other gave: a provider that does not answer one may answer the other. A refresh token bound to
 * a DPoP key (RFC 9449 §5) is presented with a proof by that key: Keycloak's logout endpoint
 * checks it for a public client's bound refresh token, as its token endpoint does.
 */
export async function endSession(
  io: Io,
  metadata: ProviderMetadata,
  clientId: string,
  refreshToken: string,
  dpop?: DpopKey,
): Promise<LogoutOutcome> {
  let sessionEnded = false;
  let reachable = false;
  if (metadata.end_session_endpoint !== undefined) {
    const status = await statusOf(
      io,
      metadata.end_session_endpoint,
      {
        client_id: clientId,
        refresh_token: refreshToken,
      },
      dpop,
    );
    // Keycloak answers 204; a browser-only endpoint answers a page (200) without ending anything.
    sessionEnded = status === 204;
    reachable ||= status !== undefined;
  }
  let revoked = false;
  if (metadata.revocation_endpoint !== undefined) {
    const status = await statusOf(
      io,
      metadata.revocation_endpoint,
      { client_id: clientId, token: refreshToken, token_type_hint: 'refresh_token' },
      dpop,
    );
    // RFC 7009 §2.2: 200 also for a token that was already invalid.
    revoked = status === 200;
    reachable ||= status !== undefined;
  }
  return { sessionEnded, revoked, reachable };
}
