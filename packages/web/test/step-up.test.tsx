import { act, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, test } from 'vitest';
import { createApiClient } from '../src/api/client.js';
import { getAudit } from '../src/api/endpoints.js';
import { ApiError } from '../src/api/errors.js';
import {
  announceStepUp,
  parseChallenges,
  STEP_UP_EVENT,
  type StepUpChallenge,
  stepUpChallengeOf,
} from '../src/api/step-up-challenge.js';
import { ConfirmIdentity, describeChallenge } from '../src/auth/ConfirmIdentity.js';
import {
  dismissStepUp,
  kindOf,
  type StepUpRequest,
  stepUpReturned,
  stepUpStarting,
  useStepUpRequest,
} from '../src/auth/step-up.js';
import { freshPageEachTest } from './support/fresh-page.js';
import { fixedSession } from './support/render.js';

const api = freshPageEachTest();

/** What the API sends for an admin route with a password-only token (RFC 9470 §3). */
const API_CHALLENGE =
  'Bearer realm="todo-api", error="insufficient_user_authentication", error_description="This needs a stronger sign-in (mfa)", acr_values="mfa", max_age="900", DPoP algs="ES256 RS256"';

describe('the RFC 9470 challenge parser', () => {
  test('reads acr_values, max_age and the description of the Bearer challenge', () => {
    expect(stepUpChallengeOf(API_CHALLENGE)).toEqual({
      acrValues: ['mfa'],
      maxAge: 900,
      description: 'This needs a stronger sign-in (mfa)',
    });
  });

  test('keeps several challenges of one field apart (RFC 9110 §11.6.1)', () => {
    expect(parseChallenges(API_CHALLENGE).map((c) => c.scheme)).toEqual(['bearer', 'dpop']);
    expect(parseChallenges(API_CHALLENGE)[1]?.params).toEqual({ algs: 'ES256 RS256' });
  });

  test('takes a DPoP challenge, unquoted max_age, escapes and several acr values', () => {
    const header =
      'DPoP error="insufficient_user_authentication", error_description="say \\"hi\\"", acr_values="hwk mfa", max_age=0';
    expect(stepUpChallengeOf(header)).toEqual({
      acrValues: ['hwk', 'mfa'],
      maxAge: 0,
      description: 'say "hi"',
    });
  });

  test('is null for other refusals and for no header', () => {
    expect(stepUpChallengeOf('Bearer realm="todo-api", error="invalid_token"')).toBeNull();
    expect(stepUpChallengeOf('Bearer realm="todo-api"')).toBeNull();
    expect(stepUpChallengeOf(null)).toBeNull();
    expect(stepUpChallengeOf('Basic dXNlcjpwYXNz==, Bearer error="invalid_token"')).toBeNull();
  });

  test('ignores a non-numeric max_age', () => {
    const header = 'Bearer error="insufficient_user_authentication", max_age="soon"';
    expect(stepUpChallengeOf(header)).toEqual({ acrValues: [] });
  });
});

describe('the API client on a step-up challenge', () => {
  test('neither renews nor signs in again: it tells the app and fails with step_up_required', async () => {
    const heard: StepUpChallenge[] = [];
    const listener = (event: Event) => heard.push((event as CustomEvent<StepUpChallenge>).detail);
    window.addEventListener(STEP_UP_EVENT, listener);
    try {
      api.failNext((r) => r.path === '/admin/audit', 401, 0, {
        'WWW-Authenticate': API_CHALLENGE,
        'Access-Control-Expose-Headers': 'WWW-Authenticate',
      });
      const session = fixedSession('token-1');
      session.renewTo('token-2');
      const error = await getAudit(createApiClient(api.url, session), undefined).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).code).toBe('step_up_required');
      expect((error as ApiError).status).toBe(401);
      expect(session.calls).toEqual({ renew: 0, reauthenticate: 0 });
      expect(api.requests.filter((r) => r.path === '/admin/audit')).toHaveLength(1);
      expect(heard).toEqual([
        { acrValues: ['mfa'], maxAge: 900, description: 'This needs a stronger sign-in (mfa)' },
      ]);
    } finally {
      window.removeEventListener(STEP_UP_EVENT, listener);
    }
  });
});

function Probe() {
  const request = useStepUpRequest();
  return (
    <output data-testid="step-up">{request ? `${request.kind} ${request.path}` : 'none'}</output>
  );
}

