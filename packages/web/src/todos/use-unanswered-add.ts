import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useApi } from '../api/ApiContext.js';
import type { TodoApiClient } from '../api/client.js';
import { type ApiError, isApiError } from '../api/errors.js';
import type { Draft } from '../drafts/use-draft.js';
import { refetchAfterWrite } from '../sync/refetch-after-write.js';
import { withoutBidiControls } from '../ui/shown-text.js';
import {
  type AddRecord,
  claimAdd,
  forgetAdd,
  leftAdds,
  outcomeUnknown,
  RESEND_WITHIN_MS,
  resendAdd,
  unansweredAdd,
} from './add-in-flight.js';

/** Where the previous version of the app kept its one record (no key): read once, never sent. */
const LEGACY_KEY = 'todo-sso.draft.new.sending';

/**
 * Takes what the previous version of the app left (one record without a key): it cannot be
 * sent again exactly, so it is never sent; its text is returned.
 */
function takeLegacy(): { title: string; typed: string } | null {
  try {
    const raw = window.sessionStorage.getItem(LEGACY_KEY);
    if (raw === null) return null;
    window.sessionStorage.removeItem(LEGACY_KEY);
    const old = JSON.parse(raw) as { title?: unknown; typed?: unknown; answered?: unknown };
    if (old.answered || typeof old.typed !== 'string' || typeof old.title !== 'string') return null;
    return { title: old.title, typed: old.typed };
  } catch {
    return null;
  }
}

/** What the form says about one add left behind (`id`: its key). */
export interface Said {
  readonly id: string;
  readonly text: string;
}

/** What became of one add left behind. */
type Outcome =
  | { kind: 'saved'; replayed: boolean }
  | { kind: 'deleted' }
  | { kind: 'expired' }
  | { kind: 'refused'; error: ApiError | undefined }
  | { kind: 'unknown' }
  | { kind: 'sign-in' };

/**
 * Sends `record` again; while the API is still processing the first send of the key (a reload
 * right after the add: 409, draft §2.7), asks again after 1 s, then 2 s.
 */
