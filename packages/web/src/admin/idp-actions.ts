import type { TodoApiClient } from '../api/client.js';
import { type ApiError, apiWords, isApiError } from '../api/errors.js';
import { withoutBidiControls } from '../ui/shown-text.js';
import { forgetCreateIdpUserDraft } from './CreateIdpUser.js';
import type { ChangeOutcome, IdpAction } from './idp-action.js';
import {
  createIdpUser,
  endIdpSessions,
  type IdpUser,
  type NewIdpUser,
  setIdpRole,
  setTemporaryPassword,
  updateIdpUser,
} from './idp-api.js';

/** A person's username in a sentence built as one string, without direction controls. */
const named = (user: { username: string }) => withoutBidiControls(user.username);

/**
 * The changes an admin can ask for, each described for the confirmation and run through the
 * API once confirmed; `run` resolves to the outcome in words. `onCreated`: a user was created.
 */
export function idpActions(api: TodoApiClient, onCreated: () => void) {
  return {
    create: (user: NewIdpUser): IdpAction => ({
      description: `Create the user ${named(user)}?`,
      run: async () => {
        const created = await createIdpUser(api, user);
        forgetCreateIdpUserDraft();
        onCreated();
        return 'gone' in created ? created.detail : `Created ${created.username}.`;
      },
    }),
    setEnabled: (user: IdpUser, enabled: boolean): IdpAction => ({
      description: `${enabled ? 'Enable' : 'Disable'} ${named(user)}?${enabled ? '' : ' They are signed out of todo-sso at once and cannot sign in again until enabled.'}`,
      run: async () => {
        const answer = await updateIdpUser(api, user.id, { enabled });
        // Deleted at the provider meanwhile: the API says so (and whether their tokens are refused).
        if ('gone' in answer) return answer.detail;
        return `${named(user)} is ${enabled ? 'enabled' : 'disabled'}.`;
      },
    }),
    setDepartment: (user: IdpUser, department: string | null): IdpAction => ({
      description: department
        ? `Move ${named(user)} to ${department}?`
        : `Remove the department of ${named(user)}?`,
      run: async () => {
        const answer = await updateIdpUser(api, user.id, { department });
        if ('gone' in answer) return answer.detail;
        return department
          ? `${named(user)} is in ${department} from their next sign-in or token renewal.`
          : `${named(user)} has no department now.`;
      },
    }),
    setRole: (user: IdpUser, role: string, granted: boolean): IdpAction => ({
      description: granted
        ? `Grant ${role} to ${named(user)}?`
        : `Remove ${role} from ${named(user)}?`,
      run: async () => {
        const answer = await setIdpRole(api, user.id, role, granted);
        if ('gone' in answer) return answer.detail;
        // A removal holds at once: the API refuses the tokens that still carry the role.
        return granted
          ? `${named(user)} now has ${role} (from their next token).`
          : `${named(user)} no longer has ${role}, from now on: the tokens they hold are refused, and their app renews them without it.`;
      },
    }),
    endSessions: (user: IdpUser): IdpAction => ({
      description: `End every session of ${named(user)}? They will have to sign in again.`,
      run: async () => {
        const ended = await endIdpSessions(api, user.id);
        return ended.identityProvider.detail;
      },
    }),
    setTemporaryPassword: (
      user: IdpUser,
      password: string,
      endSessions: boolean,
      after: (outcome: ChangeOutcome) => void,
    ): IdpAction => ({
      description: `Set a temporary password for ${named(user)}? They must change it at their next sign-in.${
        endSessions
          ? ' Their sessions are ended too: they are signed out everywhere, and their current access tokens stop working.'
          : ' Their sessions are left as they are: wherever they are signed in, they stay signed in.'
      }`,
      run: async () => {
        // The API's detail says whether the sessions were ended; when the password was set but
        // ending them failed, the API answers 502 or 503 saying so, shown as the failure.
        const answer = await setTemporaryPassword(api, user.id, { password, endSessions });
        return `${answer.detail} ${named(user)} must change it at their next sign-in.`;
      },
      // The password set, its sessions not ended: the API's words, without the advice to try
      // again (that would set another password), which they replace with what to do.
      failureText: (error) => (passwordWasSet(error) ? apiWords(error) : undefined),
      after,
    }),
  };
}

/**
 * Whether a failed temporary password was set all the same: the API answers 502 or 503 saying
 * so when the password was set but ending the sessions failed (`reset-password.ts` of the API).
 */
export function passwordWasSet(error: unknown): error is ApiError {
  return isApiError(error) && /^The temporary password was set\b/.test(apiWords(error));
}
