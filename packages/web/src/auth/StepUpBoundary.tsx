import { type ReactNode, useEffect, useState } from 'react';
import { useAuth } from 'react-oidc-context';
import { navigate } from '../navigation/router.js';
import { ConfirmIdentity } from './ConfirmIdentity.js';
import { describeSignInError } from './sign-in-error.js';
import { dismissStepUp, stepUpStarting, useStepUpRequest } from './step-up.js';
import type { SignInState } from './user-manager.js';

/**
 * Shows the screen at `path`, or "Confirm it's you" in its place while the
 * API asks for a stronger sign-in there (RFC 9470). Continuing signs in again at the identity
 * provider with the challenge's `acr_values` and `max_age` (OpenID Connect Core §3.1.2.1) and
 * comes back to the same address; drafts keep what was typed across the redirect.
 */
export function StepUpBoundary({ path, children }: { path: string; children: ReactNode }) {
  const auth = useAuth();
  const request = useStepUpRequest();
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);

  // The person went to another screen: the question belonged to the one they left.
  useEffect(() => {
    if (request && request.path !== path) dismissStepUp();
  }, [request, path]);

  if (!request || request.path !== path) return <>{children}</>;

  const confirm = () => {
    setBusy(true);
    setFailed(false);
    stepUpStarting(request);
    const { acrValues, maxAge } = request.challenge;
    const state: SignInState = { returnTo: request.returnTo, stepUp: true };
    // On success the page leaves; react-oidc-context resolves only when the redirect failed.
    void auth
      .signinRedirect({
        state,
        ...(acrValues.length > 0 && { acr_values: acrValues.join(' ') }),
        ...(maxAge !== undefined && { max_age: maxAge }),
      })
      .then(() => {
        setBusy(false);
        setFailed(true);
      });
  };
  const leave = () => {
    dismissStepUp();
    navigate('/');
  };
  const reached = auth.user?.profile.acr;
  return (
    <ConfirmIdentity
      request={request}
      reachedLevel={typeof reached === 'string' ? reached : undefined}
      busy={busy}
      error={
        failed && auth.error?.source === 'signinRedirect'
          ? describeSignInError(auth.error)
          : undefined
      }
      onContinue={confirm}
      onLeave={leave}
    />
  );
}
