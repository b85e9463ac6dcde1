import { sql } from 'kysely';
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
 * Stores a role's removal or grant (`role_revocations`); a repeated one moves each time forward,
 * never back, as `revocations` rows do: instances' clocks differ a little, and the later removal
 * or grant wins wherever it is read.
 */
export async function saveRoleRevocation(tx: Tx, revocation: RoleRevocation): Promise<void> {
  const parsed = parseStringPair(revocation.value);
  if (parsed === undefined) throw new TypeError('a role revocation names a subject and a role');
  const [sub, role] = parsed;
  await tx
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
        removed_at: laterTime('role_revocations', 'removed_at'),
        granted_at: laterTime('role_revocations', 'granted_at'),
        expires_at: laterTime('role_revocations', 'expires_at'),
      }),
    )
    .execute();
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
