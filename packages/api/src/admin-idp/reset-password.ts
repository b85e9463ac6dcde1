import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { ApiError } from '../http/problem.js';
import { cutOff, type Refusal, recordMade } from './change.js';
import { UnconfirmedChange } from './errors.js';
import { refuseGone } from './gone.js';
import type { RevokedSubject } from './read-back.js';

/** The answer to a temporary password (`PasswordSet` in schemas.ts). */
export interface PasswordSet {
  readonly temporary: true;
  readonly sessionsEnded: boolean;
  readonly detail: string;
  readonly revoked: RevokedSubject[];
}

const SET = 'The temporary password was set';

/** The one audit record of a temporary password whose sessions were ended with it. */
const ENDED: Refusal = {
  action: 'idp.password.reset',
  detail: 'sessions ended',
  made: `${SET} and every session of the person was ended`,
  unconfirmed: `${SET} and every session of the person may have been ended`,
  next: 'their current access tokens are not refused here yet, so end their sessions',
};

/**
 * `POST /admin/idp/users/{id}/reset-password`: a temporary password, to be changed at the next
 * sign-in. An admin sets one because the account may be in someone else's hands, so unless the
 * request says `endSessions: false`, the person's sessions are ended at the provider and their
 * current access tokens refused here, as "End sessions" does ({@link cutOff}), in one audit
 * record `idp.password.reset` "sessions ended". Otherwise whoever holds a refresh token keeps
 * getting access tokens, and the access tokens live on until they expire.
 *
 * Once the password is set, no answer is a 404 or says nothing happened: the password change is
 * audited whatever comes of ending the sessions, and the answer says what was done. An unknown
 * person is a 404 that writes nothing, as the provider refuses the password first.
 */
export async function resetPassword(
  context: AppContext,
  request: FastifyRequest,
  id: string,
  body: { password: string; endSessions?: boolean | undefined },
): Promise<PasswordSet> {
  const service = context.idpAdmin.require();
  await service.resetPassword(id, body.password);
  if (body.endSessions === false) {
    await recordMade(context, request, SET, { action: 'idp.password.reset', id });
    const detail = `${SET}; the person's sessions were left as they are.`;
    return { temporary: true, sessionsEnded: false, detail, revoked: [] };
  }
  const issuer = service.target.issuer;
  try {
    const stored = await cutOff(context, request, id, (idp) => idp.logout(id), ENDED);
    return {
      temporary: true,
      sessionsEnded: true,
      detail: `${SET}, and every session of the person at ${issuer} ended: refresh tokens no longer work, and their current access tokens are refused here.`,
      revoked: stored.map((r) => ({ issuer: r.issuer, sub: r.value, notBefore: r.notBefore })),
    };
  } catch (error) {
    return notEnded(context, request, id, error);
  }
}

/**
 * Ending the sessions failed after the password was set. The provider's answer lost: the
 * tokens are refused and audited by {@link cutOff}, and the 503 says the password was set.
 * The person deleted there meanwhile: as "End sessions" answers it ({@link refuseGone}), a
 * success. Anything else: the password change audited, then the failure saying it was made.
 */
async function notEnded(
  context: AppContext,
  request: FastifyRequest,
  id: string,
  error: unknown,
): Promise<PasswordSet> {
  if (error instanceof ApiError && error.cause instanceof UnconfirmedChange)
    throw new ApiError(error.code, `${SET}; ${error.message}`, { cause: error });
  const issuer = context.idpAdmin.require().target.issuer;
  if (error instanceof ApiError && error.code === 'not_found') {
    const stored = await refuseGone(context, request, id, error, ENDED);
    if (stored === undefined)
      await recordMade(context, request, SET, {
        action: 'idp.password.reset',
        id,
        detail: 'no such person at the identity provider when ending the sessions',
      });
    return {
      temporary: true,
      sessionsEnded: false,
      detail: `${SET}, but ${issuer} no longer has this person (deleted there since), so no session was left to end${stored === undefined ? '' : '; the access tokens it issued them before are refused here'}.`,
      revoked: (stored ?? []).map((r) => ({
        issuer: r.issuer,
        sub: r.value,
        notBefore: r.notBefore,
      })),
    };
  }
  await recordMade(context, request, SET, {
    action: 'idp.password.reset',
    id,
    detail: 'sessions not ended',
  });
  const message = error instanceof Error ? error.message : String(error);
  throw new ApiError(
    error instanceof ApiError ? error.code : 'internal_error',
    `${SET}, but the person's sessions could not be ended (${message}): end their sessions, or until their tokens expire they keep working`,
    { cause: error },
  );
}
