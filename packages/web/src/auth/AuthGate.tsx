import { type ReactNode, useEffect, useRef, useState } from 'react';
import { useAuth } from 'react-oidc-context';
import { adoptDraftsFor } from '../drafts/use-draft.js';
import { navigate, usePath } from '../navigation/router.js';
import { useTabMessages } from '../sync/tab-channel.js';
import { Loading } from '../ui/states.js';
import { SignedOutPage } from './SignedOutPage.js';
import { type BrowserSession, resetSignInLoopGuard, signInRefusedByApi } from './session-port.js';
import { describeSignInError } from './sign-in-error.js';
import { signedOutAtProvider } from './sign-out-state.js';
import { pendingStepUp, stepUpFailed } from './step-up.js';
import { holdDpopKey } from './unfinished-sign-in.js';
import { useSilentRenewal } from './use-silent-renewal.js';
import { CALLBACK_PATH, SIGNED_OUT_PATH, type SignInState } from './user-manager.js';

/**
 * Shows `children` to a signed-in person only. Everyone else gets the sign-in page (or the
 * signed-out page after sign-out); a stored session whose access token expired while the tab
 * slept is resumed with its refresh token first.
 */
export function AuthGate({ session, children }: { session: BrowserSession; children: ReactNode }) {
  const auth = useAuth();
  const path = usePath();
  useSilentRenewal(auth.isAuthenticated ? auth.user : null, session);
  const [signedOutElsewhere, setSignedOutElsewhere] = useSignedOutElsewhere(auth, session);
  const { canResume, resume } = useResumeStoredSession(auth, session);
  useFailedCallback(auth, path, session);
  useLeaveSignInAddress(auth.isAuthenticated, path);
  useSignInLeftovers(auth, session);

  // While the redirect to the provider is prepared, the screen that asked for it stays, its
  // button busy and focused, so that a failure is said where the person is (not on a new page).
  const redirecting = auth.activeNavigator === 'signinRedirect';
  if (((auth.isLoading && !redirecting) || (canResume && resume !== 'done')) && !auth.error) {
    return (
      <main id="main" className="welcome">
        <Loading label={auth.activeNavigator ? 'Redirecting…' : 'Signing you in…'} />
      </main>
    );
  }

  if (!auth.isAuthenticated) {
    const signIn = () => {
      resetSignInLoopGuard();
      setSignedOutElsewhere(false);
      // The whole address (`/?list=…`, `/admin/todos?owner=…`); `safeReturnTo` checks it again
      // on the way back, so only a path of this app is ever restored.
      const here = path + window.location.search + window.location.hash;
      const state: SignInState = {
        returnTo: path === SIGNED_OUT_PATH || path === CALLBACK_PATH ? '/' : here,
      };
      void auth.signinRedirect({ state });
    };
    const signedOut = path === SIGNED_OUT_PATH;
    return (
      <SignedOutPage
        signedOut={signedOut}
        signedOutElsewhere={signedOutElsewhere}
        idpSessionMayRemain={signedOut && idpWasUnreachable()}
        signedOutAtProvider={signedOut && signedOutAtProvider()}
        busy={auth.activeNavigator === 'signinRedirect'}
        error={signInErrorText(auth, resume === 'done', session)}
        onSignIn={signIn}
      />
    );
  }

  // Before any screen reads a draft: drafts typed by someone else on this tab are not shown.
  const sub = auth.user?.profile.sub;
  if (sub) adoptDraftsFor(sub);
  return <>{children}</>;
}

type Auth = ReturnType<typeof useAuth>;

/**
 * The same person signed out in another tab: that ended the session at the identity provider
 * and at the API, so this tab's tokens are dead too. Forget them now and say why, rather than
 * bouncing to the identity provider's login page at the next click.
 */
function useSignedOutElsewhere(auth: Auth, session: BrowserSession) {
  const [signedOutElsewhere, setSignedOutElsewhere] = useState(false);
  useTabMessages((message) => {
    if (message.type !== 'signed-out' || message.sub !== auth.user?.profile.sub) return;
    session.end();
    setSignedOutElsewhere(true);
    void auth.removeUser().catch(() => undefined);
  });
  return [signedOutElsewhere, setSignedOutElsewhere] as const;
}

