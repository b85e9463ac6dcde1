import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { cutOff, SESSIONS_ENDED } from './change.js';
import { refuseGone } from './gone.js';
import type { IdpAdmin } from './idp-admin.js';

/** What happened at the identity provider when a person's sessions were to end there. */
export interface IdpSessionsOutcome {
  readonly sessionsEnded: boolean;
  readonly detail: string;
}

/**
 * Ends a subject's sessions at the identity provider after the API has revoked their tokens
 * (Keycloak `POST /admin/realms/{realm}/users/{id}/logout`, which also invalidates their
 * refresh tokens and sends back-channel logout). Never throws: the API-side revocation has
 * already happened, and the answer says plainly what did not.
 */
export async function endIdpSessions(
  idp: IdpAdmin,
  issuers: readonly string[],
  sub: string,
): Promise<IdpSessionsOutcome> {
  const service = idp.service;
  if (service === undefined)
    return {
      sessionsEnded: false,
      detail: `Tokens issued until now are refused by the API, but the identity provider's sessions and refresh tokens were not ended: ${idp.unsupported ?? ''} Until then a refresh token can obtain new access tokens.`,
    };
  if (!issuers.includes(service.target.issuer))
    return {
      sessionsEnded: false,
      detail: `Tokens issued until now are refused by the API; ${service.target.issuer} was not part of this revocation, so no identity-provider session was ended.`,
    };
  try {
    await service.logout(sub);
    return {
      sessionsEnded: true,
      detail: `Every session of the person at ${service.target.issuer} ended: refresh tokens no longer work and a new sign-in is needed.`,
    };
  } catch (e) {
    const status = (e as { status?: number }).status;
    return {
      sessionsEnded: false,
      detail:
        status === 404
          ? 'Tokens issued until now are refused by the API; the identity provider has no user with this subject, so no session was ended there.'
          : `Tokens issued until now are refused by the API, but the identity provider's sessions could not be ended (${(e as Error).message}). Retry: until then a refresh token can obtain new access tokens.`,
    };
  }
}

/**
 * `POST /admin/idp/users/{id}/logout`: the person's sessions ended at the identity provider,
 * then their current access tokens refused here with the audit record ({@link cutOff}).
 *
 * A person the provider answers it does not have (404), deleted there meanwhile, still holds
 * the access tokens it issued them: when the API has seen them, those tokens are refused all
 * the same ({@link refuseGone}), and the answer is a success saying no session was left to end
 * there. An id the API has never seen either is a plain 404 that changes and records nothing.
 */
export async function endSessions(context: AppContext, request: FastifyRequest, id: string) {
  const issuer = context.idpAdmin.require().target.issuer;
  try {
    const stored = await cutOff(context, request, id, (idp) => idp.logout(id));
    const detail = `Every session of the person at ${issuer} ended: refresh tokens no longer work and a new sign-in is needed.`;
    return { stored, sessionsEnded: true, detail };
  } catch (error) {
    const stored = await refuseGone(context, request, id, error, SESSIONS_ENDED);
    if (stored === undefined) throw error;
    const detail = `${issuer} no longer has this person (deleted there), so no session was left to end; the access tokens it issued them before are refused here.`;
    return { stored, sessionsEnded: false, detail };
  }
}
