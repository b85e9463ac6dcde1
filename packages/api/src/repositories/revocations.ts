import type { Db } from '../db/database.js';
import { toIso } from '../db/database.js';
import type { RevocationTable } from '../db/schema.js';
import { pruneIdempotencyKeys } from '../todos/idempotency.js';
import {
  activeRoleRevocations,
  laterTime,
  pruneRoleRevocations,
  saveRoleRevocation,
} from './role-revocations.js';

/** A revoked session or subject, as stored and as broadcast to every instance. */
export interface Revocation {
  readonly issuer: string;
  /**
   * `session`: tokens with this `sid`. `subject`: the subject's tokens issued until
   * `notBefore`. `sessionless`: the subject's tokens without a `sid` issued until `notBefore`.
   * `client`: the subject's tokens issued to one client (`azp`) until `notBefore`.
   * `role`: the subject's tokens that carry a role, whenever issued, while the removal
   * (`notBefore`) is later than the latest grant (`grantedAt`); stored in `role_revocations`.
   * A reader meeting a kind it does not know refuses the subject's tokens issued until
   * `notBefore` (`RevocationSet.add`: fail closed).
   */
  readonly kind: 'session' | 'subject' | 'sessionless' | 'client' | 'role';
  /**
   * The `sid` (session), `sub` (subject, sessionless), `["<sub>","<azp>"]` (client, JSON) or
   * `["<sub>","<role>"]` (role, JSON): the subject first in every kind's JSON.
   */
  readonly value: string;
  /** Tokens issued at or before this instant are refused (subject revocations). */
  readonly notBefore: string;
  readonly expiresAt: string;
  /** `role`: the latest grant of the role again, which lifts an earlier removal. */
  readonly grantedAt?: string;
}

type Tx = Db['kysely'];

/** Revocations and one-time identifiers (logout-token `jti`s, DPoP proofs) in the database. */
export function revocationRepository(db: Db) {
  const k = db.kysely;
  return {
    /** Stores `revocation`; resolves to it as stored (a role's times are the database's order). */
    save: async (revocation: Revocation, tx: Tx = k): Promise<Revocation> => {
      if (revocation.kind === 'role')
        return saveRoleRevocation(tx, db.dialect, { ...revocation, kind: 'role' });
      await saveRevocation(tx, revocation);
      return revocation;
    },
    active: async (now: Date) => [
      ...(await activeRevocations(k, now)),
      ...(await activeRoleRevocations(k, now)),
    ],
    claimJti: (issuer: string, jti: string, expiresAt: Date, tx: Tx = k) =>
      claimJti(tx, issuer, jti, expiresAt),
    claimDpopProof: (key: string, expiresAt: Date, now: Date) =>
      claimDpopProof(k, key, expiresAt, now),
    prune: (cutoff: Date) => pruneExpired(k, cutoff),
  };
}

/**
 * Stores a revocation; a repeated one moves `not_before` and `expires_at` forward, never back:
 * an instance whose clock runs behind another's must not shorten a revocation already stored
 * (memory keeps the later times too, `RevocationSet`).
 */
async function saveRevocation(tx: Tx, revocation: Revocation): Promise<void> {
  const row = {
    issuer: revocation.issuer,
    kind: revocation.kind as RevocationTable['kind'],
    value: revocation.value,
    not_before: revocation.notBefore,
    expires_at: revocation.expiresAt,
  };
  await tx
    .insertInto('revocations')
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(['issuer', 'kind', 'value'])
        .doUpdateSet({ not_before: later('not_before'), expires_at: later('expires_at') }),
    )
    .execute();
}

function later(column: 'not_before' | 'expires_at') {
  return laterTime('revocations', column);
}

/** Every revocation still in force at `now`. */
async function activeRevocations(k: Tx, now: Date): Promise<Revocation[]> {
  const rows = await k
    .selectFrom('revocations')
    .selectAll()
    .where('expires_at', '>', now.toISOString())
    .execute();
  return rows.map((row) => ({
    issuer: row.issuer,
    kind: row.kind,
    value: row.value,
    notBefore: toIso(row.not_before),
    expiresAt: toIso(row.expires_at),
  }));
}

/**
 * Remembers a logout token's `jti`; false when it was already seen (a replay).
 * The primary key makes this atomic across instances.
 */
async function claimJti(tx: Tx, issuer: string, jti: string, expiresAt: Date): Promise<boolean> {
  const result = await tx
    .insertInto('logout_jtis')
    .values({ issuer, jti, expires_at: expiresAt.toISOString() })
    .onConflict((oc) => oc.columns(['issuer', 'jti']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/**
 * Remembers a DPoP proof until `expiresAt`; false when it is in use already (a replay,
 * RFC 9449 §11.1). An expired row with the same key is taken over in the same statement.
 */
async function claimDpopProof(k: Tx, key: string, expiresAt: Date, now: Date): Promise<boolean> {
  const rows = await k
    .insertInto('dpop_proofs')
    .values({ key, expires_at: expiresAt.toISOString() })
    .onConflict((oc) =>
      oc
        .column('key')
        .doUpdateSet({ expires_at: expiresAt.toISOString() })
        .where('dpop_proofs.expires_at', '<=', now.toISOString()),
    )
    .returning('key')
    .execute();
  return rows.length === 1;
}

/**
 * Deletes what expired at or before `cutoff` (idempotency keys stored a day before it); returns how many rows went. The caller sets the
 * cutoff back from its clock by the skew it allows other instances (`RevocationStore.reload`).
 */
async function pruneExpired(k: Tx, cutoff: Date): Promise<number> {
  const at = cutoff.toISOString();
  const a = await k.deleteFrom('revocations').where('expires_at', '<=', at).executeTakeFirst();
  const b = await k.deleteFrom('logout_jtis').where('expires_at', '<=', at).executeTakeFirst();
  const c = await k.deleteFrom('dpop_proofs').where('expires_at', '<=', at).executeTakeFirst();
  // Idempotency keys live a day (draft-ietf-httpapi-idempotency-key-header §2.3).
  const d = await pruneIdempotencyKeys(k, cutoff);
  const e = await pruneRoleRevocations(k, cutoff);
  return Number(a.numDeletedRows + b.numDeletedRows + c.numDeletedRows + d + e);
}
