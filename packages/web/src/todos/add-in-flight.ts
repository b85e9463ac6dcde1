import type { TodoApiClient } from '../api/client.js';
import { unwrap } from '../api/endpoints.js';
import { isApiError } from '../api/errors.js';
import type { NewTodo, Todo } from '../api/types.js';
import { draftOwner } from '../drafts/use-draft.js';
import { PAGE_LOAD as PAGE } from '../sync/page-load.js';

/**
 * New todos on their way to the API, remembered in `sessionStorage` from the send until the API
 * answers. Each add carries an idempotency key (draft-ietf-httpapi-idempotency-key-header): the
 * API stores the todo with its key, answers a repeat of the same request with the same key with
 * the todo it stored then (`Idempotent-Replayed: true`) and creates nothing more. So when the
 * page goes before the answer (a reload, a sign-in round trip), the next load sends the very
 * same request again and learns exactly what became of it: the API either stored it then (and
 * says so now) or stores it now. Nothing is guessed from titles or clocks, and another member's
 * todo of the same title on a shared list is never taken for it.
 *
 * Stored under the drafts' prefix, so they go with them (sign-out, another person on the tab),
 * and each record names the person who sent it besides: only theirs is ever sent again.
 */
const KEY = 'todo-sso.draft.new.adds';

/**
 * The API keeps a key 24 hours (its retention, draft §2.3): a send older than 23 hours is not
 * sent again, since the API may have forgotten the key and would store the todo a second time.
 */
export const RESEND_WITHIN_MS = 23 * 60 * 60_000;

/** At most this many records are kept (the oldest go first). */
const MAX_RECORDS = 20;

/**
 * A fresh idempotency key: a UUID v4 (draft §2.2: unique, as random as a UUID), from
 * `crypto.randomUUID` where the page may use it (secure contexts), else built from
 * `crypto.getRandomValues` (RFC 9562 §5.4).
 */
