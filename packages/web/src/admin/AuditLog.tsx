import { useInfiniteQuery } from '@tanstack/react-query';
import { useApi } from '../api/ApiContext.js';
import { getAudit } from '../api/endpoints.js';
import { LoadMore } from '../ui/LoadMore.js';
import { Empty, Loading } from '../ui/states.js';
import { AdminError, Time } from './explain.js';
import { useOwnerNames } from './use-owner-names.js';

/** Every write and every authorization denial, newest first. */
export function AuditLog() {
  const api = useApi();
  const audit = useInfiniteQuery({
    queryKey: ['admin', 'audit'],
    queryFn: ({ pageParam, signal }) => getAudit(api, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const nameOf = useOwnerNames();
  const rows = audit.data?.pages.flatMap((page) => page.items) ?? [];
  if (audit.isPending) return <Loading label="Loading the audit log…" />;
  if (audit.isError && rows.length === 0) {
    return (
      <AdminError
        error={audit.error}
        permission="admin"
        what="the audit log"
        onRetry={() => void audit.refetch()}
      />
    );
  }
  if (rows.length === 0) return <Empty title="Nothing recorded yet." />;
  return (
    <>
      <div className="table-wrap">
        <table className="table table--cards" aria-label="Audit log">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Outcome</th>
              <th scope="col">Resource</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((entry) => (
              <tr key={entry.id}>
                <td data-label="When">
                  <Time iso={entry.at} />
                </td>
                {/* The person's name, with the subject id on hover for matching other logs. */}
                <td data-label="Who" title={entry.actorSub ?? undefined}>
                  {entry.actorName ?? nameOf(entry.actorIssuer, entry.actorSub) ?? (
                    <span className="mono cell-sub">{entry.actorSub ?? '—'}</span>
                  )}
                </td>
                <td data-label="Action">{entry.action}</td>
                <td data-label="Outcome">
                  <span
                    className={`badge${entry.outcome === 'denied' ? ' badge--denied' : ' badge--done'}`}
                  >
                    {entry.outcome}
                  </span>
                </td>
                <td data-label="Resource" className="mono cell-sub">
                  {entry.resource ?? '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <LoadMore query={audit} what="audit entries" />
    </>
  );
}
