/**
 * The API's request for a stronger or fresher sign-in (RFC 9470, OAuth 2.0 Step Up
 * Authentication Challenge): a 401 whose `WWW-Authenticate` challenge says
 * `error="insufficient_user_authentication"`, with the level wanted (`acr_values`) and/or the
 * oldest sign-in accepted (`max_age`, seconds).
 */
export interface StepUpChallenge {
  /** RFC 9470 §3 `acr_values`: the levels that would do, most preferred first. */
  readonly acrValues: readonly string[];
  /** RFC 9470 §3 `max_age`: the sign-in must be at most this many seconds old. */
  readonly maxAge?: number;
  /** The API's `error_description`, for people. */
  readonly description?: string;
}

/** One challenge of a `WWW-Authenticate` field: its scheme and auth-params (lower-cased names). */
interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** RFC 9110 §5.6.2 token, and an auth-param value: a token or a quoted-string (§5.6.4). */
const PART = /[\s,]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:[ \t]*=[ \t]*("(?:[^"\\]|\\.)*"|[^\s,"]+))?/y;

/**
 * Splits a `WWW-Authenticate` field value into its challenges (RFC 9110 §11.6.1): several may
 * share one field, e.g. a Bearer challenge followed by a DPoP one (RFC 9449 §7.1).
 */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let at = 0;
  while (at < header.length) {
    PART.lastIndex = at;
    const match = PART.exec(header);
    if (!match?.[1]) {
      at++; // Something this parser does not read (a token68): skip it rather than fail.
      continue;
    }
    at = PART.lastIndex;
    const [, name, value] = match;
    const current = challenges.at(-1);
    if (value === undefined) challenges.push({ scheme: name.toLowerCase(), params: {} });
    else if (current) current.params[name.toLowerCase()] = unquote(value);
  }
  return challenges;
}

function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  return value.slice(1, -1).replace(/\\(.)/g, '$1');
}

/**
 * The step-up challenge in a `WWW-Authenticate` value, or `null` when it asks for something
 * else (an invalid or expired token, or nothing). Bearer and DPoP challenges both count: a
 * DPoP-bound token is refused for its authentication strength the same way.
 */
export function stepUpChallengeOf(header: string | null): StepUpChallenge | null {
  if (!header) return null;
  const found = parseChallenges(header).find(
    (c) =>
      (c.scheme === 'bearer' || c.scheme === 'dpop') &&
      c.params.error === 'insufficient_user_authentication',
  );
  if (!found) return null;
  const { acr_values: acr, max_age: maxAge, error_description: description } = found.params;
  return {
    acrValues: acr ? acr.split(' ').filter(Boolean) : [],
    ...(maxAge !== undefined && /^[0-9]+$/.test(maxAge) && { maxAge: Number(maxAge) }),
    ...(description && { description }),
  };
}

/** Fired on `window` (as a `CustomEvent<StepUpChallenge>`) when the API asks for a step-up. */
export const STEP_UP_EVENT = 'todo-sso:step-up';

/** Tells the app the API wants a stronger sign-in; the screen asks the person to confirm. */
export function announceStepUp(challenge: StepUpChallenge): void {
  window.dispatchEvent(new CustomEvent<StepUpChallenge>(STEP_UP_EVENT, { detail: challenge }));
}
