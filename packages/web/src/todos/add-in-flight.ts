import type { QueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useApi } from '../api/ApiContext.js';
import type { TodoApiClient } from '../api/client.js';
import { isApiError } from '../api/errors.js';
import { getLists, listTodosOf } from '../api/list-endpoints.js';
import type { Todo } from '../api/types.js';
import type { Draft } from '../drafts/use-draft.js';
import type { TodoPages } from './cache.js';

/**
 * A new todo on its way to the API, remembered in `sessionStorage` until the API answers. The
 * title's draft keeps the typed text meanwhile, so a page that goes before the answer (a reload,
 * a sign-in round trip) finds the text again on its next load. But the API may have stored the
 * todo before the page went: then the text in the field would be added twice. This record lets
 * the next load look for the todo among the newest ones first.
 *
 * Stored under the drafts' prefix, so it goes with them (sign-out, another person on the tab).
 */
const KEY = 'todo-sso.draft.new.sending';

/** Server and browser clocks may differ: a todo this much older than the send still counts. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** A random id (`getRandomValues`, which unlike `randomUUID` needs no secure context). */
function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
}

/** This page load: a send of this page is still under way, not left behind. */
const PAGE = randomId();

/** What tells one new todo from another: what was sent, and where. */
interface Sent {
  readonly nonce: string;
  /** As sent: trimmed, notes absent when empty. */
  readonly title: string;
  readonly description: string | null;
  readonly listId: string | undefined;
}

export interface Sending extends Sent {
  /** Tells this send from a later one (a second todo added before the first was answered). */
  readonly nonce: string;
  /** The page load that sent it. */
  readonly page: string;
  /** The field's text when it was sent (the draft holds it). */
  readonly typed: string;
  /** When it was sent (the browser's clock). */
  readonly at: number;
  /** Todos of the same title this tab already knew (or was answered since): not the one sent. */
  readonly known: readonly string[];
  /**
   * Earlier sends of the same page load still unanswered when this one went, or since: a todo
   * added twice on purpose is two todos, so the second is taken for stored only when as many
   * todos are found as there were sends of it.
   */
  readonly ahead?: readonly Sent[];
  /** This send was answered; the record is kept for `ahead` only. */
  readonly answered?: true;
}

function read(): Sending | null {
  try {
    const raw = window.sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Sending) : null;
  } catch {
    return null;
  }
}

function write(record: Sending | null): void {
  try {
    if (record) window.sessionStorage.setItem(KEY, JSON.stringify(record));
    else window.sessionStorage.removeItem(KEY);
  } catch {
    // Storage full or disabled: the draft alone puts the text back after a reload.
  }
}

/** Remembers a new todo that is being sent now. */
export function rememberSending(
  sending: Omit<Sending, 'nonce' | 'page' | 'at' | 'ahead' | 'answered'>,
): string {
  const nonce = randomId();
  const earlier = read();
  const ahead: Sent[] = [];
  if (earlier?.page === PAGE) {
    ahead.push(...(earlier.ahead ?? []));
    if (!earlier.answered) {
      const { nonce, title, description, listId } = earlier;
      ahead.push({ nonce, title, description, listId });
    }
  }
  write({ ...sending, nonce, page: PAGE, at: Date.now(), ahead });
  return nonce;
}

/**
 * The API answered the send `nonce` (or its outcome was settled): forget it. `saved` is the
 * todo it stored, which a later send of the same title must not be taken for.
 */
export function forgetSending(nonce: string, saved?: Todo): void {
  const record = read();
  if (!record) return;
  const ahead = record.ahead ?? [];
  if (record.nonce === nonce) {
    write(ahead.length === 0 ? null : { ...record, answered: true });
    return;
  }
  if (!ahead.some((sent) => sent.nonce === nonce)) return;
  const rest = ahead.filter((sent) => sent.nonce !== nonce);
  const known = saved ? [...record.known, saved.id] : record.known;
  write(record.answered && rest.length === 0 ? null : { ...record, ahead: rest, known });
}

/** Forgets what an earlier page load left (`sending`, as `unansweredSending` gave it). */
function forgetLeftBehind(sending: Sending): void {
  if (read()?.nonce === sending.nonce) write(null);
}

/** A send an earlier page load of this tab left without an answer, if any. */
export function unansweredSending(): Sending | null {
  const sending = read();
  return sending && sending.page !== PAGE && !sending.answered ? sending : null;
}