describe('the step-up question', () => {
  afterEach(() => act(() => dismissStepUp()));
  const challenge = { acrValues: ['mfa'], maxAge: 900 };

  test('is asked for the screen that was refused, once for several refusals', () => {
    window.history.replaceState(null, '', '/admin/audit');
    render(<Probe />);
    act(() => {
      announceStepUp(challenge);
      announceStepUp({ acrValues: ['hwk'] });
    });
    expect(screen.getByTestId('step-up').textContent).toBe('ask /admin/audit');
  });

  test('after a step-up round trip, a refusal is explained instead of asked again', () => {
    stepUpStarting();
    stepUpReturned({ returnTo: '/admin', stepUp: true }, Math.floor(Date.now() / 1000));
    window.history.replaceState(null, '', '/admin');
    render(<Probe />);
    act(() => announceStepUp(challenge));
    expect(screen.getByTestId('step-up').textContent).toBe('unsatisfied /admin');
  });

  test('an ordinary sign-in coming back does not count as a step-up', () => {
    stepUpStarting();
    stepUpReturned({ returnTo: '/admin' }, Math.floor(Date.now() / 1000));
    render(<Probe />);
    act(() => announceStepUp(challenge));
    expect(screen.getByTestId('step-up').textContent).toBe('ask /');
  });
});

describe('ask or explain', () => {
  const at = Date.parse('2026-01-01T10:00:00Z');
  const sec = at / 1000;
  const marker = { startedAt: at - 20_000, returnedAt: at - 10_000, authTime: sec - 11 };

  test('asks when no step-up came back in this tab', () => {
    expect(kindOf({ acrValues: ['mfa'], maxAge: 900 }, null, at)).toBe('ask');
    expect(kindOf({ acrValues: ['mfa'] }, { startedAt: at }, at)).toBe('ask');
  });

  test('explains when the sign-in it brought is still within max_age, or no max_age is asked', () => {
    expect(kindOf({ acrValues: ['mfa'], maxAge: 900 }, marker, at)).toBe('unsatisfied');
    expect(kindOf({ acrValues: ['hwk'] }, marker, at)).toBe('unsatisfied');
  });

  test('asks again once that sign-in, fresh when it came back, is older than max_age', () => {
    expect(kindOf({ acrValues: ['mfa'], maxAge: 10 }, marker, at)).toBe('ask');
  });

  test('explains when the identity provider came back with a sign-in already too old', () => {
    const ignoredMaxAge = { ...marker, authTime: sec - 3600 };
    expect(kindOf({ acrValues: ['mfa'], maxAge: 60 }, ignoredMaxAge, at)).toBe('unsatisfied');
  });
});

describe('"Confirm it\'s you"', () => {
  const request = (kind: StepUpRequest['kind']): StepUpRequest => ({
    challenge: { acrValues: ['mfa'], maxAge: 900 },
    kind,
    path: '/admin',
    returnTo: '/admin',
  });
  const noop = () => undefined;

  test('says what is asked for, in words', () => {
    expect(describeChallenge({ acrValues: ['mfa'], maxAge: 900 })).toBe(
      'your password and a one-time code from your authenticator app, entered within the last 15 minutes',
    );
    expect(describeChallenge({ acrValues: ['hwk'] })).toBe('the sign-in level “hwk”');
    expect(describeChallenge({ acrValues: [], maxAge: 0 })).toBe('a sign-in just now');
    expect(describeChallenge({ acrValues: [], maxAge: 90 })).toBe(
      'a sign-in within the last 90 seconds',
    );
  });

  test('asks first, with a button that continues', () => {
    render(
      <ConfirmIdentity
        request={request('ask')}
        reachedLevel="pwd"
        busy={false}
        error={undefined}
        onContinue={noop}
        onLeave={noop}
      />,
    );
    expect(screen.getByRole('heading', { name: 'Confirm it’s you' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Continue' })).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  test('after a round trip that did not help, explains and names the level reached', () => {
    render(
      <ConfirmIdentity
        request={request('unsatisfied')}
        reachedLevel="pwd"
        busy={false}
        error={undefined}
        onContinue={noop}
        onLeave={noop}
      />,
    );
    expect(
      screen.getByRole('heading', { name: 'Your sign-in is still not strong enough' }),
    ).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toContain('signed you in at level “pwd”');
    expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy();
  });

  test('takes the keyboard focus on its answer: Continue, or the safe way back once unsatisfied', () => {
    const question = (kind: StepUpRequest['kind']) => (
      <main>
        <ConfirmIdentity
          request={request(kind)}
          reachedLevel="pwd"
          busy={false}
          error={undefined}
          onContinue={noop}
          onLeave={noop}
        />
      </main>
    );
    const view = render(question('ask'));
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Continue' }));
    view.rerender(question('unsatisfied'));
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Back to your todos' }));
  });

  test('leaves the focus of a control outside the screen (the header) where it is', () => {
    const header = document.createElement('button');
    document.body.append(header);
    header.focus();
    render(
      <main>
        <ConfirmIdentity
          request={request('ask')}
          reachedLevel="pwd"
          busy={false}
          error={undefined}
          onContinue={noop}
          onLeave={noop}
        />
      </main>,
    );
    expect(document.activeElement).toBe(header);
    header.remove();
  });
});
