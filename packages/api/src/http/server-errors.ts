import type { FastifyReply, FastifyRequest } from 'fastify';
import { DecisionPointUnavailableError } from '../authz/remote-pdp.js';
import type { AppContext } from '../context.js';
import { isSchemaMismatch, newerMigrations } from '../db/schema-moved.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { isWriteOutcomeUnknown, WRITE_OUTCOME_UNKNOWN } from '../db/write-outcome.js';
import { PROBLEM_JSON, type ProblemDetails, problem } from './problem.js';

/**
 * Failures that are not the request's (but a database data exception): 400, 503 or 500, for
 * the error handler (`error-handler.ts`).
 */
export async function sendServerSide(
  context: AppContext,
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  if (isDataException(error)) {
    // PostgreSQL SQLSTATE class 22 (Appendix A, "data exception": a bad datetime, a value out
    // of range) comes from a value the client sent; inputs are validated before SQL, so this
    // is a missed check, but still the client's bad input: 400, never 500.
    request.log.warn({ err: error }, 'data exception from the database');
    return send(reply, problem('invalid_request', 'A value in the request is invalid'));
  }
  if (error instanceof DecisionPointUnavailableError) {
    // Fail closed: without a decision nothing is allowed, and it is not the caller's fault.
    request.log.error({ err: error }, 'decision point unavailable');
    reply.header('retry-after', '5');
    return send(reply, problem('unavailable', 'The decision point is unavailable'));
  }
  if (isWriteOutcomeUnknown(error)) {
    // Before the ordinary outage, which says nothing was written: this write may have been.
    request.log.error({ err: error }, 'database connection lost during COMMIT: outcome unknown');
    reply.header('retry-after', '5');
    return send(reply, problem('write_outcome_unknown', WRITE_OUTCOME_UNKNOWN));
  }
  if (isDatabaseUnavailable(error)) {
    request.log.error({ err: error }, 'database unavailable');
    reply.header('retry-after', '5');
    return send(reply, problem('unavailable', 'The database is unavailable'));
  }
  // A rolling upgrade: a newer release migrated the schema under this instance. A retry reaches
  // an upgraded instance (RFC 9110 §15.6.4: 503 with Retry-After); migration names stay in the log.
  const newer = isSchemaMismatch(error) ? await newerMigrations(context.db) : [];
  if (newer.length > 0) {
    request.log.error({ err: error, migrations: newer }, 'database migrated by a newer release');
    reply.header('retry-after', '5');
    return send(reply, problem('unavailable', UPGRADING));
  }
  request.log.error({ err: error }, 'unhandled error');
  return send(reply, problem('internal_error', 'An unexpected error occurred'));
}

/** What a request a newer release's schema breaks is answered (503). */
export const UPGRADING =
  'The database was upgraded by a newer release of the API, which this instance is not: retry, an upgraded instance will answer';

/** PostgreSQL SQLSTATE class 22, data exception (directly or as a wrapped `cause`). */
function isDataException(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 4) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code)) return true;
  return isDataException(error.cause, depth + 1);
}

/** Problem details under their media type (RFC 9457 §3), with the status the body names. */
export function send(
  reply: FastifyReply,
  body: ProblemDetails & Record<string, unknown>,
): FastifyReply {
  return reply.code(body.status).type(PROBLEM_JSON).send(JSON.stringify(body));
}
