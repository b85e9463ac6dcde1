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
    exact: true,
  };
}

/**
 * `DELETE /admin/idp/users/{id}/roles/{role}`: the role (or permission) removed at the identity
 * provider, then the person's access tokens issued up to now refused here, on every instance,
 * in the audit record's transaction ({@link cutOff}): a token still carrying the role would
 * otherwise keep its power until it expires (5 minutes by default). The person stays signed in:
 * their client refreshes (the 401 says `token_revoked`), and the provider's new token, without
 * the role, passes at once (`exact`: no clock allowance that would refuse it too). When the
 * provider's answer is lost the tokens are refused all the same (fail closed) and the answer is
 * a 503 saying so. A person or role the provider does not have is a 404 that writes nothing.
 * Granting needs none of this: a token without the role asks for less.
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
  const subjects = revoked.map((r) => ({ issuer: r.issuer, sub: r.value, notBefore: r.notBefore }));
  return readBackOrGone(context.idpAdmin.require(), id, `The removal of ${role}`, subjects);
}
