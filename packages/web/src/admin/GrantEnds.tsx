import {
  type UseInfiniteQueryResult,
  useInfiniteQuery,
  useQueryClient,
} from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useApi } from '../api/ApiContext.js';
import { Empty, Loading, OutcomeNotice } from '../ui/states.js';
import { ConfirmRelease, GRANT_ENDS_TITLE_ID } from './ConfirmRelease.js';
import { AdminError } from './explain.js';
import { GrantEndTable } from './GrantEndTable.js';
import { failedOutcome, type GrantEndOutcome, settledOutcome } from './grant-end-outcome.js';
import {
  type GrantEnd,
  type GrantEndPage,
  listGrantEnds,
  releaseGrantEnd,
  retryGrantEnd,
} from './grant-ends-api.js';
import './grant-ends.css';
import { LoadMore } from '../ui/LoadMore.js';
import { withoutBidiControls } from '../ui/shown-text.js';
import { useOwnerNames } from './use-owner-names.js';

const QUERY_KEY = ['admin', 'grant-ends'];
const keyOf = (row: GrantEnd) => JSON.stringify([row.issuer, row.sub, row.clientId]);

/**
 * The agents whose grant the identity provider has not ended after the person ended them
 * (docs/mcp.md, "A hold that does not clear"): their tokens stay refused while the API keeps
 * asking. An administrator asks the provider again now (Retry now), or releases a hold whose
 * grant was ended at the provider by hand (Release, confirmed first). Every outcome is said in
 * words; the list is read again after each, so it always shows what the API holds.
 */
export function GrantEnds() {
  const api = useApi();
  const nameOf = useOwnerNames();
  const ends = useInfiniteQuery({
    queryKey: QUERY_KEY,
    queryFn: ({ pageParam, signal }) => listGrantEnds(api, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  // The username, in names and sentences built from it, without direction controls (UTS #55).
  const personOf = (row: GrantEnd) => withoutBidiControls(nameOf(row.issuer, row.sub) ?? row.sub);
  const actions = useGrantEndActions(personOf);
  const { releasing, busy, outcome, settled } = actions;
  // A settled hold's row went with the button that had the focus: the section's heading takes it.
  const shown = ends.data;
  useEffect(() => {
    const active = document.activeElement;
    if (shown && settled.current && (!active || active === document.body))
      document.getElementById(GRANT_ENDS_TITLE_ID)?.focus();
  }, [shown, settled]);

  return (
    <section className="grant-ends" aria-labelledby={GRANT_ENDS_TITLE_ID}>
      <h2 id={GRANT_ENDS_TITLE_ID} tabIndex={-1}>
        Agent grant ends that did not clear
      </h2>
      <p className="grant-ends__hint">
        When a person ends an agent, the API asks the identity provider to end the agent's grant.
        Listed here are those the provider has not ended yet: the agent's tokens stay refused
        meanwhile and the API keeps asking, less and less often (at most an hour apart; the next
        attempt shown is an estimate). <strong>Retry now</strong> asks at once.{' '}
        <strong>Release</strong> is for a grant you ended at the provider yourself.
      </p>
      {releasing ? (
        <ConfirmRelease
          agent={releasing.clientId}
          person={personOf(releasing)}
          busy={busy === keyOf(releasing)}
          onRelease={(confirmed) => void actions.run(releasing, 'release', confirmed)}
          onCancel={actions.cancelRelease}
          afterSettled={settled}
        />
      ) : null}
      <OutcomeNotice outcome={outcome} />
      <GrantEndList
        ends={ends}
        personOf={personOf}
        busy={busy}
        onRetry={(row) => void actions.run(row, 'retry')}
        onRelease={actions.askRelease}
      />
    </section>
  );
}

/** Retry now and Release: the request, its outcome in words, and the list read again. */
function useGrantEndActions(personOf: (row: GrantEnd) => string) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [releasing, setReleasing] = useState<GrantEnd | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const [outcome, setOutcome] = useState<GrantEndOutcome | undefined>();
  /** Set once a hold was settled: its row (and its buttons) are going, the focus goes up. */
  const settled = useRef(false);
  const agentOf = (row: GrantEnd) => `${row.clientId} (acting for ${personOf(row)})`;

  const run = async (row: GrantEnd, action: 'retry' | 'release', confirmed = false) => {
    setBusy(keyOf(row));
    setOutcome(undefined);
    settled.current = false;
    let next: GrantEndOutcome;
    try {
      const answer =
        action === 'retry'
          ? await retryGrantEnd(api, row)
          : await releaseGrantEnd(api, row, confirmed);
      next = settledOutcome(agentOf(row), answer);
    } catch (error) {
      next = failedOutcome(agentOf(row), action, error);
    }
    settled.current = next.settled;
    setOutcome(next);
    setBusy(undefined);
    setReleasing(undefined);
    await queryClient.invalidateQueries({ queryKey: QUERY_KEY });
  };
  const askRelease = (row: GrantEnd) => {
    setOutcome(undefined);
    settled.current = false;
    setReleasing(row);
  };
  const cancelRelease = () => setReleasing(undefined);
  return { releasing, busy, outcome, settled, run, askRelease, cancelRelease };
}

/** The list's states: loading, an error explained, nothing held, or the table and Load more. */
function GrantEndList({
  ends,
  personOf,
  busy,
  onRetry,
  onRelease,
}: {
  ends: UseInfiniteQueryResult<{ pages: GrantEndPage[] }>;
  personOf: (row: GrantEnd) => string;
  busy: string | undefined;
  onRetry: (row: GrantEnd) => void;
  onRelease: (row: GrantEnd) => void;
}) {
  const rows = ends.data?.pages.flatMap((page) => page.items) ?? [];
  if (ends.isPending) return <Loading label="Loading the pending grant ends…" />;
  if (ends.isError && rows.length === 0)
    return (
      <AdminError
        error={ends.error}
        permission="admin"
        what="the pending agent grant ends"
        onRetry={() => void ends.refetch()}
      />
    );
  if (rows.length === 0)
    return (
      <Empty title="No hold is pending.">
        Every agent a person ended has had its grant ended at the identity provider.
      </Empty>
    );
  return (
    <>
      <GrantEndTable
        rows={rows}
        personOf={personOf}
        busy={busy}
        keyOf={keyOf}
        onRetry={onRetry}
        onRelease={onRelease}
      />
      <LoadMore query={ends} what="grant ends" />
    </>
  );
}
