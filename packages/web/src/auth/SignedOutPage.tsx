import { BusyButton } from '../ui/BusyButton.js';

/** The page people see before signing in and after signing out. */
export function SignedOutPage({
  signedOut,
  signedOutElsewhere = false,
  idpSessionMayRemain = false,
  signedOutAtProvider = false,
  busy,
  error,
  onSignIn,
}: {
  signedOut: boolean;
  /** The same person signed out in another tab of this browser. */
  signedOutElsewhere?: boolean;
  /** Signed out in this tab, but the identity provider could not be told. */
  idpSessionMayRemain?: boolean;
  /** The identity provider came back from this tab's sign-out request: its session ended too. */
  signedOutAtProvider?: boolean;
  busy: boolean;
  error?: string | undefined;
  onSignIn: () => void;
}) {
  return (
    <main id="main" className="welcome">
      <section className="welcome__card" aria-labelledby="welcome-title">
        <div className="brand brand--large" aria-hidden="true">
          <span className="brand__mark">✓</span>
        </div>
        <h1 id="welcome-title">
          {signedOutElsewhere
            ? 'You signed out in another tab'
            : signedOut
              ? 'You have signed out'
              : 'todo-sso'}
        </h1>
        {signedOutElsewhere ? (
          <p className="welcome__lead" role="status">
            Signing out there ended your session in this tab too. Sign in again to carry on.
          </p>
        ) : idpSessionMayRemain ? (
          <p className="welcome__error" role="alert">
            You are signed out of todo-sso in this tab, but todo-sso could not end your session at
            your identity provider (it could not be reached or offers no sign-out), so you may still
            be signed in there. Sign out at your identity provider or close the browser before
            leaving this device.
          </p>
        ) : (
          <p className="welcome__lead">
            {!signedOut
              ? 'Your todos, behind your organisation’s single sign-on.'
              : signedOutAtProvider
                ? 'Your session has ended here and at your identity provider. See you soon.'
                : 'You are signed out of todo-sso in this tab.'}
          </p>
        )}
        {error ? (
          <p className="welcome__error" role="alert">
            {error}
          </p>
        ) : null}
        <BusyButton className="button button--primary button--large" onClick={onSignIn} busy={busy}>
          {busy ? 'Redirecting…' : signedOut || signedOutElsewhere ? 'Sign in again' : 'Sign in'}
        </BusyButton>
        <p className="welcome__fine">
          You will be sent to your identity provider to sign in, then brought back here.
        </p>
      </section>
    </main>
  );
}
