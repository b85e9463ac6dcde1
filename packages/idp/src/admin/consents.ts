import { revokeGrant } from '../sessions/end.js';
import { type AdminCall, type AdminContext, AdminError } from './context.js';
import { userOf } from './users.js';

interface StoredGrant {
  accountId?: string;
  clientId?: string;
}

/**
 * `GET /users/{id}/consents`: Keycloak's `UserConsentRepresentation`s (dates in epoch
 * milliseconds), one per client the person allowed.
 */
export function listConsents(ctx: AdminContext, call: AdminCall) {
  const user = userOf(ctx, call.params[0]);
  return ctx.consents.list(user.id).map((c) => ({
    clientId: c.clientId,
    grantedClientScopes: [...c.scopes],
    createdDate: c.createdDate,
    lastUpdatedDate: c.lastUpdatedDate,
    additionalGrants: [],
  }));
}

/**
 * `DELETE /users/{id}/consents/{client}`: revokes the person's consent to a client and, as
 * Keycloak does, what the client holds under it: every grant of that client for that person
 * ends, with its authorization codes, access tokens and refresh tokens (a refresh is then
 * `invalid_grant`). The next sign-in of the client asks for consent again. 404 when there was
 * neither a consent nor a grant (Keycloak: "Consent nor offline token not found").
 */
export async function revokeConsent(ctx: AdminContext, call: AdminCall): Promise<void> {
  const user = userOf(ctx, call.params[0]);
  const clientId = call.params[1] ?? '';
  const revoked = ctx.consents.revoke(user.id, clientId);
  const grants = [...ctx.store.entries('Grant:')].filter(([, g]) => {
    const grant = g as StoredGrant;
    return grant.accountId === user.id && grant.clientId === clientId;
  });
  await Promise.all(grants.map(([id]) => revokeGrant(ctx.provider, id)));
  if (!revoked && grants.length === 0)
    throw new AdminError(404, { error: 'Consent nor offline token not found' });
}
