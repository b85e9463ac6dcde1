import { type RefObject, useLayoutEffect, useRef } from 'react';
import type { StepUpChallenge } from '../api/step-up-challenge.js';
import { BusyButton } from '../ui/BusyButton.js';
import { shownText } from '../ui/shown-text.js';
import type { StepUpRequest } from './step-up.js';

/** What each level of the dev realm's `acr.loa.map` means to the person signing in. */
const LEVELS: Record<string, string> = {
  pwd: 'your password',
  mfa: 'your password and a one-time code from your authenticator app',
};

function describeLevel(acr: string): string {
  return LEVELS[acr] ?? `the sign-in level “${acr}”`;
}

function describeAge(seconds: number): string {
  if (seconds === 0) return 'just now';
  if (seconds % 60 === 0) {
    const minutes = seconds / 60;
    return `within the last ${minutes === 1 ? 'minute' : `${minutes} minutes`}`;
  }
  return `within the last ${seconds} seconds`;
}

/**
 * "your password and a one-time code …, entered within the last 15 minutes": what the API
 * asks for, from the challenge's `acr_values` (the first, most preferred) and `max_age`.
 */
export function describeChallenge(challenge: StepUpChallenge): string {
  const level = challenge.acrValues[0];
  const age = challenge.maxAge === undefined ? undefined : describeAge(challenge.maxAge);
  if (level === undefined) return age ? `a sign-in ${age}` : 'a stronger sign-in';
  return age ? `${describeLevel(level)}, entered ${age}` : describeLevel(level);
}

/**
 * Where the question takes the keyboard focus when it shows: it stands in for the screen, so
 * the focus the screen had (or none, or the content after moving here) goes to its answer —
 * Continue when asking, "Back to your todos" (the safe answer; a second round trip is one
 * Shift+Tab away) after a round trip that did not satisfy the API. Focus in the header (the
 * person is elsewhere on the page) stays where it is.
 */
function useAnswerFocus(
  section: RefObject<HTMLElement | null>,
  answer: RefObject<HTMLButtonElement | null>,
): void {
  // `answer` is another button when the kind of question changes: the new one is focused.
  useLayoutEffect(() => {
    const active = document.activeElement;
    const content = section.current?.closest('main') ?? section.current?.parentElement;
    const onScreen = !active || active === document.body || content?.contains(active) === true;
    if (onScreen) answer.current?.focus();
  }, [section, answer]);
}

/**
 * "Confirm it's you": the API asked for a stronger or fresher sign-in (RFC 9470). Says what is
 * asked and why, and leaves for the identity provider only when the person clicks. After a
 * round trip that did not satisfy the API (`unsatisfied`), explains instead of asking again.
 */
export function ConfirmIdentity({
  request,
  reachedLevel,
  busy,
  error,
  onContinue,
  onLeave,
}: {
  request: StepUpRequest;
  /** The `acr` of the current sign-in, as the identity provider named it (ID token). */
  reachedLevel: string | undefined;
  busy: boolean;
  error: string | undefined;
  onContinue: () => void;
  onLeave: () => void;
}) {
  const wanted = describeChallenge(request.challenge);
  const unsatisfied = request.kind === 'unsatisfied';
  const section = useRef<HTMLElement>(null);
  const proceed = useRef<HTMLButtonElement>(null);
  const leave = useRef<HTMLButtonElement>(null);
  useAnswerFocus(section, unsatisfied ? leave : proceed);
  return (
    <section ref={section} className="state step-up" aria-labelledby="step-up-title">
      <h1 id="step-up-title" className="state__title">
        {unsatisfied ? 'Your sign-in is still not strong enough' : 'Confirm it’s you'}
      </h1>
      <StepUpText request={request} wanted={wanted} reachedLevel={reachedLevel} />
      {error ? (
        <p className="welcome__error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="step-up__actions">
        <BusyButton
          ref={proceed}
          className="button button--primary"
          onClick={onContinue}
          busy={busy}
        >
          {busy ? 'Redirecting…' : unsatisfied ? 'Try again' : 'Continue'}
        </BusyButton>
        <button
          ref={leave}
          type="button"
          className="button button--ghost"
          onClick={onLeave}
          disabled={busy}
        >
          Back to your todos
        </button>
      </div>
    </section>
  );
}

/** What is asked and why; after a round trip that did not help, what happened instead. */
function StepUpText({
  request,
  wanted,
  reachedLevel,
}: {
  request: StepUpRequest;
  wanted: string;
  reachedLevel: string | undefined;
}) {
  const unsatisfied = request.kind === 'unsatisfied';
  return unsatisfied ? (
    <div role="alert" className="step-up__text">
      <p className="state__hint">
        You went through your identity provider, but the todo API still needs {wanted}.
        {request.reason
          ? ` Your identity provider answered: “${shownText(request.reason)}”.`
          : reachedLevel
            ? ` Your identity provider signed you in at level “${reachedLevel}”.`
            : ''}{' '}
        todo-sso stopped here instead of sending you round again.
      </p>
      <p className="state__hint">
        Your identity provider may not offer this level for your account (for example, no
        authenticator app is set up), or it may name its levels differently from the API. Ask your
        administrator, or try once more.
      </p>
    </div>
  ) : (
    <div className="step-up__text">
      <p className="state__hint">
        This part of todo-sso shows and changes other people’s data, so it needs {wanted}.
      </p>
      <p className="state__hint">
        Your identity provider will ask you for it, then bring you back to this page. What you typed
        here is kept.
      </p>
    </div>
  );
}
