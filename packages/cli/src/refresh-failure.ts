import { CliError } from './errors.js';

/**
 * What a command that changes something says when the token refresh it needs fails: the provider
 * unreachable (`idp_unreachable`), answering with an error such as a 503 (`idp_error`), or
 * refusing the refresh token (`session_ended`, RFC 6749 §5.2 `invalid_grant`). Every other error
 * is returned as it is. The message of the failure is kept, and a line says what became of the
 * change, so the person knows whether running the command again could make it twice.
 */
const REFRESH_FAILURES: ReadonlySet<string> = new Set([
  'idp_unreachable',
  'idp_error',
  'session_ended',
]);

/** Whether `error` is a failed token refresh (see {@link REFRESH_FAILURES}). */
export function isRefreshFailure(error: unknown): error is CliError {
  return error instanceof CliError && REFRESH_FAILURES.has(error.code);
}

/** `error` of a failed refresh with `line` added after its message; any other error as it is. */
function withLine(error: unknown, line: (again: string) => string): unknown {
  if (!isRefreshFailure(error)) return error;
  const again =
    error.code === 'session_ended'
      ? 'after todo login, running the command again is safe'
      : 'running the command again is safe';
  return new CliError(error.code, `${error.message}\n${line(again)}`, { cause: error });
}

/**
 * The refresh came before a create was sent, so the create never left this machine: says so,
 * and that running the command again is safe (once signed in again, when the session ended).
 */
export function nothingSent(error: unknown): unknown {
  return withLine(error, (again) => `Nothing was sent to the API: ${again}`);
}

/**
 * The refresh came before the one request that changes something (`todo done`, `todo rm`,
 * `todo share`), or after the API refused that request with 401: nothing was changed (the reads
 * before it, looking up an id or a list, change nothing), and running the command again is safe.
 */
export function nothingChanged(error: unknown): unknown {
  return withLine(error, (again) => `Nothing was changed: ${again}`);
}

/**
 * The refresh before the retry of a create whose first answer was lost: the API may have stored
 * the first send, so the person is told so and how to look (`lostText`), never that nothing was
 * sent. Running the command again would send a new `Idempotency-Key`, and so a second create.
 */
export function mayHaveBeenStored(error: unknown, lostText: string): unknown {
  if (!isRefreshFailure(error)) return error;
  return new CliError(error.code, `${error.message}\n${lostText}`, { cause: error });
}
