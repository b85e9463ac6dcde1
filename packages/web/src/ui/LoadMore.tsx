import { failureText } from '../api/errors.js';
import { BusyButton } from './BusyButton.js';

/** What {@link LoadMore} reads of a paged query (TanStack Query's `useInfiniteQuery`). */
export interface PagedQuery {
  readonly hasNextPage: boolean;
  readonly isFetchingNextPage: boolean;
  readonly isFetchNextPageError: boolean;
  readonly error: unknown;
  fetchNextPage(): Promise<unknown>;
}

/**
 * "Load more" under a paged list, and what went wrong when the next page could not be read (an
 * outage, a session that ended, no network): said in an alert next to the button, the rows
 * already shown kept, and the button still there to try again. The alert goes while the next
 * attempt runs and comes back (announced again) if that one fails too.
 */
export function LoadMore({ query, what }: { query: PagedQuery; what: string }) {
  const failed = query.isFetchNextPageError && !query.isFetchingNextPage;
  return (
    <>
      {query.hasNextPage ? (
        <BusyButton
          className="button load-more"
          onClick={() => void query.fetchNextPage()}
          busy={query.isFetchingNextPage}
        >
          {query.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </BusyButton>
      ) : null}
      {failed ? (
        <p className="notice notice--error load-more-error" role="alert">
          Couldn't load more {what}. {failureText(query.error)}
        </p>
      ) : null}
    </>
  );
}
