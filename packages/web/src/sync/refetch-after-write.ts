import type { QueryClient, QueryKey } from '@tanstack/react-query';

/**
 * Reads `queryKey` again after a write this tab made, so what the screen shows was read after
 * the write. `invalidateQueries` alone is not enough on a fresh load: a query's first fetch (no
 * data yet) is never cancelled for a refetch, the refetch joins it instead, and that fetch may
 * have been read before the write. The load that sends what a reload left (an add, a delete)
 * then showed the deleted todo again, or not the added one, until something else refetched.
 * Such a first fetch is cancelled (its state goes back to before it) and the query read anew.
 */
export async function refetchAfterWrite(client: QueryClient, queryKey: QueryKey): Promise<void> {
  await client.cancelQueries({
    queryKey,
    predicate: (query) => query.state.data === undefined && query.state.fetchStatus === 'fetching',
  });
  await client.invalidateQueries({ queryKey });
}
