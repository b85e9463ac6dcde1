import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { ApiError } from '../http/problem.js';
import { ownerRepository } from '../repositories/owners.js';
import { type Refusal, refuseAndRecord } from './change.js';

/** The audit detail of a change to a person the provider no longer has. */
export const GONE_DETAIL = 'no such person at the identity provider';

/**
 * After the identity provider answered that it has no person `id` (its own 404, "User not
 * found": `personError` in service.ts) to a change meant to cut them off (disabling them,
 * ending their sessions): deleted there meanwhile, they still hold the access tokens it issued
 * them (valid up to 5 minutes). When the API has seen them (their profile is in its store,
 * `owners`), those tokens are refused all the same, on every instance, with the audit record
 * ({@link refuseAndRecord}, its detail saying {@link GONE_DETAIL}): the revocations stored. An id the API
 * has never seen either is a made-up or mistyped one: `undefined`, nothing written, and the
 * caller answers its 404 as every refused request. Any other failure is thrown as it came.
 */
export async function refuseGone(
  context: AppContext,
  request: FastifyRequest,
  id: string,
  error: unknown,
  refusal: Refusal,
): Promise<Awaited<ReturnType<typeof refuseAndRecord>> | undefined> {
  if (!(error instanceof ApiError && error.code === 'not_found')) throw error;
  const issuer = context.idpAdmin.require().target.issuer;
  if (!(await ownerRepository(context.db).known({ issuer, subject: id }))) return undefined;
  return refuseAndRecord(context, request, issuer, id, {
    ...refusal,
    detail: refusal.detail === undefined ? GONE_DETAIL : `${refusal.detail} (${GONE_DETAIL})`,
    made: 'The person was found deleted',
  });
}
