/**
 * How many of a page's people have their roles read from the identity provider at once
 * (Keycloak's `GET /users/{id}/role-mappings`, one call a person). A page of 100 sent all at
 * once hit the provider with 100 requests, each on a connection of its own, and every call's
 * deadline then ran while it waited behind the 99 others: a provider busy for a moment answered
 * them all late and the page failed, though no one call was slow. A few at a time keep the
 * connections reused and let each deadline measure one call.
 */
export const ROLE_READS_AT_ONCE = 8;

/**
 * `call` for every item, at most `limit` at a time, the results in the items' order. The first
 * failure rejects and no further call is started; nor is one once `signal` is aborted (the one
 * who asked has gone: what is left would be read for nobody).
 */
export async function fewAtOnce<T, R>(
  items: readonly T[],
  limit: number,
  call: (item: T) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed) {
      signal?.throwIfAborted();
      const at = next++;
      try {
        results[at] = await call(items[at] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
