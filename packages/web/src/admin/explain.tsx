import { isApiError } from '../api/errors.js';
import { ErrorState, Forbidden } from '../ui/states.js';

/** A failed admin query, with a 403 explained rather than shown as a failure. */
export function AdminError({
  error,
  permission,
  what,
  onRetry,
}: {
  error: unknown;
  permission: string;
  what: string;
  onRetry: () => void;
}) {
  if (isApiError(error) && error.code === 'forbidden') {
    return <Forbidden permission={permission} what={what} />;
  }
  return <ErrorState error={error} what={what} onRetry={onRetry} />;
}

/** A timestamp people can read, with the exact value on hover. */
export function Time({ iso }: { iso: string }) {
  const date = new Date(iso);
  return (
    <time dateTime={iso} title={iso}>
      {Number.isNaN(date.getTime()) ? iso : date.toLocaleString()}
    </time>
  );
}
