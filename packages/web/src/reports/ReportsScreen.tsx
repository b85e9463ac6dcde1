import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useApi } from '../api/ApiContext.js';
import { getSummary } from '../api/endpoints.js';
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
  const [department, setDepartment] = useState<string | undefined>(undefined);
  const chosen = department ?? me.data?.department ?? undefined;
  const summary = useQuery({
    queryKey: ['reports', 'summary', chosen ?? null],
    queryFn: ({ signal }) => getSummary(api, chosen, signal),
    // Without a department of their own, administrators choose one first.
    enabled: me.isSuccess && Boolean(chosen),
    retry: (count, error) => !(isApiError(error) && error.status < 500) && count < 2,
  });

  return (
    <section className="panel" aria-labelledby="reports-title">
      <div className="panel__head">
        <h1 id="reports-title">Reports</h1>
        {admin ? (
          <DepartmentPicker value={chosen ?? ''} onChange={setDepartment} />
        ) : (
          <p className="muted">
            Department: <strong>{chosen ?? 'none'}</strong>
          </p>
        )}
      </div>
      {!chosen && me.isSuccess ? (
        <Empty title="Choose a department">
          {admin
            ? 'Type a department name above to see its summary.'
            : 'Your account has no department attribute, so there is nothing to report.'}
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

function DepartmentPicker({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const id = useId();
  const [text, setText] = useState(value);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onChange(text.trim());
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <label htmlFor={id} className="label">
        Department
      </label>
      <input
        id={id}
        className="input input--small"
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <button type="submit" className="button button--small">
        Show
      </button>
    </form>
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
