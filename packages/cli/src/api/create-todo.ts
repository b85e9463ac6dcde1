import { randomUUID } from 'node:crypto';
import { withDeadline } from '../deadline.js';
import { CliError } from '../errors.js';
import type { Io } from '../io.js';
import { mayHaveBeenStored, nothingSent } from '../refresh-failure.js';
import type { Session } from '../session.js';
import { NOT_MADE_503, WRITE_OUTCOME_UNKNOWN } from '../write-outcome.js';
import { type ApiClient, unwrap } from './client.js';
import { retryAfterMs } from './retry-after.js';
import type { paths } from './schema.gen.js';

type Create = paths['/todos/']['post'];
type NewTodo = Create['requestBody']['content']['application/json'];
type Created = Create['responses'][201]['content']['application/json'];

/** How long `todo add` waits for the API's answer before it sends the request once more. */
export const CREATE_TIMEOUT_MS = 30_000;
/** The longest `Retry-After` of a 503 that `todo add` waits before its one retry. */
export const RETRY_AFTER_CAP_MS = 5_000;

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
 * answer never creates a second one. Each send first gets the access token (a refresh when it is
 * due) under the same deadline. What a failure says depends on whether a send got past that
 * step: when none did, nothing reached the API and running it again is safe
 * ({@link nothingSent}); when one did and its answer was lost, the create may exist, and
 * `lostText` tells the person how to look — also when it is the refresh before the retry that
 * fails or is given up ({@link mayHaveBeenStored}).
 */
export async function createOnce<T>(
  io: Pick<Io, 'now' | 'sleep'>,
  session: CreateSession,
  post: CreateSend<T>,
  lostText: string,
  timeoutMs = CREATE_TIMEOUT_MS,
): Promise<T> {
  const header = { 'idempotency-key': `"${randomUUID()}"` };
  /** A send got past the refresh: the API may have stored the create. */
  let sent = false;
  /** The send under way is still getting the access token. */
  let refreshing = false;
  const send = () =>
    withDeadline(timeoutMs, async (signal) => {
      refreshing = true;
      await session.credentials(undefined, signal).catch((e: unknown) => {
        throw sent ? mayHaveBeenStored(e, lostText) : nothingSent(e);
      });
      refreshing = false;
      sent = true;
      return post(header, signal);
    });
  const issuer = session.settings.issuer;
  const lost = (error: unknown) => unansweredAgain(error, { sent, refreshing, issuer, lostText });
  let first: Answer<T>;
  try {
    first = await send();
  } catch (error) {
    if (!unanswered(error)) throw error;
    // The first send may have been stored (it got past the refresh): whatever the retry's
    // refusal says, the create may exist.
    return settle(await send().catch(lost), sent ? lostText : undefined);
  }
  // A 503 `write_outcome_unknown`: the first send may have been stored, whatever comes after.
  const maybe =
    (first.error as { code?: unknown } | undefined)?.code === WRITE_OUTCOME_UNKNOWN
      ? lostText
      : undefined;
  if (first.response.status === 503) {
    const wait = retryAfterMs(first.response.headers.get('retry-after'), io.now());
    if (wait !== undefined && wait <= RETRY_AFTER_CAP_MS) {
      await io.sleep(wait);
      return settle(await send().catch(lost), maybe);
    }
  }
  return settle(first, maybe);
}

/**
 * The data of an answered create, or its refusal ({@link unwrap}) saying what became of the
 * create: after a lost first answer, a retry refused as still in progress (409) or by an outage
 * (5xx) leaves the first send possibly stored (`lostText`), and so does a first answer 503
 * `write_outcome_unknown` (the API's database may have committed it) with whatever comes after;
 * a 503 with neither before it stored nothing ({@link NOT_MADE_503}).
 */
function settle<T>(answer: Answer<T>, lostText?: string): T {
  try {
    return unwrap(answer);
  } catch (error) {
    if (!(error instanceof CliError) || error.status === undefined) throw error;
    const { status } = error;
    const line =
      lostText !== undefined && (status === 409 || status >= 500)
        ? lostText
        : status === 503
          ? NOT_MADE_503
          : undefined;
    if (line === undefined) throw error;
    throw new CliError(error.code, `${error.message}\n${line}`, { cause: error, status });
  }
}

/**
 * The retry got no answer either (any other error is thrown as it is). Who did not answer is
 * named: the identity provider when the retry was given up while refreshing the access token,
 * else the API. When a send reached the API, it may have stored the create (only the answer was
 * lost), and the key dies with this run: running the command again sends a new one, so it would
 * create a second; the person is told to look first (`lostText`). When none did, the create
 * never left this machine and running it again is safe.
 */
function unansweredAgain(
  error: unknown,
  state: { sent: boolean; refreshing: boolean; issuer: string; lostText: string },
): never {
  if (!unanswered(error)) throw error;
  const why = state.refreshing
    ? `The identity provider at ${state.issuer} did not answer in time (refreshing the access token)`
    : error instanceof CliError
      ? error.message
      : 'The API did not answer in time';
  const then = state.sent
    ? state.lostText
    : 'Nothing was sent to the API: running the command again is safe';
  throw new CliError(state.refreshing ? 'idp_unreachable' : 'api_unreachable', `${why}\n${then}`, {
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
