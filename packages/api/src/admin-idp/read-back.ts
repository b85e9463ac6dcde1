import { ApiError } from '../http/problem.js';
import type { IdpAdminService, IdpUser } from './service.js';

/** A subject whose access tokens issued until `notBefore` are refused. */
export interface RevokedSubject {
  readonly issuer: string;
  readonly sub: string;
  readonly notBefore: string;
}

/**
 * The answer about a person the provider no longer has (`IdpUserGone` in schemas.ts): deleted
 * there before a change could be made (disabling them), or after it was made and audited, when
 * the API read them back. `revoked`: their access tokens refused here, if any.
 */
export interface IdpUserGone {
  readonly id: string;
  readonly gone: true;
  readonly detail: string;
  readonly revoked: RevokedSubject[];
}

/**
 * The person after a change the identity provider confirmed and the API audited. When the
 * provider then answers it has no such person (its own 404, "User not found": deleted there
 * between the change and the read), the change was made all the same: the answer is a success
 * that says the person is gone ({@link IdpUserGone}), never a 404 after a write that happened.
 * Any other failure is {@link IdpAdminService.readBack}'s.
 */
export async function readBackOrGone(
  service: IdpAdminService,
  id: string,
  described: string,
  revoked: RevokedSubject[] = [],
): Promise<IdpUser | IdpUserGone> {
  try {
    return await service.readBack(id, described);
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 'not_found')) throw error;
    const refused =
      revoked.length === 0 ? '' : '; the access tokens it issued them before are refused here';
    return {
      id,
      gone: true,
      detail: `${described} was made, but ${service.target.issuer} no longer has this person (deleted there since)${refused}.`,
      revoked,
    };
  }
}
