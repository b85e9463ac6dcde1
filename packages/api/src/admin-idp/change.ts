import type { FastifyRequest } from 'fastify';
import { writeAndAudit } from '../audit/write-and-audit.js';
import type { AppContext } from '../context.js';
import { ownerOf, principalOf } from '../routes/principal.js';
import type { IdpAdminService, IdpUser } from './service.js';

/** The audit record of a change the IdP has made (nothing else is written here). */
export function record(
  context: AppContext,
  request: FastifyRequest,
  action: string,
  id: string,
  detail?: string,
) {
  const actor = ownerOf(principalOf(request));
  const at = context.clock.now();
  const entry = { actor, action, resource: `idp-user:${id}`, detail, requestId: request.id, at };
  return writeAndAudit(context.db, entry, async () => true);
}

/** One change to a user at the IdP, as {@link changeAuditReadBack} makes it. */
export interface UserChange {
  /** Makes the change at the IdP; resolves to the user's id once the IdP confirmed it. */
  readonly make: (service: IdpAdminService) => Promise<string>;
  /** The audit record's action and detail. */
  readonly action: string;
  readonly detail?: string;
  /** The change in words, for the answer when reading the user back fails after it. */
  readonly described: string;
}

/**
 * Every user-changing route's order: the change at the IdP, its audit record as soon as the IdP
 * confirmed it, and only then the user read back. A read-back that fails afterwards still
 * leaves the change audited (it happened), and answers that the change was made.
 */
export async function changeAuditReadBack(
  context: AppContext,
  request: FastifyRequest,
  change: UserChange,
): Promise<IdpUser> {
  const service = context.idpAdmin.require();
  const id = await change.make(service);
  await record(context, request, change.action, id, change.detail);
  return service.readBack(id, change.described);
}
