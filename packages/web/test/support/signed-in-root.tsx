import { render } from '@testing-library/react';
import { SigninState, User } from 'oidc-client-ts';
import { createApiClient } from '../../src/api/client.js';
import { createSessionPort } from '../../src/auth/session-port.js';
import { createUserManager } from '../../src/auth/user-manager.js';
import { createQueryClient, Root } from '../../src/Root.js';

/** An issuer nobody listens on: discovery fails with ECONNREFUSED, as in an IdP outage. */
export const UNREACHABLE_ISSUER = 'http://127.0.0.1:9/realms/todo-app';

/** The key oidc-client-ts stores the signed-in user under in `sessionStorage`. */
export function userStorageKey(issuer: string, clientId = 'todo-ui'): string {
  return `oidc.user:${issuer}:${clientId}`;
}

/** Stores a signed-in user for `issuer` the way oidc-client-ts does after a sign-in. */
export function storeSignedInUser(issuer: string, accessToken = 'token-1', expiresIn = 300): void {
  const now = Math.floor(Date.now() / 1000);
  const user = new User({
    access_token: accessToken,
    token_type: 'Bearer',
    id_token: 'id-token-1',
    refresh_token: 'refresh-token-1',
    scope: 'openid profile email',
    profile: { sub: 'sub-alice', iss: issuer, aud: 'todo-ui', exp: now + 300, iat: now },
    expires_at: now + expiresIn,
    session_state: null,
  });
  window.sessionStorage.setItem(userStorageKey(issuer), user.toStorageString());
}

/** The whole app as `main.tsx` wires it, with a real UserManager for `issuer`. */
export function renderRoot({ issuer, apiUrl }: { issuer: string; apiUrl: string }) {
  const userManager = createUserManager({ issuer, clientId: 'todo-ui', apiUrl });
  const session = createSessionPort(userManager);
  const api = createApiClient(apiUrl, session);
  const view = render(
    <Root
      userManager={userManager}
      session={session}
      api={api}
      queryClient={createQueryClient()}
    />,
  );
  return { ...view, userManager, session };
}

/**
 * Stores the state of a sign-in under way, as `signinRedirect` does before leaving for the
 * identity provider, and returns its id (the OAuth `state` parameter).
 */
export async function storeSignInState(issuer: string, returnTo = '/'): Promise<string> {
  const state = await SigninState.create({
    authority: issuer,
    client_id: 'todo-ui',
    redirect_uri: `${window.location.origin}/callback`,
    scope: 'openid profile email',
    code_verifier: true,
    request_type: 'si:r',
    data: { returnTo },
  });
  window.sessionStorage.setItem(`oidc.${state.id}`, state.toStorageString());
  return state.id;
}
