import type { IdpAdmin } from '../admin-idp/idp-admin.js';
import { ApiError } from '../http/problem.js';

/** What happened at the identity provider when an agent's grant was to end there. */
export interface IdpGrantOutcome {
  readonly grantEnded: boolean;
  readonly detail: string;
  /**
   * The provider was asked and did not end the grant (unreachable, or it refused the API): the
   * agent's tokens are then all refused until it does (`AgentGrantEnds`).
   */
  readonly pending?: true;
  /** Why the provider did not end it, for the pending row (not for the person's answer). */
  readonly reason?: string;
}

/**
 * Ends an agent's consent and grant at the identity provider, after the API has refused its
 * tokens (Keycloak `DELETE /users/{id}/consents/{client}`): its refresh tokens stop working and
 * its next sign-in asks the person again. A provider without the call is said so in the answer.
 * One that cannot be reached or refuses leaves the grant `pending`: the caller then refuses
 * every token of the agent and keeps asking (fail closed), and the detail says so.
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
    const why =
      error instanceof ApiError && error.status !== 503
        ? 'refused to end its grant'
        : 'could not be reached to end its grant';
    return {
      grantEnded: false,
      pending: true,
      reason: (error as Error).message,
      detail: `The identity provider ${why}, so the agent's refresh token may still obtain new access tokens there. The API refuses every token of the agent, new ones included, and keeps asking the provider to end the grant; once it has, you can allow the agent again.`,
    };
  }
}
