import { isAuthError } from '@todo-sso/auth';
import type { FastifyRequest } from 'fastify';
import { DecisionPointUnavailableError } from '../authz/remote-pdp.js';
import type { AppContext } from '../context.js';
import { isSchemaMismatch, newerMigrations } from '../db/schema-moved.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { isWriteOutcomeUnknown } from '../db/write-outcome.js';
import { ApiError } from '../http/problem.js';
import { UPGRADING } from '../http/server-errors.js';
import { InvalidCursorError } from '../repositories/cursor.js';
import { ToolRefusal } from './operations.js';

/** Any failure of a tool as a refusal with a stable code; unexpected ones are logged, not shown. */
export async function refusalOf(
  context: AppContext,
  error: unknown,
  request: FastifyRequest,
): Promise<ToolRefusal> {
  if (error instanceof ToolRefusal) return error;
  if (error instanceof ApiError)
    return new ToolRefusal(error.code, error.status, error.message, undefined, error.denial);
  if (isAuthError(error)) return new ToolRefusal(error.code, error.status, error.description);
  // A cursor the API never issued is the caller's mistake (400 on `GET /todos/` too).
  if (error instanceof InvalidCursorError)
    return new ToolRefusal('validation_failed', 400, error.message);
  if (isWriteOutcomeUnknown(error)) {
    // The write's COMMIT got no answer: it may be saved; not the outage below, nothing written.
    request.log.error({ err: error }, 'tool failed: the outcome of its write is unknown');
    return new ToolRefusal('write_outcome_unknown', 503, WRITE_OUTCOME_UNKNOWN_TOOL);
  }
  if (error instanceof DecisionPointUnavailableError || isDatabaseUnavailable(error)) {
    // Fail closed, as the routes do with 503: nothing was decided or written.
    request.log.error({ err: error }, 'tool failed: a dependency is unavailable');
    return new ToolRefusal('unavailable', 503, 'A service the tool needs is unavailable');
  }
  // As the routes answer it (`http/server-errors.ts`): a newer release migrated the schema.
  const newer = isSchemaMismatch(error) ? await newerMigrations(context.db) : [];
  if (newer.length > 0) {
    request.log.error({ err: error, migrations: newer }, 'database migrated by a newer release');
    return new ToolRefusal('unavailable', 503, UPGRADING);
  }
  request.log.error({ err: error }, 'tool failed');
  return new ToolRefusal('internal_error', 500, 'An unexpected error occurred');
}

/** A tool's write whose outcome is unknown (`write_outcome_unknown`), in a model's terms. */
export const WRITE_OUTCOME_UNKNOWN_TOOL =
  'The connection to the database was lost while the change was being saved: it may or may not have been saved. Calling the tool again with the same arguments is safe for a create with the same idempotencyKey (answered as the first call was, or made once) and for an update, completion, deletion or share (they set a state); a create without an idempotencyKey may have been made: list the todos before creating it again.';
