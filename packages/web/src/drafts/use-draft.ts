import { useCallback, useState } from 'react';

/**
 * Text the user is typing, mirrored to `sessionStorage`, so a sign-in round trip forced by an
 * expired session (a full-page redirect to the identity provider) does not lose it.
 * Cleared only once the write it belongs to has succeeded.
 */
const PREFIX = 'todo-sso.draft.';

function read(key: string): string {
  try {
    return window.sessionStorage.getItem(PREFIX + key) ?? '';
  } catch {
    return '';
  }
}

function write(key: string, value: string): void {
  try {
    if (value) window.sessionStorage.setItem(PREFIX + key, value);
    else window.sessionStorage.removeItem(PREFIX + key);
  } catch {
    // Storage may be full or disabled (private mode); the draft then lives in memory only.
  }
}

/** The draft stored under `key`. */
export interface Draft {
  value: string;
  /** Changes the text and stores it. */
  set(value: string): void;
  /** Empties the field but keeps the stored text until `clear` (a write is in flight). */
  hide(): void;
  /** Empties the field and forgets the stored text. */
  clear(): void;
  /** The write of `sent` succeeded: forget it, unless the user has typed something else since. */
  settle(sent: string): void;
}

export function useDraft(key: string, initial = ''): Draft {
  const [value, setState] = useState(() => read(key) || initial);
  const setValue = useCallback(
    (next: string) => {
      setState(next);
      write(key, next === initial ? '' : next);
    },
    [key, initial],
  );
  const clear = useCallback(() => {
    setState(initial);
    write(key, '');
  }, [key, initial]);
  const hide = useCallback(() => setState(initial), [initial]);
  const settle = useCallback(
    (sent: string) => {
      if (read(key) === sent) write(key, '');
    },
    [key],
  );
  return { value, set: setValue, hide, clear, settle };
}

/** Forgets the drafts stored under `keys` (their write succeeded elsewhere than `settle`). */
export function clearDrafts(keys: readonly string[]): void {
  for (const key of keys) write(key, '');
}

/**
 * Forgets the draft stored under `key` if it holds `sent`, but for spaces around it (a write
 * sends the text trimmed); text typed since stays.
 */
export function settleDraft(key: string, sent: string): void {
  if (read(key).trim() === sent.trim()) write(key, '');
}

/** Forgets every draft (on sign-out: the next person on this browser must not see them). */
export function clearAllDrafts(): void {
  try {
    for (const key of Object.keys(window.sessionStorage)) {
      if (key.startsWith(PREFIX)) window.sessionStorage.removeItem(key);
    }
  } catch {
    // Nothing stored, nothing to clear.
  }
}

/** Whose drafts the stored ones are (the `sub` of the person signed in when they were typed). */
const OWNER_KEY = 'todo-sso.draft-owner';

/** The `sub` of the person the stored drafts belong to, if known. */
export function draftOwner(): string | null {
  try {
    return window.sessionStorage.getItem(OWNER_KEY);
  } catch {
    return null;
  }
}

/**
 * Claims the stored drafts for the person now signed in (`sub`). Drafts survive a sign-in round
 * trip for the same person only: when someone else signs in on this tab (a shared computer, an
 * expired session picked up by another account), or nobody is known to own them, they are
 * forgotten before any field reads them.
 */
export function adoptDraftsFor(sub: string): void {
  try {
    if (window.sessionStorage.getItem(OWNER_KEY) === sub) return;
    clearAllDrafts();
    window.sessionStorage.setItem(OWNER_KEY, sub);
  } catch {
    // Storage disabled: drafts live in memory only, per page.
  }
}
