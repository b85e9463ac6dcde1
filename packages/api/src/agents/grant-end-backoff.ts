import type { Gauge } from 'prom-client';
import type { Owner } from '../db/schema.js';

/** How pending grant ends are paced (backoff) and shown to monitoring (`grant-ends.ts`). */

/**
 * The longest wait between two attempts for one agent. A provider that keeps refusing (its
 * service account lost `manage-users`, `IDP_ADMIN_URL` points elsewhere, the realm renamed) is
 * asked again after 30 s, 1 min, 2 min, ... up to this, so each agent costs a warning an hour
 * rather than one every 30 s; its tokens stay refused all along (the refusal is still moved
 * forward every 30 s, `GRANT_END_RETRY_MS`). Each instance keeps its own pace, from its own
 * failures: a restarted instance asks at once.
 */
export const GRANT_END_MAX_BACKOFF_MS = 3_600_000;

/** The wait after `attempts` failed attempts: `retryMs` doubled each time, at most `maxMs`. */
export function grantEndBackoff(attempts: number, retryMs: number, maxMs: number): number {
  if (attempts <= 0) return 0;
  return Math.min(maxMs, retryMs * 2 ** Math.min(attempts - 1, 30));
}

/** This instance's own failed attempts for one agent, and when the last one was made. */
export interface Backoff {
  failures: number;
  at: number;
}

export const keyOf = (owner: Owner, clientId: string) =>
  JSON.stringify([owner.issuer, owner.subject, clientId]);

export interface PendingGauges {
  readonly pending: Gauge;
  readonly oldest: Gauge;
}

/** Sets how many grant ends are pending and the oldest one's age in seconds (0 when none). */
export function report(
  gauges: PendingGauges,
  pending: readonly { requestedAt: Date }[],
  now: Date,
): void {
  const oldest = Math.min(...pending.map((p) => p.requestedAt.getTime()));
  gauges.pending.set(pending.length);
  gauges.oldest.set(pending.length === 0 ? 0 : Math.max(0, (now.getTime() - oldest) / 1000));
}
