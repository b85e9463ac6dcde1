import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../db/database.js';
import { toIso } from '../db/database.js';

type Tx = Db['kysely'];

/** A `role` revocation (`Revocation` in revocations.ts, which reads and writes through here). */
export interface RoleRevocation {
  readonly issuer: string;
  readonly kind: 'role';
  /** `["<sub>","<role>"]`, JSON. */
  readonly value: string;
  /** The latest removal. */
  readonly notBefore: string;
  readonly expiresAt: string;
  /** The latest grant. */
  readonly grantedAt?: string;
}

/** The start of the epoch: the `removed_at` or `granted_at` of a role never removed or granted. */
export const NEVER = new Date(0).toISOString();

/**
 * The later of the stored and the proposed time, in SQL both stores run: PostgreSQL compares
 * `timestamptz`, SQLite the ISO 8601 text of one format (`Date#toISOString`), whose order is the
 * time's.
 */
export function laterTime(table: string, column: string) {
  const stored = sql.ref(`${table}.${column}`);
  const proposed = sql.ref(`excluded.${column}`);
  return sql<string>`case when ${proposed} > ${stored} then ${proposed} else ${stored} end`;
}

/**
 * A pair of strings stored as JSON: `["<sub>","<role>"]`, the `value` of a `role` revocation, or
 * `["<sub>","<client>"]`, that of a `client` one; undefined for anything else.
 */
export function parseStringPair(value: string): [string, string] | undefined {
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((v) => typeof v === 'string'))
      return parsed as [string, string];
  } catch {
    // A malformed value names nothing, and matches nothing.
  }
  return undefined;
}

/**
 * The stored `column` plus a millisecond, in the SQL of `dialect` (PostgreSQL `timestamptz`;
 * SQLite's ISO 8601 text in `Date#toISOString`'s format, which its date functions keep to the
 * millisecond).
 */
function justAfter(dialect: Db['dialect'], column: string) {
  const stored = sql.ref(`role_revocations.${column}`);
  return dialect === 'postgres'
    ? sql<string>`${stored} + interval '1 millisecond'`
    : sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', ${stored}, '+0.001 seconds')`;
}

/** The later of two times in SQL both stores run (as {@link laterTime}). */
function later(a: RawBuilder<unknown>, b: RawBuilder<unknown>) {
  return sql<string>`case when ${a} > ${b} then ${a} else ${b} end`;
}

/**
 * Stores a role's removal or grant (`role_revocations`) and returns the row as stored; a repeated
 * one moves each time forward, never back, as `revocations` rows do. Which of a removal and a
 * grant came last is the database's order, not the instances' clocks: the row's upsert is
 * serialised (PostgreSQL locks the conflicting row, SQLite writes one transaction at a time),
 * and a removal is stored at least a millisecond after the grant it follows, a grant at least at
 * the removal it lifts. By the clocks alone, a grant made on an instance whose clock runs ahead
 * outdated a removal made just after it on another: the role's tokens passed again until they
 * expired (fail open). Announce and apply what this returns, so every instance holds the same.
 */
export async function saveRoleRevocation(
  tx: Tx,
  dialect: Db['dialect'],
  revocation: RoleRevocation,
): Promise<RoleRevocation> {
  const parsed = parseStringPair(revocation.value);
  if (parsed === undefined) throw new TypeError('a role revocation names a subject and a role');
  const [sub, role] = parsed;
  const removal = revocation.notBefore !== NEVER;
  const removedAt = laterTime('role_revocations', 'removed_at');
  const grantedAt = laterTime('role_revocations', 'granted_at');
  const row = await tx
    .insertInto('role_revocations')
    .values({
      issuer: revocation.issuer,
      sub,
      role,
      removed_at: revocation.notBefore,
      granted_at: revocation.grantedAt ?? NEVER,
      expires_at: revocation.expiresAt,
    })
    .onConflict((oc) =>
      oc.columns(['issuer', 'sub', 'role']).doUpdateSet({
        removed_at: removal ? later(removedAt, justAfter(dialect, 'granted_at')) : removedAt,
        granted_at: removal ? grantedAt : later(grantedAt, sql.ref('role_revocations.removed_at')),
        expires_at: laterTime('role_revocations', 'expires_at'),
      }),
    )
    .returning(['removed_at', 'granted_at', 'expires_at'])
    .executeTakeFirstOrThrow();
  return {
    ...revocation,
    notBefore: toIso(row.removed_at),
    grantedAt: toIso(row.granted_at),
    expiresAt: toIso(row.expires_at),
  };
}

/** Every role removal or grant still kept at `now`, as `role` revocations. */
export async function activeRoleRevocations(k: Tx, now: Date): Promise<RoleRevocation[]> {
  const rows = await k
    .selectFrom('role_revocations')
    .selectAll()
    .where('expires_at', '>', now.toISOString())
    .execute();
  return rows.map((row) => ({
    issuer: row.issuer,
    kind: 'role' as const,
    value: JSON.stringify([row.sub, row.role]),
    notBefore: toIso(row.removed_at),
    grantedAt: toIso(row.granted_at),
    expiresAt: toIso(row.expires_at),
  }));
}

/** Deletes the rows expired at or before `cutoff`; returns how many went. */
export async function pruneRoleRevocations(k: Tx, cutoff: Date): Promise<bigint> {
  const result = await k
    .deleteFrom('role_revocations')
    .where('expires_at', '<=', cutoff.toISOString())
    .executeTakeFirst();
  return result.numDeletedRows;
}