/** The todos titled `title` that this tab's cached lists hold. */
export function knownTitled(client: QueryClient, title: string): string[] {
  const ids = new Set<string>();
  for (const [, data] of client.getQueriesData<TodoPages>({ queryKey: ['todos'] })) {
    for (const page of data?.pages ?? []) {
      for (const todo of page.items) if (todo.title === title) ids.add(todo.id);
    }
  }
  return [...ids];
}

/**
 * The list `sending` went to: its own, or (none named) the person's default list, which is the
 * one they own among the default lists they see (others' may be shared with them). Undefined
 * when the API does not list it.
 */
async function sentTo(api: TodoApiClient, sending: Sending): Promise<string | undefined> {
  if (sending.listId !== undefined) return sending.listId;
  const lists = await getLists(api);
  return lists.find((list) => list.isDefault && list.relation === 'owner')?.id;
}

/**
 * Whether the API stored `sending`: a todo among the newest of the list it went to with its
 * title and notes, that this tab did not know of when it sent, created around then or later.
 * Only that list's: `GET /todos/` also holds the lists others share with the person, where a
 * todo of the same title added by someone else would pass for it and the text would be dropped
 * though the API never got it. The list is newest first, so a todo created then is on its
 * first page.
 */
export async function findSaved(api: TodoApiClient, sending: Sending): Promise<Todo | undefined> {
  const listId = await sentTo(api, sending);
  if (listId === undefined) return undefined;
  const page = await listTodosOf(api, listId, 'all', undefined);
  const found = page.items.filter(
    (todo) =>
      todo.title === sending.title &&
      (todo.description ?? null) === sending.description &&
      !sending.known.includes(todo.id) &&
      Date.parse(todo.createdAt) >= sending.at - CLOCK_SKEW_MS,
  );
  const same = (sent: Sent) =>
    sent.title === sending.title &&
    sent.description === sending.description &&
    sent.listId === sending.listId;
  // Each unanswered send of the same todo may be the one found: all of them must be there.
  const sends = 1 + (sending.ahead ?? []).filter(same).length;
  return found.length >= sends ? found[0] : undefined;
}

/**
 * On the first load after a page went while a new todo was on its way: when the API stored it,
 * the text the draft put back in the field goes (it would be added twice), and either way the
 * person is told what became of it: `outcome`, until `dismiss`. When the list it went to is gone,
 * the record goes and the text stays in the field; when the API cannot be asked (down, no
 * network), the record and the text stay, the person is told so, and the next load asks again.
 */
export function useUnansweredAdd(
  title: Draft,
  description: Draft,
): { outcome: string | undefined; dismiss: () => void } {
  const api = useApi();
  const [outcome, setOutcome] = useState<string>();
  const fields = useRef({ title, description });
  fields.current = { title, description };
  useEffect(() => {
    const sending = unansweredSending();
    if (!sending) return;
    let live = true;
    findSaved(api, sending).then(
      (saved) => {
        if (!live) return;
        forgetLeftBehind(sending);
        const { title, description } = fields.current;
        // Only while the field still holds what was sent: text typed since is the person's.
        if (title.value !== sending.typed) return;
        if (saved) {
          title.clear();
          description.clear();
          setOutcome(`“${sending.title}” was saved before the page was reloaded.`);
        } else {
          setOutcome(
            `“${sending.title}” was not saved before the page was reloaded: it is back in the field.`,
          );
        }
      },
      (error: unknown) => {
        if (!live) return;
        // The list it went to is gone (404): nothing can be found there any more, ever.
        // Else (503, no network, …) the record stays: the next load asks again.
        const gone = isApiError(error) && error.status === 404;
        if (gone) forgetLeftBehind(sending);
        const { title } = fields.current;
        // Text typed since is the person's: it stays, and the outcome would not describe it.
        if (title.value && title.value !== sending.typed) return;
        if (!title.value) title.set(sending.typed);
        setOutcome(gone ? listGone(sending) : notCheckedYet(sending));
      },
    );
    return () => {
      live = false;
    };
  }, [api]);
  return { outcome, dismiss: () => setOutcome(undefined) };
}

/** The list `sending` went to no longer exists: the text stays in the field. */
function listGone(sending: Sending): string {
  return `“${sending.title}” was not saved before the page was reloaded: its list no longer exists. The text is back in the field.`;
}

/** The API could not be asked (down, or unreachable): the record stays for the next load. */
function notCheckedYet(sending: Sending): string {
  return `Could not check yet whether “${sending.title}” was saved before the page was reloaded: the text stays in the field. Check the list before adding it again.`;
}