/** A stored session whose access token expired while the tab slept: renew it, once. */
function useResumeStoredSession(auth: Auth, session: BrowserSession) {
  const [resume, setResume] = useState<'idle' | 'running' | 'done'>('idle');
  const canResume = !auth.isLoading && !auth.isAuthenticated && Boolean(auth.user?.refresh_token);
  useEffect(() => {
    if (!canResume || resume !== 'idle') return;
    setResume('running');
    void session.renew().finally(() => setResume('done'));
  }, [canResume, resume, session]);
  return { canResume, resume };
}

/** What went wrong with a refused callback, and the way back from a failed step-up. */
function useFailedCallback(auth: Auth, path: string, session: BrowserSession): void {
  // A refused callback (an IdP error such as `access_denied`, an unknown `state`, a failed code
  // exchange) leaves `code`/`state` behind: drop them from the address bar and this history
  // entry as a successful one does (RFC 9700 §4.2.4); the error stays on screen.
  const callbackFailed = auth.error?.source === 'signinCallback' && path === CALLBACK_PATH;
  useEffect(() => {
    if (callbackFailed && window.location.search) {
      window.history.replaceState(null, '', CALLBACK_PATH);
    }
  }, [callbackFailed]);

  // A step-up round trip the identity provider ended with an error (cancelled, or a level it
  // cannot give): the session from before it still holds. Go back to the screen it left from,
  // which explains, instead of showing the sign-in page to someone who is signed in.
  const stepUpError = callbackFailed ? auth.error?.message : undefined;
  const resumed = useRef(false);
  useEffect(() => {
    const pending = stepUpError === undefined ? null : pendingStepUp();
    if (!pending || stepUpError === undefined || resumed.current) return;
    resumed.current = true;
    navigate(pending.returnTo, { replace: true });
    stepUpFailed(stepUpError);
    void session.resume();
  }, [stepUpError, session]);
}

/**
 * This tab's session (or sign-in under way) holds the DPoP key pair it signs with (a Web Lock,
 * `holdDpopKey`). With no session and no sign-in under way (one refused or abandoned, or after
 * sign-out), whatever a sign-in left behind is deleted: its pending requests and, unless another
 * tab's session holds it, the key (`forgetUnfinishedSignIn`).
 */
function useSignInLeftovers(auth: Auth, session: BrowserSession): void {
  const hasSession = Boolean(auth.user);
  // Also while loading: a callback's token request creates the key before the session exists.
  const holds = hasSession || auth.isLoading;
  useEffect(() => (holds ? holdDpopKey() : undefined), [holds]);
  const noSession = !auth.isLoading && !hasSession && auth.activeNavigator === undefined;
  useEffect(() => {
    if (noSession) void session.forgetUnfinishedSignIn();
  }, [noSession, session]);
}

/** Signed in but still on a sign-in or sign-out address (e.g. a reload of /callback). */
function useLeaveSignInAddress(isAuthenticated: boolean, path: string): void {
  useEffect(() => {
    if (isAuthenticated && (path === CALLBACK_PATH || path === SIGNED_OUT_PATH)) {
      navigate('/', { replace: true });
    }
  }, [isAuthenticated, path]);
}

/** Why the last sign-in did not give a session, if it did not, for the sign-in page. */
function signInErrorText(auth: Auth, resumeDone: boolean, session: BrowserSession) {
  // A failed sign-out redirect is explained by the signed-out page itself, not as a sign-in.
  const signInError = auth.error?.source === 'signoutRedirect' ? undefined : auth.error;
  if (signInError) return describeSignInError(signInError);
  if (signInRefusedByApi()) return REFUSED_MESSAGE;
  if (session.sessionEndedAtProvider()) return ENDED_AT_PROVIDER_MESSAGE;
  if (resumeDone && session.identityProviderUnreachable()) return RESUME_UNREACHABLE_MESSAGE;
  return undefined;
}

const REFUSED_MESSAGE =
  'You signed in, but the todo API refused the new session, so todo-sso stopped instead of ' +
  'sending you round again. Try signing in again; if this keeps happening, ask your ' +
  'administrator to check that the API accepts tokens from this identity provider.';

const ENDED_AT_PROVIDER_MESSAGE =
  'Your session ended at your identity provider (you signed out elsewhere, or it expired). ' +
  'Sign in again to carry on.';

const RESUME_UNREACHABLE_MESSAGE =
  'Your session could not be resumed: todo-sso cannot reach your identity provider. ' +
  'Check your connection and sign in again.';

/** Did sign-out end in this tab only (see `SIGNED_OUT_LOCALLY_PATH`)? */
function idpWasUnreachable(): boolean {
  return new URLSearchParams(window.location.search).get('idp') === 'unreachable';
}
