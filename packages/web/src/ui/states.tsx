import type { ReactNode } from 'react';
import { isApiError } from '../api/errors.js';

/** Shared loading, empty, error and "not allowed" states, so every screen says the same thing. */

/** What an action came to, in words: a status line, marked as an error unless `ok`. */
export function OutcomeNotice({ outcome }: { outcome?: { ok: boolean; text: string } }) {
  if (outcome === undefined) return null;
  return (
    <p className={outcome.ok ? 'notice' : 'notice notice--error'} role="status">
      {outcome.text}
    </p>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state--loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

/** With `heading`, the title is the screen's level-one heading (a screen with nothing else). */
export function Empty({
  title,
  heading = false,
  children,
}: {
  title: string;
  heading?: boolean;
  children?: ReactNode;
}) {
  return (
    <div className="state state--empty">
      {heading ? (
        <h1 className="state__title">{title}</h1>
      ) : (
        <p className="state__title">{title}</p>
      )}
      {children ? <p className="state__hint">{children}</p> : null}
    </div>
  );
}

/**
 * Explains a 403 in words: what is needed and who grants it. `level` 1 when it is all the screen
 * shows (its heading is then the screen's), 2 inside a screen with a heading of its own.
 */
export function Forbidden({
  permission,
  what,
  level = 2,
}: {
  permission: string;
  what: string;
  level?: 1 | 2;
}) {
  const Heading = level === 1 ? 'h1' : 'h2';
  return (
    <section className="state state--forbidden" aria-labelledby="forbidden-title">
      <Heading id="forbidden-title" className="state__title">
        You don't have access to {what}
      </Heading>
      <p className="state__hint">
        This screen needs the <code>{permission}</code> permission. Ask an administrator of your
        identity provider to grant it, then sign in again.
      </p>
    </section>
  );
}

/** An error in words, with a retry button when retrying can help. */
export function ErrorState({
  error,
  onRetry,
  what = 'this',
}: {
  error: unknown;
  onRetry?: () => void;
  what?: string;
}) {
  const message = isApiError(error)
    ? error.message
    : 'Something unexpected went wrong. Try again in a moment.';
  return (
    <div className="state state--error" role="alert">
      <p className="state__title">Couldn't load {what}</p>
      <p className="state__hint">{message}</p>
      {onRetry ? (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}
