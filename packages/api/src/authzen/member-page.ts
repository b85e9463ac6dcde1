import { byCodePoint } from '../db/code-point-order.js';
import type { Db } from '../db/database.js';
import type { CandidateRange } from './search.js';

/**
 * One page of a list's members at `issuer`, by code point on both engines: the position (`>`)
 * compared as the order is (`byCodePoint`). On PostgreSQL the index `list_members_code_point`
 * (migration 013, `member_sub COLLATE "C"`) answers it; the primary key's `member_sub` has the
 * database's collation, which a `COLLATE "C"` condition or order cannot use.
 */
export function memberPage(db: Db, listId: string, issuer: string, range: CandidateRange) {
  const sub = byCodePoint(db.dialect, 'member_sub');
  let query = db.kysely
    .selectFrom('list_members')
    .select(['member_sub', 'relation'])
    .where('list_id', '=', listId)
    .where('member_issuer', '=', issuer);
  if (range.after !== undefined) query = query.where(sub, '>', range.after);
  return query.orderBy(sub).limit(range.limit);
}
