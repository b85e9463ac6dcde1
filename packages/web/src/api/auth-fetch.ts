import { nonceChallengeOf } from './dpop-nonce.js';
import type { SessionPort } from './session.js';
import { announceStepUp, stepUpChallengeOf } from './step-up-challenge.js';

/**
 * A `fetch` that sends the session's access token, as a Bearer credential (RFC 6750 §2.1) or, when
 * it is DPoP-bound, with the DPoP scheme and a fresh proof per request (RFC 9449 §7.1), and
 * handles an expired session: on 401 it renews silently once and replays the request; if the
 * renewal fails or the replay is refused again it starts a fresh sign-in, and the caller gets
 * the 401 (screens keep what the user typed in drafts, so nothing is lost). A renewal the
 * identity provider never answered is a 503 instead: no redirect towards a provider that is down.
 * A 401 asking for a stronger sign-in (RFC 9470) is no expired session: renewing would give the
 * same level again, so the app is told instead and asks the person to confirm.
 */
export function createAuthFetch(session: SessionPort, baseFetch: typeof fetch = fetch) {
  // The newest server nonce (RFC 9449 §9): any answer may carry the one to use next.
  let nonce: string | undefined;

  const attempt = async (request: Request, token: string | null) => {
    const headers = new Headers(request.headers);
    if (token) {
      const credentials = session.credentials
        ? await session.credentials(token, request, nonce)
        : { Authorization: `Bearer ${token}` };
      for (const [name, value] of Object.entries(credentials)) headers.set(name, value);
    }
    const response = await baseFetch(new Request(request, { headers }));
    nonce = response.headers.get('DPoP-Nonce') ?? nonce;
    return response;
  };

  // A DPoP refusal asking for a server nonce is answered once with a proof carrying it.
  const send = async (request: Request, token: string | null) => {
    const retry = token ? request.clone() : undefined;
    const response = await attempt(request, token);
    if (!retry || (await nonceChallengeOf(response)) === undefined) return response;
    return attempt(retry, token);
  };

  return async function authFetch(input: Request): Promise<Response> {
    const replay = input.clone();
    const token = await session.getAccessToken();
    const first = await send(input, token);
    if (first.status !== 401) {
      if (token) session.accepted();
      return first;
    }
    const stepUp = stepUpChallengeOf(first.headers.get('WWW-Authenticate'));
    if (stepUp) {
      announceStepUp(stepUp);
      return first;
    }

    const renewed = await session.renew();
    if (renewed) {
      const second = await send(replay, renewed);
      if (second.status !== 401) {
        session.accepted();
        return second;
      }
      session.reauthenticate();
      return second;
    }
    // The identity provider did not answer the refresh: sending the browser there would end on
    // the browser's error page. Answer as the API does for an IdP outage (503, RFC 9457 body),
    // which screens show with "Try again" and queries retry.
    if (session.identityProviderUnreachable()) return identityProviderUnavailable();
    session.reauthenticate();
    return first;
  };
}

function identityProviderUnavailable(): Response {
  const problem = {
    type: 'about:blank',
    title: 'Identity provider unreachable',
    status: 503,
    detail: 'Cannot reach your identity provider to renew your session. Try again in a moment.',
  };
  return new Response(JSON.stringify(problem), {
    status: 503,
    headers: { 'Content-Type': 'application/problem+json' },
  });
}
