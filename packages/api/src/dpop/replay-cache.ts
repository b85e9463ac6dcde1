import { hash } from 'node:crypto';
import { type DpopReplayCache, MemoryDpopReplayCache } from '@todo-sso/auth';
import type { Db } from '../db/database.js';
import { revocationRepository } from '../repositories/revocations.js';

/**
 * Where this API remembers used DPoP proofs (RFC 9449 §11.1). On PostgreSQL the proofs go to
 * the `dpop_proofs` table every instance shares, so a proof used at one instance is refused at
 * all of them; rows are pruned with the other one-time identifiers. The embedded SQLite setup is
 * one process, which keeps them in memory.
 *
 * @param nowMs the same clock in epoch milliseconds, for the in-memory store, which reads it on
 *   every proof (the system clock's is `Date.now`: no `Date` per request).
 */
export function dpopReplayCache(
  db: Db,
  now: () => Date,
  nowMs: () => number = () => now().getTime(),
): DpopReplayCache {
  if (db.dialect === 'sqlite') return new MemoryDpopReplayCache(undefined, nowMs);
  const repo = revocationRepository(db);
  return {
    // The key (thumbprint + jti) is client-chosen in part: stored as a fixed-size hash.
    claim: (key, expiresAt) =>
      repo.claimDpopProof(hash('sha256', key, 'base64url'), new Date(expiresAt), now()),
  };
}
