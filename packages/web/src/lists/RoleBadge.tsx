import type { TodoList } from '../api/types.js';

/** The caller's relation to a list, as a small badge: owner, editor or viewer. */
export function RoleBadge({ relation }: { relation: TodoList['relation'] }) {
  return (
    <span className={`badge badge--${relation}`} data-testid="role-badge">
      {relation}
    </span>
  );
}
