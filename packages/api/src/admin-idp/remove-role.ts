import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { cutOff, type Refusal } from './change.js';
import { type IdpUserGone, readBackOrGone } from './read-back.js';
import type { IdpUser } from './service.js';

/** The one audit record of a role removed, with the person's current tokens refused. */
function removal(role: string): Refusal {
  return {
    action: 'idp.role.remove',
    detail: role,
    made: `The removal of ${role} was made`,
    unconfirmed: `The removal of ${role} may have been made`,
    next: "the person's current access tokens still carry it here, so remove it again",
    role,
  };
}

/**
 * `DELETE /admin/idp/users/{id}/roles/{role}`: the role (or permission) removed at the identity
 * provider, then the person's access tokens that still carry it refused here, on every
 * instance, in the audit record's transaction ({@link cutOff}; `RevocationStore.revokeRole`): they
 * would otherwise keep its power until they expire (5 minutes by default). No `iat` is compared,
 * so the provider's clock changes nothing: the person stays signed in, their client refreshes
 * (the 401 says `token_revoked`), and the provider's new token, without the role, passes at
 * once. When the provider's answer is lost the tokens carrying it are refused all the same
 * (fail closed) and the answer is a 503 saying so. A person or role the provider does not have
 * is a 404 that writes nothing. Granting the role again lifts this (`grant-role.ts`).
 */
export async function removeRole(
  context: AppContext,
  request: FastifyRequest,
  id: string,
  role: string,
): Promise<IdpUser | IdpUserGone> {
  const refusal = removal(role);
  const revoked = await cutOff(
    context,
    request,
    id,
    (service) => service.setRole(id, role, false),
    refusal,
  );
  // The role's revocation, once (also the subject's, for the release before, meanwhile).
  const subjects = revoked
    .filter((r) => r.kind === 'role')
    .map((r) => ({ issuer: r.issuer, sub: id, notBefore: r.notBefore }));
  return readBackOrGone(context.idpAdmin.require(), id, `The removal of ${role}`, subjects);
}
