import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useApi } from '../api/ApiContext.js';
import { getAdminUsers, getSummary } from '../api/endpoints.js';
import { isApiError } from '../api/errors.js';
import { isAdmin } from '../me/permissions.js';
import { useMe } from '../me/use-me.js';
import { Empty, ErrorState, Forbidden, Loading } from '../ui/states.js';

/**
 * Department summary (`reports:generate`): how many todos are open and done. People see their
 * own department; administrators may choose any.
 */
export function ReportsScreen() {
  const api = useApi();
  const me = useMe();
  const admin = isAdmin(me.data);
  // Administrators start with every department ('' = all) and pick from the known ones.
  const [department, setDepartment] = useState('');
  const chosen = admin ? department || undefined : (me.data?.department ?? undefined);
  const summary = useQuery({
    queryKey: ['reports', 'summary', chosen ?? null],
    queryFn: ({ signal }) => getSummary(api, chosen, signal),
    enabled: me.isSuccess && (admin || Boolean(chosen)),
    retry: (count, error) => !(isApiError(error) && error.status < 500) && count < 2,
  });

  return (
    <section className="panel" aria-labelledby="reports-title">
      <div className="panel__head">
        <h1 id="reports-title">Reports</h1>
        {admin ? (
          <DepartmentPicker value={department} onChange={setDepartment} />
        ) : (
          <p className="muted">
            Department: <strong>{chosen ?? 'none'}</strong>
          </p>
        )}
      </div>
      {!admin && !chosen && me.isSuccess ? (
        <Empty title="No department">
          Your account has no department attribute, so there is nothing to report.
        </Empty>
      ) : summary.isPending ? (
        <Loading label="Counting…" />
      ) : summary.isError ? (
        isApiError(summary.error) && summary.error.code === 'forbidden' ? (
          <Forbidden permission="reports:generate" what={`the ${chosen ?? ''} report`} />
        ) : (
          <ErrorState error={summary.error} what="the report" onRetry={() => summary.refetch()} />
        )
      ) : (
        <SummaryCards summary={summary.data} />
      )}
    </section>
  );
}

/** The departments the API knows of (from its people), and "All departments" first. */
function DepartmentPicker({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const id = useId();
  const api = useApi();
  const users = useQuery({
    queryKey: ['admin', 'users'],
    queryFn: ({ signal }) => getAdminUsers(api, signal),
  });
  const known = new Set<string>();
  for (const user of users.data?.items ?? []) if (user.department) known.add(user.department);
  if (value) known.add(value);
  return (
    <div className="inline-form">
      <label htmlFor={id} className="label">
        Department
      </label>
      <select
        id={id}
        className="input input--small"
        value={value}
        onChange={(event) => onChange(event.target.value)}
      >
        <option value="">All departments</option>
        {[...known].sort().map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
    </div>
  );
}

function SummaryCards({
  summary,
}: {
  summary: { department: string | null; total: number; completed: number; pending: number };
}) {
  const percent = summary.total ? Math.round((summary.completed / summary.total) * 100) : 0;
  return (
    <div className="report" data-testid="report">
      <p className="report__caption">
        Todos in{' '}
        <strong data-testid="report-department">{summary.department ?? 'every department'}</strong>
      </p>
      <dl className="stats">
        <div className="stat">
          <dt>Total</dt>
          <dd data-testid="report-total">{summary.total}</dd>
        </div>
        <div className="stat">
          <dt>Open</dt>
          <dd data-testid="report-open">{summary.pending}</dd>
        </div>
        <div className="stat">
          <dt>Done</dt>
          <dd data-testid="report-done">{summary.completed}</dd>
        </div>
      </dl>
      <div
        className="progress"
        role="progressbar"
        aria-label="Completed"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
      >
        <span className="progress__bar" style={{ width: `${percent}%` }} />
      </div>
      <p className="muted">{percent}% completed</p>
    </div>
  );
}
