import { randomBytes } from 'node:crypto';
import { createDpopNonces, type DpopVerifierOptions } from '@todo-sso/auth';
import type { ApiConfig } from '../config/config.js';
import type { Db } from '../db/database.js';

/** What the API asks of DPoP proofs about server nonces (RFC 9449 §8). */
export type DpopNoncePolicy = Pick<DpopVerifierOptions, 'nonces' | 'noncesBeforeIat'>;

/**
 * Which proofs need a server nonce (RFC 9449 §8), and which nonces are accepted.
 *
 * On PostgreSQL used proofs are in the database every instance shares: with `DPOP_NONCE_SECRET`
 * every proof needs a nonce under that secret, which every instance issues and accepts;
 * without it none is asked for.
 *
 * On SQLite used proofs are kept in this process's memory (`replay-cache.ts`) and forgotten at
 * a restart, so a proof used just before it could be accepted once more after it (§11.1). A
 * proof that could have been used before this process started (its `iat` earlier than start-up
 * plus the clock tolerance, the future skew a proof's `iat` is allowed) is accepted only with a
 * nonce issued since: the nonces are keyed by a secret drawn at start-up, which no earlier
 * process had. Once such proofs are too old anyway (start-up plus the proof age and twice the
 * tolerance) nothing more is asked. A database created at this start-up was served by no process
 * before, so nothing is asked there. With `DPOP_NONCE_SECRET` every proof needs a nonce, still
 * under the per-process secret (one process, and a nonce from before a restart means nothing).
 */
export function dpopNoncePolicy(
  config: Pick<ApiConfig, 'dpopNonceSecret'>,
  store: { readonly db: Pick<Db, 'dialect'>; readonly newDatabase: boolean },
  nowMs: () => number,
  toleranceSec: number,
): DpopNoncePolicy {
  if (store.db.dialect !== 'sqlite') {
    if (!config.dpopNonceSecret) return {};
    return { nonces: createDpopNonces({ secret: config.dpopNonceSecret, now: nowMs }) };
  }
  const nonces = createDpopNonces({ secret: randomBytes(32), now: nowMs });
  if (config.dpopNonceSecret) return { nonces };
  // A database created now: no process accepted a proof against it before this one.
  if (store.newDatabase) return {};
  return { nonces, noncesBeforeIat: nowMs() / 1000 + toleranceSec };
}
