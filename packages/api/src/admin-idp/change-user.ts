import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { changeAuditReadBack, cutOff, type Refusal } from './change.js';
import { refuseGone } from './gone.js';
import { type IdpUserGone, readBackOrGone } from './read-back.js';
import type { IdpUser } from './service.js';

/**
 * `PATCH /admin/idp/users/{id}`: enabling, disabling, the department. A disabled person can no
 * longer sign in or refresh at the IdP, but access tokens it already issued stay valid until
 * they expire: disabling refuses them here too, on every instance, in the audit record's
 * transaction, so that it cuts the person off at once.
 *
 * Disabling a person the provider answers it does not have (deleted there meanwhile) leaves
 * no one to disable, but the access tokens it issued them live on: when the API has seen them,
 * they are refused all the same ({@link refuseGone}) and the answer says the person is gone
 * ({@link IdpUserGone}). An id the API never saw either, and enabling or moving someone gone,
 * are a plain 404 that writes nothing. A person deleted there after the change was made (and
 * audited) is answered as gone too, by the read-back ({@link readBackOrGone}).
 */
export async function changeUser(
  context: AppContext,
  request: FastifyRequest,
  id: string,
  body: { enabled?: boolean | undefined; department?: string | null | undefined },
): Promise<IdpUser | IdpUserGone> {
  const { enabled, department } = body;
  const change = {
    ...(enabled !== undefined && { enabled }),
    ...(department !== undefined && { department }),
  };
  const detail = JSON.stringify(body);
  if (enabled !== false)
    return changeAuditReadBack(context, request, {
      make: async (service) => {
        await service.updateUser(id, change);
        return id;
      },
      action: 'idp.user.update',
      detail,
      described: 'The change',
    });
  const refusal: Refusal = {
    action: 'idp.user.update',
    detail,
    made: 'The person was disabled',
    unconfirmed: 'The person may have been disabled',
    next: 'their current access tokens are not refused here yet, so disable them again',
  };
  const service = context.idpAdmin.require();
  let stored: Awaited<ReturnType<typeof cutOff>>;
  try {
    stored = await cutOff(context, request, id, (idp) => idp.updateUser(id, change), refusal);
  } catch (error) {
    const stored = await refuseGone(context, request, id, error, refusal);
    if (stored === undefined) throw error;
    return {
      id,
      gone: true,
      detail: `${service.target.issuer} no longer has this person (deleted there), so there was no one to disable; the access tokens it issued them before are refused here.`,
      revoked: stored.map((r) => ({ issuer: r.issuer, sub: r.value, notBefore: r.notBefore })),
    };
  }
  const revoked = stored.map((r) => ({ issuer: r.issuer, sub: r.value, notBefore: r.notBefore }));
  return readBackOrGone(service, id, 'The change', revoked);
}
