import { useSyncExternalStore } from 'react';
import { STEP_UP_EVENT, type StepUpChallenge } from '../api/step-up-challenge.js';

/**
 * A stronger sign-in the API asked for (RFC 9470), as the screen shows it: `ask` before the
 * round trip to the identity provider; `unsatisfied` when the API still refuses right after
 * coming back from one, so the identity provider could not (or would not) give that level.
 * Then the screen explains instead of sending the person round again.
 */
export interface StepUpRequest {
  readonly challenge: StepUpChallenge;
  readonly kind: 'ask' | 'unsatisfied';
  /** The path of the screen that was refused. */
  readonly path: string;
  /** That screen's address (path and query): where the round trip comes back to. */
  readonly returnTo: string;
  /** What the identity provider answered when the round trip ended in an error. */
  readonly reason?: string;
}

/** The last step-up round trip (started, and when it came back), kept across the redirect. */
const MARKER_KEY = 'todo-sso.step-up';
/** Seconds of clock difference between browser and identity provider tolerated. */
const SKEW_SECONDS = 5;

interface Marker {
  startedAt: number;
  /** The screen the round trip leaves from and the question asked there. */
  returnTo?: string;
  challenge?: StepUpChallenge;
  returnedAt?: number;
  /** `auth_time` of the sign-in the round trip came back with (ID token), when it said. */
  authTime?: number;
}

function readMarker(): Marker | null {
  try {
    const raw = window.sessionStorage.getItem(MARKER_KEY);
    return raw ? (JSON.parse(raw) as Marker) : null;
  } catch {
    return null;
  }
}

function writeMarker(marker: Marker | null): void {
  try {
    if (marker) window.sessionStorage.setItem(MARKER_KEY, JSON.stringify(marker));
    else window.sessionStorage.removeItem(MARKER_KEY);
  } catch {
    // Storage disabled: without the marker a failed step-up is asked for again, never looped,
    // because every round trip starts with the person's click.
  }
}

let current: StepUpRequest | null = null;
const listeners = new Set<() => void>();
let listening = false;

function publish(next: StepUpRequest | null): void {
  current = next;
  for (const listener of listeners) listener();
}

function onChallenge(event: Event): void {
  if (current) return; // Several requests refused at once: one question.
  const challenge = (event as CustomEvent<StepUpChallenge>).detail;
  publish({
    challenge,
    kind: kindOf(challenge, readMarker(), Date.now()),
    path: window.location.pathname,
    returnTo: window.location.pathname + window.location.search,
  });
}

/**
 * `ask` unless a step-up round trip already came back in this tab and the API still refuses.
 * One exception: that sign-in was fresh enough when it came back and has since grown older than
 * `max_age` — then the question is new (the person kept working), and asked again.
 */
export function kindOf(
  challenge: StepUpChallenge,
  marker: Marker | null,
  nowMs: number,
): StepUpRequest['kind'] {
  if (marker?.returnedAt === undefined) return 'ask';
  const { maxAge } = challenge;
  if (maxAge !== undefined && marker.authTime !== undefined) {
    const freshOnReturn = marker.returnedAt / 1000 - marker.authTime <= maxAge + SKEW_SECONDS;
    const staleNow = nowMs / 1000 - marker.authTime > maxAge;
    if (freshOnReturn && staleNow) return 'ask';
  }
  return 'unsatisfied';
}

function subscribe(listener: () => void): () => void {
  if (!listening) {
    window.addEventListener(STEP_UP_EVENT, onChallenge);
    listening = true;
  }
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The step-up the API asked for and the person has not yet answered, if any. */
export function useStepUpRequest(): StepUpRequest | null {
  return useSyncExternalStore(subscribe, () => current);
}

/** Forgets the question (the person went elsewhere, or the round trip is starting). */
export function dismissStepUp(): void {
  if (current) publish(null);
}

/** Records that a step-up round trip starts now (just before the redirect). */
export function stepUpStarting(request?: Pick<StepUpRequest, 'returnTo' | 'challenge'>): void {
  writeMarker({
    startedAt: Date.now(),
    ...(request && { returnTo: request.returnTo, challenge: request.challenge }),
  });
}

/** How long a step-up round trip may take before its marker is ignored. */
const PENDING_MS = 15 * 60_000;

/** The step-up round trip that left this tab and has not come back, if any. */
export function pendingStepUp(nowMs = Date.now()): { returnTo: string } | null {
  const marker = readMarker();
  if (!marker?.returnTo || !marker.challenge || marker.returnedAt !== undefined) return null;
  if (nowMs - marker.startedAt > PENDING_MS) return null;
  return { returnTo: marker.returnTo };
}

/**
 * The identity provider ended the step-up with an error (the person cancelled, or it cannot
 * give the level: OpenID Connect Core §3.1.2.6 `unmet_authentication_requirements`). The
 * screen it left from explains, with the provider's words, rather than asking again.
 */
export function stepUpFailed(reason: string): void {
  const marker = readMarker();
  if (!marker?.returnTo || !marker.challenge) return;
  writeMarker({ ...marker, returnedAt: Date.now() });
  publish({
    challenge: marker.challenge,
    kind: 'unsatisfied',
    path: new URL(marker.returnTo, window.location.origin).pathname,
    returnTo: marker.returnTo,
    reason,
  });
}

/** A step-up round trip came back on this page load and its screen has not shown yet. */
let justReturned = false;

/**
 * True once, for the first screen after a step-up round trip came back: that screen takes the
 * keyboard focus, as a screen reached inside the app does, rather than leaving it at the top of
 * the freshly loaded page.
 */
export function takeStepUpReturn(): boolean {
  const returned = justReturned;
  justReturned = false;
  return returned;
}

/**
 * Called when a sign-in comes back. After a step-up, remembers when and the `auth_time` it
 * brought, so that a refusal after it is explained rather than asked again; any other sign-in
 * starts afresh.
 */
export function stepUpReturned(state: unknown, authTime: unknown): void {
  const marker = readMarker();
  if (!marker || (state as { stepUp?: unknown } | undefined)?.stepUp !== true) {
    writeMarker(null);
    return;
  }
  justReturned = true;
  writeMarker({
    ...marker,
    returnedAt: Date.now(),
    ...(typeof authTime === 'number' && { authTime }),
  });
}
