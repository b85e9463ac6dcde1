import { randomUUID } from 'node:crypto';
import { withDeadline } from '../deadline.js';
import { CliError } from '../errors.js';
import type { Io } from '../io.js';
import type { Session } from '../session.js';
import { type ApiClient, unwrap } from './client.js';
import type { paths } from './schema.gen.js';

type Create = paths['/todos/']['post'];
type NewTodo = Create['requestBody']['content']['application/json'];
type Created = Create['responses'][201]['content']['application/json'];

/** How long `todo add` waits for the API's answer before it sends the request once more. */
export const CREATE_TIMEOUT_MS = 30_000;
/** The longest `Retry-After` of a 503 that `todo add` waits before its one retry. */
export const RETRY_AFTER_CAP_MS = 5_000;
/** The wait before the retry of a 503 that names no time. */
const DEFAULT_RETRY_MS = 1_000;

/** An answer as the API client gives it. */
type Answer<T> = { data?: T; error?: unknown; response: Response };

/** What a create sends: the `Idempotency-Key` header and the deadline's signal. */
export type CreateSend<T> = (
  header: { 'idempotency-key': string },
  signal: AbortSignal,
) => Promise<Answer<T>>;

/**
 * What a create needs of the session: the access token, refreshed first when it must be, so that
 * a deadline reached during the refresh is known to have sent nothing to the API.
 */
export type CreateSession = Pick<Session, 'credentials' | 'settings'>;

/**
 * Creates a todo with an `Idempotency-Key` of its own (see {@link createOnce}). `timeoutMs` is
 * for tests.
 */
export function createTodo(
  api: ApiClient,
  session: CreateSession,
  io: Pick<Io, 'now' | 'sleep'>,
  body: NewTodo,
  timeoutMs = CREATE_TIMEOUT_MS,
): Promise<Created> {
  const send: CreateSend<Created> = (header, signal) =>
    api.POST('/todos/', { params: { header }, body, signal });
  const lost =
    'The todo may have been added before its answer was lost: check with todo ls before adding it again';
  return createOnce(io, session, send, lost, timeoutMs);
}

/**
 * Sends a create with an `Idempotency-Key` of its own (a fresh UUID per call,
 * draft-ietf-httpapi-idempotency-key-header §2.1, sent as a Structured Field string), and sends
 * the same request once more, with the same key, when the first gets no answer (the API
 * unreachable, the connection lost, no answer within {@link CREATE_TIMEOUT_MS}) or a 503 whose
 * `Retry-After` (RFC 9110 §10.2.3) is at most {@link RETRY_AFTER_CAP_MS}. The API answers a
 * retry of a create it stored with that create's answer (`Idempotent-Replayed: true`), so a lost
 * answer never creates a second one. `lostText` tells the person, after two lost answers, that
 * it may exist and how to look. Each send first gets the access token (a refresh when it is due)
 * under the same deadline: when no send got past that step, the identity provider is what did
 * not answer, nothing reached the API, and the person is told that running it again is safe; a
 * refresh that fails at once before the first send says so too ({@link nothingSent}).
 */
export async function createOnce<T>(
  io: Pick<Io, 'now' | 'sleep'>,
  session: CreateSession,
  post: CreateSend<T>,
  lostText: string,
  timeoutMs = CREATE_TIMEOUT_MS,
): Promise<T> {
  const header = { 'idempotency-key': `"${randomUUID()}"` };
  let sent = false;
  const send = () =>
    withDeadline(timeoutMs, async (signal) => {
      await session.credentials(undefined, signal).catch((e: unknown) => {
        throw sent ? e : nothingSent(e);
      });
      sent = true;
      return post(header, signal);
    });
  const lost = (error: unknown) =>
    sent ? lostTwice(error, lostText) : neverSent(error, session.settings.issuer);
  let first: Answer<T>;
  try {
    first = await send();
  } catch (error) {
    if (!unanswered(error)) throw error;
    return unwrap(await send().catch(lost));
  }
  if (first.response.status === 503) {
    const wait = retryAfterMs(first.response.headers.get('retry-after'), io.now());
    if (wait !== undefined && wait <= RETRY_AFTER_CAP_MS) {
      await io.sleep(wait);
      return unwrap(await send().catch(lost));
    }
  }
  return unwrap(first);
}

/**
 * The retry got no answer. The API may have stored the first or the second send (only the answer
 * was lost), and the key dies with this run: running the command again sends a new one, so it
 * would create a second. The person is told to look first.
 */
function lostTwice(error: unknown, lostText: string): never {
  if (!unanswered(error)) throw error;
  const why = error instanceof CliError ? error.message : 'The API did not answer in time';
  throw new CliError('api_unreachable', `${why}\n${lostText}`, { cause: error });
}

/**
 * Both sends were given up while the access token was being refreshed: the identity provider did
 * not answer in time, and the create never left this machine.
 */
function neverSent(error: unknown, issuer: string): never {
  if (!unanswered(error)) throw error;
  throw new CliError(
    'idp_unreachable',
    `The identity provider at ${issuer} did not answer in time (refreshing the access token)\nNothing was sent to the API: running the command again is safe`,
    { cause: error },
  );
}

/** A failed token refresh: the provider unreachable or refusing, or the session ended. */
const REFRESH_FAILURES: ReadonlySet<string> = new Set([
  'idp_unreachable',
  'idp_error',
  'session_ended',
]);

/**
 * `error` of the token refresh that comes before a write, which therefore never left this
 * machine: a failed refresh says so, and that running the command again is safe (once signed in
 * again, when the session ended). Any other error is returned as it is.
 */
export function nothingSent(error: unknown): unknown {
  if (!(error instanceof CliError) || !REFRESH_FAILURES.has(error.code)) return error;
  const again =
    error.code === 'session_ended'
      ? 'after todo login, running the command again is safe'
      : 'running the command again is safe';
  return new CliError(error.code, `${error.message}\nNothing was sent to the API: ${again}`, {
    cause: error,
  });
}

/**
 * A request that got no answer: the API unreachable or the connection lost before the answer
 * (`api_unreachable`, from the authenticated fetch), or the answer cut or timed out while its
 * body was read.
 */
function unanswered(error: unknown): boolean {
  if (error instanceof CliError) return error.code === 'api_unreachable';
  const name = (error as { name?: unknown } | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return true;
  return error instanceof TypeError && /^(terminated|fetch failed)$/.test(error.message);
}

/**
 * RFC 9110 §10.2.3: `Retry-After` as delay-seconds or an HTTP-date, in milliseconds from `now`;
 * {@link DEFAULT_RETRY_MS} without one, undefined when it cannot be read.
 */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null) return DEFAULT_RETRY_MS;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
