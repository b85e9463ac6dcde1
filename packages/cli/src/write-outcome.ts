import { connectionNeverMade } from '@todo-sso/auth/net';
import { CliError } from './errors.js';

/**
 * A TLS handshake that failed: like a connection never made (`connectionNeverMade`), the API
 * never saw the request.
 */
const TLS = /CERT|SELF_SIGNED|UNABLE_TO_|^ERR_TLS_|HOSTNAME_MISMATCH|^ERR_SSL_/;

/** Whether a request that got no answer (`error`, as fetch rejects) cannot have reached the API. */
export function neverSent(error: unknown): boolean {
  if (connectionNeverMade(error)) return true;
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return typeof code === 'string' && TLS.test(code);
}

/**
 * What a 503 of a change means: the API answers 503 (its database, the decision point or the
 * identity provider unavailable, a schema moved under it) when it made no change, the write's
 * transaction rolled back (docs/architecture.md, packages/api/README.md) — but for
 * {@link WRITE_OUTCOME_UNKNOWN}.
 */
export const NOT_MADE_503 = 'Nothing was changed: the API answered that it is unavailable.';

/**
 * The API's 503 for a write whose commit got no answer from its database (the connection lost
 * in between): the change may or may not have been made, so never {@link NOT_MADE_503}.
 */
export const WRITE_OUTCOME_UNKNOWN = 'write_outcome_unknown';

/** Whether `error` is the API's {@link WRITE_OUTCOME_UNKNOWN} answer. */
export function outcomeUnknown(error: unknown): boolean {
  return error instanceof CliError && error.problem === WRITE_OUTCOME_UNKNOWN;
}

/**
 * What `todo done`, `todo rm` and `todo share` say when their one change failed without a
 * refusal that says it all: a request that never left this machine changed nothing; one whose
 * answer was lost (`api_unreachable` after it was sent) may or may not have been made, and
 * `check` says how to look and whether running the command again is safe; so does a 503
 * {@link WRITE_OUTCOME_UNKNOWN}; any other 503 changed nothing. Any other error is returned as it is.
 */
export function changeOutcome(error: unknown, check: string): unknown {
  if (!(error instanceof CliError)) return error;
  const again = (line: string) =>
    new CliError(error.code, `${error.message}\n${line}`, {
      cause: error,
      ...(error.status !== undefined && { status: error.status }),
    });
  if (error.code === 'api_unreachable')
    return neverSent(error.cause)
      ? again(
          'Nothing was sent to the API, so nothing was changed: running the command again is safe.',
        )
      : again(`The change may or may not have been made: ${check}`);
  if (outcomeUnknown(error))
    return again(
      `The change may or may not have been made (the API lost its connection to its database while saving it): ${check}`,
    );
  if (error.status === 503) return again(NOT_MADE_503);
  return error;
}
