import type { FastifyRequest } from 'fastify';
import { writeAndAudit } from '../audit/write-and-audit.js';
import type { AppContext } from '../context.js';
import { actorOf, principalOf } from '../routes/principal.js';
import { madeButNotRecorded } from './change.js';
import { type IdpUserGone, readBackOrGone } from './read-back.js';
import type { IdpUser } from './service.js';

/**
 * `PUT /admin/idp/users/{id}/roles/{role}`: the role (or permission) granted at the identity
 * provider, then, in its audit record's transaction, an earlier removal of it lifted on every
 * instance (`RevocationStore.restoreRole`): the person's tokens carrying it, the next one
 * included, pass again. Without this, a role granted back within the revocation lifetime would
 * refuse every token of the person until that removal expired. A token without the role asks for
 * less: nothing is refused. When the provider's answer is lost nothing is lifted (fail closed).
 */
export async function grantRole(
  context: AppContext,
  request: FastifyRequest,
  id: string,
  role: string,
): Promise<IdpUser | IdpUserGone> {
  const service = context.idpAdmin.require();
  await service.setRole(id, role, true);
  const entry = {
    actor: actorOf(principalOf(request)),
    action: 'idp.role.grant',
    resource: `idp-user:${id}`,
    detail: role,
    requestId: request.id,
    at: context.clock.now(),
  };
  try {
    await context.revocations.restoreRole(service.target.issuer, id, role, (save) =>
      writeAndAudit(context.db, entry, save),
    );
  } catch (error) {
    throw madeButNotRecorded(request, error, `The grant of ${role} was made`, {
      action: entry.action,
      id,
    });
  }
  return readBackOrGone(service, id, `The grant of ${role}`);
}
