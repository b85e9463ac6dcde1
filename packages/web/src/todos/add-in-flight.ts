import type { QueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useApi } from '../api/ApiContext.js';
import type { TodoApiClient } from '../api/client.js';
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

export interface Sending {
  /** Tells this send from a later one (a second todo added before the first was answered). */
  readonly nonce: string;
  /** The page load that sent it. */
  readonly page: string;
  /** As sent: trimmed, notes absent when empty. */
  readonly title: string;
  readonly description: string | null;
  /** The field's text when it was sent (the draft holds it). */
  readonly typed: string;
  readonly listId: string | undefined;
  /** When it was sent (the browser's clock). */
  readonly at: number;
  /** Todos of the same title this tab already knew: they are not the one sent. */
  readonly known: readonly string[];
}

function read(): Sending | null {
  try {
    const raw = window.sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Sending) : null;
  } catch {
    return null;
  }
}

/** Remembers a new todo that is being sent now. */
export function rememberSending(sending: Omit<Sending, 'nonce' | 'page' | 'at'>): string {
  const nonce = randomId();
  const record: Sending = { ...sending, nonce, page: PAGE, at: Date.now() };
  try {
    window.sessionStorage.setItem(KEY, JSON.stringify(record));
  } catch {
    // Storage full or disabled: the draft alone puts the text back after a reload.
  }
  return nonce;
}

/** The API answered the send `nonce` (or its outcome was settled): forget it. */
export function forgetSending(nonce: string): void {
  if (read()?.nonce !== nonce) return;
  try {
    window.sessionStorage.removeItem(KEY);
  } catch {
    // Nothing stored.
  }
}

/** A send an earlier page load of this tab left without an answer, if any. */
export function unansweredSending(): Sending | null {
  const sending = read();
  return sending && sending.page !== PAGE ? sending : null;
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
  return page.items.find(
    (todo) =>
      todo.title === sending.title &&
      (todo.description ?? null) === sending.description &&
      !sending.known.includes(todo.id) &&
      Date.parse(todo.createdAt) >= sending.at - CLOCK_SKEW_MS,
  );
}

/**
 * On the first load after a page went while a new todo was on its way: when the API stored it,
 * the text the draft put back in the field goes (it would be added twice), and either way the
 * person is told what became of it: `outcome`, until `dismiss`. When the API cannot be asked,
 * the text stays in the field, where it can be added again.
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
        forgetSending(sending.nonce);
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
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api]);
  return { outcome, dismiss: () => setOutcome(undefined) };
}
