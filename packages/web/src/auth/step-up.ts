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
}

/** The step-up round trip under way or just finished, kept across the redirect. */
const MARKER_KEY = 'todo-sso.step-up';
/**
 * A challenge this soon after coming back from a step-up means the new sign-in did not satisfy
 * the API: the screen's requests run within seconds of the return. A later challenge (the
 * sign-in grew older than `max_age`) is a new question and is asked again.
 */
const RETURN_WINDOW_MS = 60_000;

interface Marker {
  startedAt: number;
  returnedAt?: number;
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
  const marker = readMarker();
  const justReturned =
    marker?.returnedAt !== undefined && Date.now() - marker.returnedAt < RETURN_WINDOW_MS;
  publish({
    challenge,
    kind: justReturned ? 'unsatisfied' : 'ask',
    path: window.location.pathname,
    returnTo: window.location.pathname + window.location.search,
  });
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
export function stepUpStarting(): void {
  writeMarker({ startedAt: Date.now() });
}

/**
 * Called when a sign-in comes back: if it was a step-up, remembers when, so a refusal right
 * after it is explained rather than asked again.
 */
export function stepUpReturned(state: unknown): void {
  const marker = readMarker();
  if (!marker || (state as { stepUp?: unknown } | undefined)?.stepUp !== true) return;
  writeMarker({ ...marker, returnedAt: Date.now() });
}
