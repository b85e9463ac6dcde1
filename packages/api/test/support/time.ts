/**
 * Waits until `Date.now()` has moved past the millisecond it reads on entry. Records stamped
 * with the clock (`audit_log.at`, `todos.created_at`) in the same millisecond are ordered by
 * their random ids; a test that reads them back in time order waits for this between two
 * writes, so that the second's stamp is later than the first's, whatever the machine's speed.
 */
export async function nextMillisecond(): Promise<void> {
  const start = Date.now();
  while (Date.now() <= start) await new Promise((resolve) => setTimeout(resolve, 1));
}