export function newIdempotencyKey(): string {
  // Only secure contexts (https, localhost) have `randomUUID`.
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The exact request of an add: sent again as it was, with the same key. */
export interface AddRequest {
  readonly path: '/todos/';
  /** As sent: trimmed, notes absent when empty, the list when one was chosen. */
  readonly body: NewTodo;
}

export interface AddRecord extends AddRequest {
  /** The `Idempotency-Key` it went with. */
  readonly key: string;
  /** Who sent it (the drafts' owner): nobody else's load sends it again. */
  readonly sub: string | null;
  /** The page load that sent it (or last sent it again). */
  readonly page: string;
  /** The fields' text when it was sent (the drafts hold it meanwhile). */
  readonly typed: { readonly title: string; readonly description: string };
  /** When it was first sent (this browser's clock: only compared with itself). */
  readonly at: number;
  /**
   * `unknown`: the last try got no answer the API stands by (no network, an outage) and its
   * text went back to the person; sending the same request again reuses the key. A record left
   * by a reload is sent again by the next load unless it is `returned` (given up in the page
   * that sent it, after its retries: the person was told it failed and has the text).
   */
  readonly state: 'sending' | 'unknown' | 'returned';
}

function isRecord(value: unknown): value is AddRecord {
  const record = value as AddRecord | null;
  return (
    typeof record === 'object' &&
    record !== null &&
    typeof record.key === 'string' &&
    record.path === '/todos/' &&
    typeof record.body?.title === 'string' &&
    typeof record.page === 'string' &&
    typeof record.typed?.title === 'string' &&
    typeof record.typed.description === 'string' &&
    typeof record.at === 'number' &&
    (record.state === 'sending' || record.state === 'unknown' || record.state === 'returned')
  );
}

function read(): AddRecord[] {
  try {
    const parsed: unknown = JSON.parse(window.sessionStorage.getItem(KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter(isRecord) : [];
  } catch {
    return [];
  }
}

function write(records: readonly AddRecord[]): void {
  // One given up in its own page is kept only to lend its key to the same add, while it may.
  const now = Date.now();
  const kept = records
    .filter((record) => record.state !== 'returned' || now - record.at < RESEND_WITHIN_MS)
    .slice(-MAX_RECORDS);
  try {
    if (kept.length > 0) window.sessionStorage.setItem(KEY, JSON.stringify(kept));
    else window.sessionStorage.removeItem(KEY);
  } catch {
    // Storage full or disabled: the draft alone puts the text back after a reload.
  }
}

function update(key: string, change: (record: AddRecord) => AddRecord | null): void {
  const records = read();
  if (!records.some((record) => record.key === key)) return;
  write(records.flatMap((record) => (record.key === key ? (change(record) ?? []) : [record])));
}

const sameRequest = (a: AddRequest, b: AddRequest) =>
  a.path === b.path &&
  a.body.title === b.body.title &&
  (a.body.description ?? null) === (b.body.description ?? null) &&
  (a.body.listId ?? null) === (b.body.listId ?? null);

/**
 * Remembers an add that is being sent now, and returns the key to send it with: a fresh one,
 * or, when the same request went before and its outcome is unknown (no answer, an outage), that
 * one's, so that the API answers with the todo it may have stored then instead of a second one
 * (draft §2.5: a retry of a request goes with its key). A same add still on its way is another
 * todo (added twice on purpose): it gets a fresh key.
 */
export function rememberAdd(request: AddRequest, typed: AddRecord['typed']): string {
  const sub = draftOwner();
  const now = Date.now();
  const records = read();
  const earlier = records.find(
    (record) =>
      record.sub === sub &&
      record.state !== 'sending' &&
      now - record.at < RESEND_WITHIN_MS &&
      sameRequest(record, request),
  );
  const key = earlier?.key ?? newIdempotencyKey();
  const at = earlier?.at ?? now;
  const rest = records.filter((record) => record.key !== key);
  write([...rest, { ...request, key, sub, page: PAGE, typed, at, state: 'sending' }]);
  return key;
}

/** The API answered the add sent with `key` (stored it, or refused it for good): forget it. */
export function forgetAdd(key: string): void {
  update(key, () => null);
}

/**
 * The add sent with `key` got no answer the API stands by, even after its retries, and its text
 * went back to the person: not sent again by itself, but adding the same text again reuses the
 * key.
 */
export function returnAdd(key: string): void {
  update(key, (record) => ({ ...record, state: 'returned' }));
}

/**
 * Whether the API's answer says nothing about the add (it may or may not have stored it): no
 * answer, the API or the identity provider unavailable, the key still being processed (409,
 * draft §2.7), a server error, or a session that must be signed in again first (401).
 * Any other 4xx refused it, and the API stores nothing for a refused request.
 */
export function outcomeUnknown(error: unknown): boolean {
  if (!isApiError(error)) return true;
  const { status } = error;
  return (
    status === 0 ||
    status >= 500 ||
    status === 401 ||
    status === 408 ||
    status === 409 ||
    status === 429
  );
}

/**
 * This page sends the add `key` again: another mount of the form in this page does not, while
 * the next load still does if no answer comes.
 */
export function claimAdd(key: string): void {
  update(key, (record) => ({ ...record, page: PAGE, state: 'sending' }));
}

/** The add `key` sent again got no answer the API stands by: the next load sends it again. */
export function unansweredAdd(key: string): void {
  update(key, (record) => ({ ...record, state: 'unknown' }));
}

/** The adds an earlier page load of this tab left unanswered, of the person signed in now. */
export function leftAdds(): AddRecord[] {
  const sub = draftOwner();
  return read().filter(
    (record) => record.page !== PAGE && record.state !== 'returned' && record.sub === sub,
  );
}

/**
 * Sends an add left behind again with its key: true when the API answered with the todo it had
 * stored for the key before (`Idempotent-Replayed: true`, draft §2.6), false when it stored it
 * now (the first send never reached it).
 */
export async function resendAdd(
  api: TodoApiClient,
  request: AddRequest,
  key: string,
): Promise<boolean> {
  let replayed = false;
  await unwrap(
    api
      .POST(request.path, {
        body: request.body,
        params: { header: { 'idempotency-key': `"${key}"` } },
      })
      .then((result) => {
        replayed = result.response.headers.get('Idempotent-Replayed') === 'true';
        return result;
      }),
  );
  return replayed;
}

/** Sends `request` (again) with `key`. */
export function sendAdd(api: TodoApiClient, request: AddRequest, key: string): Promise<Todo> {
  // draft §2.1: the key is a Structured Field String (RFC 8941 §3.3.3), quoted.
  return unwrap(
    api.POST(request.path, {
      body: request.body,
      params: { header: { 'idempotency-key': `"${key}"` } },
    }),
  );
}
