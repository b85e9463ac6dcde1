import { oneLine } from '../admin-idp/provider-text.js';
import { byCodePoint } from '../db/code-point-order.js';
import type { Db } from '../db/database.js';
import { toIso } from '../db/database.js';
import { ApiError } from '../http/problem.js';
import {
  decodeCursorParts,
  encodeCursorParts,
  InvalidCursorError,
  isCursorInstant,
} from '../repositories/cursor.js';
import { TEXT_PATTERN } from '../schemas/common.js';

type Tx = Db['kysely'];
type RawText = ReturnType<typeof byCodePoint>;

/** How long a failed attempt's reason may be, in the row and in the audit record. */
export const GRANT_END_REASON_MAX = 500;

/** One pending grant end (`agent_grant_ends`), named the way the API answers. */
export interface GrantEndRow {
  readonly issuer: string;
  readonly sub: string;
  readonly clientId: string;
  readonly requestedAt: string;
  /** Failed attempts so far, on every instance. */
  readonly attempts: number;
  readonly attemptedAt: string | null;
  readonly lastError: string | null;
}

/** Which pending grant end: the person (issuer and `sub`) and the agent's client. */
export interface GrantEndKey {
  readonly issuer: string;
  readonly sub: string;
  readonly clientId: string;
}

/** The row of `key`, or undefined. */
export async function findGrantEnd(k: Tx, key: GrantEndKey): Promise<GrantEndRow | undefined> {
  const row = await k
    .selectFrom('agent_grant_ends')
    .selectAll()
    .where('issuer', '=', key.issuer)
    .where('sub', '=', key.sub)
    .where('client_id', '=', key.clientId)
    .executeTakeFirst();
  return row && toGrantEnd(row);
}

/** 404: no grant end of `key` is pending (never was, or was settled already). */
export function notPending(key: GrantEndKey): ApiError {
  return new ApiError(
    'not_found',
    `No grant end of ${key.clientId} is pending for ${key.sub} at ${key.issuer}`,
  );
}

/** When each pending grant end was requested (for the gauges). */
export async function pendingSince(k: Tx): Promise<{ requestedAt: Date }[]> {
  const rows = await k.selectFrom('agent_grant_ends').select('requested_at').execute();
  return rows.map((row) => ({ requestedAt: new Date(row.requested_at) }));
}

/** Deletes the row of `key`; whether there was one. */
export async function deleteGrantEnd(k: Tx, key: GrantEndKey): Promise<boolean> {
  const result = await k
    .deleteFrom('agent_grant_ends')
    .where('issuer', '=', key.issuer)
    .where('sub', '=', key.sub)
    .where('client_id', '=', key.clientId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/**
 * A failed attempt: counted, timed and its reason kept, as one line of at most 500 characters
 * (the provider's words in it: no control character, and nothing PostgreSQL refuses to store).
 * Whether the row was still there.
 */
export async function recordGrantEndFailure(
  k: Tx,
  key: GrantEndKey,
  reason: string,
  now: Date,
): Promise<boolean> {
  const result = await k
    .updateTable('agent_grant_ends')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      attempted_at: now.toISOString(),
      last_error: oneLine(reason, GRANT_END_REASON_MAX),
    }))
    .where('issuer', '=', key.issuer)
    .where('sub', '=', key.sub)
    .where('client_id', '=', key.clientId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * The pending grant ends, oldest first (the oldest is the hold an alert is about), a page at a
 * time: keyset pagination on (requested_at, issuer, sub, client_id), the primary key making
 * the order total, with an opaque cursor as `/admin/audit` has. Text is ordered and compared by
 * code point, so both engines (and every PostgreSQL collation) page alike.
 */
export async function listGrantEnds(
  db: Db,
  options: { limit: number; cursor?: string },
): Promise<{ items: GrantEndRow[]; nextCursor: string | null }> {
  const [issuer, sub, clientId] = (['issuer', 'sub', 'client_id'] as const).map((column) =>
    byCodePoint(db.dialect, column),
  ) as [RawText, RawText, RawText];
  let query = db.kysely.selectFrom('agent_grant_ends').selectAll();
  if (options.cursor !== undefined) {
    const after = decodeGrantEndCursor(options.cursor);
    query = query.where((eb) =>
      eb.or([
        eb('requested_at', '>', after.requestedAt),
        eb.and([
          eb('requested_at', '=', after.requestedAt),
          eb.or([
            eb(issuer, '>', after.issuer),
            eb.and([
              eb('issuer', '=', after.issuer),
              eb.or([
                eb(sub, '>', after.sub),
                eb.and([eb('sub', '=', after.sub), eb(clientId, '>', after.clientId)]),
              ]),
            ]),
          ]),
        ]),
      ]),
    );
  }
  const rows = await query
    .orderBy('requested_at')
    .orderBy(issuer)
    .orderBy(sub)
    .orderBy(clientId)
    .limit(options.limit + 1)
    .execute();
  const items = rows.slice(0, options.limit).map(toGrantEnd);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > options.limit && last ? encodeGrantEndCursor(last) : null,
  };
}

function toGrantEnd(row: {
  issuer: string;
  sub: string;
  client_id: string;
  requested_at: Date | string;
  attempts: number | string;
  attempted_at: Date | string | null;
  last_error: string | null;
}): GrantEndRow {
  return {
    issuer: row.issuer,
    sub: row.sub,
    clientId: row.client_id,
    requestedAt: toIso(row.requested_at),
    attempts: Number(row.attempts),
    attemptedAt: row.attempted_at === null ? null : toIso(row.attempted_at),
    lastError: row.last_error,
  };
}

const TEXT = new RegExp(TEXT_PATTERN, 'u');

/** The last row's sort key as an opaque cursor (as every cursor of the API). */
function encodeGrantEndCursor(row: GrantEndRow): string {
  return encodeCursorParts([row.requestedAt, row.issuer, row.sub, row.clientId]);
}

/**
 * Reads a cursor back, every part checked (an instant that round-trips through `Date`, text
 * both engines store), so nothing unvalidated reaches SQL.
 *
 * @throws {InvalidCursorError} when the cursor is not one this API issued.
 */
function decodeGrantEndCursor(cursor: string): {
  requestedAt: string;
  issuer: string;
  sub: string;
  clientId: string;
} {
  const [requestedAt = '', issuer = '', sub = '', clientId = ''] = decodeCursorParts(cursor, 4);
  // Year 0 too is refused, before SQL: PostgreSQL's calendar has none, SQLite compares text.
  if (
    ![issuer, sub, clientId].every((part) => part !== '' && TEXT.test(part)) ||
    !isCursorInstant(requestedAt)
  )
    throw new InvalidCursorError('cursor is not one this API issued');
  return { requestedAt, issuer, sub, clientId };
}
