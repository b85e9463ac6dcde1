import { ActionsHeader } from '../ui/ActionsHeader.js';
import { BusyButton } from '../ui/BusyButton.js';
import { shownText } from '../ui/shown-text.js';
import { Time } from './explain.js';
import { type GrantEnd, nextAttemptAround } from './grant-ends-api.js';

/** The holds as a table; below 40rem each row is a card (`table--cards`). */
export function GrantEndTable({
  rows,
  personOf,
  busy,
  keyOf,
  onRetry,
  onRelease,
}: {
  rows: readonly GrantEnd[];
  personOf: (row: GrantEnd) => string;
  /** The key of the row whose request is under way. */
  busy: string | undefined;
  keyOf: (row: GrantEnd) => string;
  onRetry: (row: GrantEnd) => void;
  onRelease: (row: GrantEnd) => void;
}) {
  return (
    <div className="table-wrap">
      <table className="table table--cards" aria-label="Pending agent grant ends">
        <thead>
          <tr>
            <th scope="col">Person</th>
            <th scope="col">Agent</th>
            <th scope="col">Since</th>
            <th scope="col">Attempts / last error</th>
            <th scope="col">Next attempt</th>
            <ActionsHeader />
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <GrantEndRow
              key={keyOf(row)}
              row={row}
              person={personOf(row)}
              busy={busy === keyOf(row)}
              onRetry={() => onRetry(row)}
              onRelease={() => onRelease(row)}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function GrantEndRow({
  row,
  person,
  busy,
  onRetry,
  onRelease,
}: {
  row: GrantEnd;
  person: string;
  busy: boolean;
  onRetry: () => void;
  onRelease: () => void;
}) {
  const who = `${row.clientId} of ${person}`;
  return (
    <tr data-testid="grant-end-row">
      {/* The person's name (the subject id on hover, for matching other logs) and issuer. */}
      <td data-label="Person" className="grant-ends__person">
        <span>
          <span
            className={person === row.sub ? 'cell-main mono' : 'cell-main'}
            title={row.sub}
            data-testid="grant-end-person"
          >
            {person}
          </span>
          <span className="cell-sub mono" data-testid="grant-end-issuer">
            {row.issuer}
          </span>
        </span>
      </td>
      <td data-label="Agent" className="mono grant-ends__agent">
        {row.clientId}
      </td>
      <td data-label="Since">
        <Time iso={row.requestedAt} />
      </td>
      <td data-label="Attempts" className="grant-ends__attempts">
        <span>
          <span className="cell-main" data-testid="grant-end-attempts">
            {row.attempts} failed
            {row.attemptedAt ? (
              <>
                , last <Time iso={row.attemptedAt} />
              </>
            ) : null}
          </span>
          {/* The provider's words: untrusted, so plain text on one bounded line. */}
          <span className="grant-ends__error" data-testid="grant-end-error">
            {row.lastError ? shownText(row.lastError) : 'No answer recorded yet'}
          </span>
        </span>
      </td>
      <td data-label="Next attempt">
        <NextAttempt row={row} />
      </td>
      <td data-label="Actions" className="actions">
        <RowActions who={who} busy={busy} onRetry={onRetry} onRelease={onRelease} />
      </td>
    </tr>
  );
}

/**
 * Retry now and Release, named with the agent and the person for screen readers. While a request
 * is under way they are busy (`BusyButton`: `aria-disabled`, not `disabled`), so the focus stays
 * on the button that was pressed and is there when the outcome is said.
 */
function RowActions({
  who,
  busy,
  onRetry,
  onRelease,
}: {
  who: string;
  busy: boolean;
  onRetry: () => void;
  onRelease: () => void;
}) {
  return (
    <span className="grant-ends__actions">
      <BusyButton
        className="button button--small"
        aria-label={`Retry now: ${who}`}
        busy={busy}
        onClick={onRetry}
      >
        {busy ? 'Asking…' : 'Retry now'}
      </BusyButton>
      <BusyButton
        className="button button--small button--ghost"
        aria-label={`Release: ${who}`}
        busy={busy}
        onClick={onRelease}
      >
        Release
      </BusyButton>
    </span>
  );
}

/** The estimated next background attempt (`nextAttemptAround`). */
function NextAttempt({ row }: { row: GrantEnd }) {
  const at = nextAttemptAround(row);
  if (!at) return <span>Within 30 s</span>;
  if (at.getTime() <= Date.now()) return <span>Due now</span>;
  return (
    <span>
      About <Time iso={at.toISOString()} />
    </span>
  );
}