async function sendInTurn(api: TodoApiClient, record: AddRecord): Promise<boolean> {
  for (let wait = 1000; ; wait *= 2) {
    try {
      return await resendAdd(api, record, record.key);
    } catch (error) {
      if (!isApiError(error) || error.status !== 409 || wait > 2000) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** Sends an add left behind again, exactly, and settles its record by the answer. */
async function settle(api: TodoApiClient, record: AddRecord): Promise<Outcome> {
  if (Date.now() - record.at >= RESEND_WITHIN_MS) {
    forgetAdd(record.key);
    return { kind: 'expired' };
  }
  try {
    const replayed = await sendInTurn(api, record);
    forgetAdd(record.key);
    return { kind: 'saved', replayed };
  } catch (error) {
    if (isApiError(error) && error.code === 'session_expired') return { kind: 'sign-in' };
    if (outcomeUnknown(error)) {
      unansweredAdd(record.key);
      return { kind: 'unknown' };
    }
    forgetAdd(record.key);
    // Stored, and deleted since: the API forgot its text and never creates it again. A plain
    // 404 is the list (gone, or no longer shared).
    if (isApiError(error) && error.problem?.code === 'idempotency_key_todo_deleted')
      return { kind: 'deleted' };
    return { kind: 'refused', error: isApiError(error) ? error : undefined };
  }
}

/**
 * On the first load after a page went while new todos were on their way: each is sent again
 * with its key, and the person is told what became of it (`outcomes`, until `dismiss`). Stored
 * (now, or before the reload): the text the drafts put back in the fields goes. Refused (its
 * list gone, no longer allowed, invalid), too old to send again, or left by the previous
 * version of the app: the record goes and the text is back in the field. No answer (an
 * outage): the record and the text stay, and the next load sends it again. A session that must
 * be signed in again keeps the record for the load after the sign-in. `say` adds a message of
 * the form's own (an add of this page that failed).
 */
export function useUnansweredAdd(
  title: Draft,
  description: Draft,
): { outcomes: readonly Said[]; dismiss: () => void; say: (id: string, text: string) => void } {
  const api = useApi();
  const client = useQueryClient();
  const [outcomes, setOutcomes] = useState<readonly Said[]>([]);
  const fields = useRef({ title, description });
  fields.current = { title, description };
  // No clean-up: the records are claimed by this page as they are read, so a second run of the
  // effect (React's StrictMode, a remount) finds none, and the first run settles every one.
  useEffect(() => {
    const say = (id: string, text: string) => setOutcomes((said) => [...said, { id, text }]);
    /** Puts `typed` back in the empty fields; false when the field holds other text. */
    const giveBack = (typed: AddRecord['typed']): boolean => {
      const { title, description } = fields.current;
      if (title.value && title.value !== typed.title) return false;
      if (!title.value) title.set(typed.title);
      if (!description.value && typed.description) description.set(typed.description);
      return true;
    };
    const legacy = takeLegacy();
    if (legacy)
      say(
        'legacy',
        legacyOutcome(legacy.title, giveBack({ title: legacy.typed, description: '' })),
      );
    const records = leftAdds();
    for (const record of records) claimAdd(record.key);
    void (async () => {
      for (const record of records) {
        const outcome = await settle(api, record);
        const { title, description } = fields.current;
        const name = record.body.title;
        switch (outcome.kind) {
          case 'saved':
          case 'deleted':
            // Only while the field still holds what was sent: text typed since is the person's.
            if (title.value === record.typed.title) {
              title.clear();
              description.clear();
            }
            say(record.key, storedOutcome(name, outcome));
            // Stored now, perhaps: the lists this load fetched before may not hold it yet.
            void refetchAfterWrite(client, ['todos']);
            void refetchAfterWrite(client, ['lists']);
            break;
          case 'expired':
            say(record.key, expiredOutcome(name, giveBack(record.typed)));
            break;
          case 'refused':
            say(record.key, refusedOutcome(name, outcome.error, giveBack(record.typed)));
            break;
          case 'unknown':
            say(record.key, notCheckedYet(name, giveBack(record.typed)));
            break;
          case 'sign-in':
            // The app signs in again; the record is sent by the load after it.
            return;
        }
      }
    })();
  }, [api, client]);
  return {
    outcomes,
    dismiss: () => setOutcomes([]),
    say: (id, text) => setOutcomes((said) => [...said, { id, text }]),
  };
}

/** Stored: before the reload (the API replayed it, or it was deleted since), or only now. */
function storedOutcome(title: string, outcome: Outcome): string {
  if (outcome.kind === 'deleted')
    return `“${title}” was saved before the page was reloaded, and has been deleted since.`;
  if (outcome.kind === 'saved' && !outcome.replayed)
    return `“${title}” had not reached the API when the page was reloaded: it was sent again and is saved now.`;
  return `“${title}” was saved before the page was reloaded.`;
}

const where = (back: boolean) =>
  back ? 'The text is back in the field.' : 'Add it again if it is still needed.';

/** The API refused the add sent again: nothing was stored. */
function refusedOutcome(title: string, error: ApiError | undefined, back: boolean): string {
  // Its list gone (deleted, or no longer shared with this person): whether the todo was stored
  // before cannot be told (a list deleted with its todos forgets their keys too), only that it
  // is not there now.
  if (error?.status === 404)
    return `“${withoutBidiControls(title)}” was sent before the page was reloaded, but its list is gone (deleted, or no longer shared with you). ${where(back)}`;
  const why =
    error?.status === 403
      ? 'you may no longer add todos to its list'
      : `the API refused it (${error?.message ?? 'unexpected answer'})`;
  return `“${title}” was not saved before the page was reloaded: ${why}. ${where(back)}`;
}

/** The API could not be asked (down, or unreachable): the record stays for the next load. */
function notCheckedYet(title: string, back: boolean): string {
  return `Could not check yet whether “${title}” was saved before the page was reloaded: ${
    back ? 'the text stays in the field' : 'it is kept'
  }, and the next load checks again. Adding the same text again does not add it twice.`;
}

/** Sent more than 23 hours ago: the API may have forgotten its key, so it is not sent again. */
function expiredOutcome(title: string, back: boolean): string {
  return `“${title}” was sent more than 23 hours ago and never answered: it is not sent again, since it might be added twice. Check the list before adding it again. ${where(back)}`;
}

/** Left by the previous version of the app, without a key: never sent again. */
function legacyOutcome(title: string, back: boolean): string {
  return `Could not tell whether “${title}” was saved before the page was reloaded. Check the list before adding it again. ${where(back)}`;
}
