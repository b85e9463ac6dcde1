import type { FastifyRequest } from 'fastify';
import { writeAndAudit } from '../audit/write-and-audit.js';
import type { AppContext } from '../context.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { isWriteOutcomeUnknown } from '../db/write-outcome.js';
import { ApiError } from '../http/problem.js';
import type { Revocation } from '../repositories/revocations.js';
import type { Commit } from '../revocation/options.js';
import { actorOf, principalOf } from '../routes/principal.js';
import { UnconfirmedChange } from './errors.js';
import { type IdpUserGone, readBackOrGone } from './read-back.js';
import type { IdpAdminService, IdpUser } from './service.js';

/** The audit record of a change the IdP has made (nothing else is written here). */
export function record(
  context: AppContext,
  request: FastifyRequest,
  action: string,
  id: string,
  detail?: string,
) {
  const actor = actorOf(principalOf(request));
  const at = context.clock.now();
  const entry = { actor, action, resource: `idp-user:${id}`, detail, requestId: request.id, at };
  return writeAndAudit(context.db, entry, async () => true);
}

/**
 * A failure after the IdP made a change (its audit record, the API's own part of it) as the
 * answer: 503 when the database is unavailable (`write_outcome_unknown` when the record's commit
 * got no answer), else 500, saying what was made, so that nobody
 * takes it for a change that did not happen. The failure is logged with the change it concerns
 * (never a password), for the record to be completed by hand.
 */
export function madeButNotRecorded(
  request: FastifyRequest,
  error: unknown,
  made: string,
  log: { action: string; id: string },
  next = 'reload to see it before doing it again',
): ApiError {
  request.log.error(
    { err: error, action: log.action, resource: `idp-user:${log.id}` },
    'a change made at the identity provider has no audit record',
  );
  // The record's COMMIT got no answer: it may be stored, and the answer must not say it is not.
  if (isWriteOutcomeUnknown(error))
    return new ApiError(
      'write_outcome_unknown',
      `${made} at the identity provider, but the connection to the database was lost while its audit record was being saved: the record may or may not have been saved; ${next}`,
      { cause: error },
    );
  const down = isDatabaseUnavailable(error);
  return new ApiError(
    down ? 'unavailable' : 'internal_error',
    `${made} at the identity provider, but its audit record could not be written${down ? ' (the database is unavailable)' : ''}: ${next}`,
    { cause: error },
  );
}

/** {@link record}, answering a failure with {@link madeButNotRecorded}. */
export async function recordMade(
  context: AppContext,
  request: FastifyRequest,
  made: string,
  entry: { action: string; id: string; detail?: string | undefined },
): Promise<void> {
  try {
    await record(context, request, entry.action, entry.id, entry.detail);
  } catch (error) {
    throw madeButNotRecorded(request, error, made, entry);
  }
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
 * leaves the change audited (it happened), and answers that the change was made; a person
 * deleted at the provider in between is answered as gone ({@link readBackOrGone}), not 404.
 */
export async function changeAuditReadBack(
  context: AppContext,
  request: FastifyRequest,
  change: UserChange,
): Promise<IdpUser | IdpUserGone> {
  const service = context.idpAdmin.require();
  const id = await change.make(service);
  await recordMade(context, request, `${change.described} was made`, {
    action: change.action,
    id,
    detail: change.detail,
  });
  return readBackOrGone(service, id, change.described);
}

/** What {@link refuseAndRecord} records, and says when its write fails. */
export interface Refusal {
  readonly action: string;
  readonly detail?: string | undefined;
  /** The IdP's part, in words, for the answer when the API's part fails after it. */
  readonly made: string;
  /** The same when the IdP did not confirm it ({@link cutOff}). */
  readonly unconfirmed?: string;
  /** What to do then. */
  readonly next: string;
  /**
   * A role removed: only the person's tokens that still carry it are refused, whatever their
   * `iat` (`RevocationStore.revokeRole`), so that the next one, without it, passes at once
   * whatever the provider's clock says; without, every token issued up to now.
   */
  readonly role?: string;
}

export const SESSIONS_ENDED: Refusal = {
  action: 'idp.sessions.end',
  made: 'Every session of the person was ended',
  unconfirmed: 'Every session of the person may have been ended',
  next: 'their current access tokens are not refused here yet, so end the sessions again',
};

/**
 * After the IdP ended a person's sessions (or disabled them): their current access tokens
 * refused at the API, on every instance, and the audit record, in one transaction, then counted
 * in `revocations_total` (every revocation an admin route makes, whatever it answers). Its
 * failure is answered with {@link madeButNotRecorded}: the IdP's part is done, and repeating the
 * request is safe.
 */
export function refuseAndRecord(
  context: AppContext,
  request: FastifyRequest,
  issuer: string,
  id: string,
  refusal: Refusal = SESSIONS_ENDED,
) {
  const entry = {
    actor: actorOf(principalOf(request)),
    action: refusal.action,
    resource: `idp-user:${id}`,
    detail: refusal.detail,
    requestId: request.id,
    at: context.clock.now(),
  };
  const commit: Commit<Revocation[]> = (save) => writeAndAudit(context.db, entry, save);
  const { role } = refusal;
  const revoked =
    role === undefined
      ? context.revocations.revokeSubjectAt([issuer], id, commit)
      : context.revocations.revokeRole(issuer, id, role, commit);
  return revoked.then(
    (stored) => {
      for (const r of stored) context.metrics.revocations.inc({ kind: r.kind, source: 'admin' });
      return stored;
    },
    (error: unknown) => {
      throw madeButNotRecorded(
        request,
        error,
        refusal.made,
        { action: entry.action, id },
        refusal.next,
      );
    },
  );
}

/**
 * A person cut off at the IdP by `act` (disabled, their sessions ended), then their current
 * access tokens refused here with the audit record ({@link refuseAndRecord}). When the IdP may
 * have acted without its answer arriving ({@link UnconfirmedChange}), the tokens are refused all
 * the same before the 503 is answered, the record saying it was unconfirmed: an admin who
 * reloads and sees the change made has no reason to repeat it, and the person must not keep
 * working with the tokens they hold (fail closed; a person not cut off after all signs in again).
 */
export async function cutOff(
  context: AppContext,
  request: FastifyRequest,
  id: string,
  act: (service: IdpAdminService) => Promise<void>,
  refusal: Refusal = SESSIONS_ENDED,
) {
  const service = context.idpAdmin.require();
  try {
    await act(service);
  } catch (error) {
    if (!(error instanceof UnconfirmedChange)) throw error;
    const unconfirmed = 'unconfirmed by the identity provider';
    await refuseAndRecord(context, request, service.target.issuer, id, {
      ...refusal,
      detail: refusal.detail === undefined ? unconfirmed : `${refusal.detail} (${unconfirmed})`,
      made: refusal.unconfirmed ?? refusal.made,
    });
    throw new ApiError(
      'idp_unavailable',
      `${error.message}; the person's current access tokens are refused here all the same`,
      { cause: error },
    );
  }
  return refuseAndRecord(context, request, service.target.issuer, id, refusal);
}
