import type { IdpAdmin } from '../admin-idp/idp-admin.js';
import { ApiError } from '../http/problem.js';

/** What happened at the identity provider when an agent's grant was to end there. */
export interface IdpGrantOutcome {
  readonly grantEnded: boolean;
  readonly detail: string;
}

/**
 * Ends an agent's consent and grant at the identity provider, after the API has refused its
 * tokens (Keycloak `DELETE /users/{id}/consents/{client}`): its refresh tokens stop working and
 * its next sign-in asks the person again. A provider without the call is said so in the answer;
 * one that cannot be reached is a 503 (the API-side revocation stands, and a retry is safe).
 */
export async function endAgentGrant(
  idp: IdpAdmin,
  issuer: string,
  sub: string,
  clientId: string,
): Promise<IdpGrantOutcome> {
  const service = idp.service;
  if (service === undefined)
    return {
      grantEnded: false,
      detail: `The agent's tokens issued until now are refused by the API, but its grant at the identity provider was not ended: ${idp.unsupported ?? ''} Until then its refresh token can obtain new access tokens; end its access in the provider's console.`,
    };
  if (service.target.issuer !== issuer)
    return {
      grantEnded: false,
      detail: `The agent's tokens issued until now are refused by the API; its grant is at ${issuer}, whose admin API the API does not reach, so it was not ended there.`,
    };
  try {
    const ended = await service.revokeConsent(sub, clientId);
    return ended
      ? {
          grantEnded: true,
          detail: `The agent's consent and grant at ${issuer} ended: its refresh tokens no longer work, and its next sign-in asks you again.`,
        }
      : {
          grantEnded: false,
          detail: `The agent's tokens issued until now are refused by the API; ${issuer} held no consent or grant for it.`,
        };
  } catch (error) {
    if (error instanceof ApiError && error.status !== 503) throw error;
    throw new ApiError(
      'idp_unavailable',
      "The agent's tokens issued until now are refused by the API, but the identity provider could not be reached to end its grant, so its refresh token may still work: retry.",
      { cause: error },
    );
  }
}
