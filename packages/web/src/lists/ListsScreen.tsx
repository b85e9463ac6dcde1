import { useEffect, useRef } from 'react';
import { isApiError } from '../api/errors.js';
import type { TodoList } from '../api/types.js';
import { can } from '../me/permissions.js';
import { useMe } from '../me/use-me.js';
import { navigate, useSearch } from '../navigation/router.js';
import { TodosScreen } from '../todos/TodosScreen.js';
import { withoutBidiControls } from '../ui/shown-text.js';
import { Loading } from '../ui/states.js';
import { ListHeader } from './ListHeader.js';
import { ListsSidebar } from './ListsSidebar.js';
import { useLists } from './queries.js';

/**
 * The todos screen with lists: the sidebar, and the todos of the selected list (`?list=<id>`,
 * else the default list). A list no longer readable (unshared, deleted) falls back to the
 * default list. Until the lists load, or if they cannot, every readable todo shows as before.
 */
export function ListsScreen() {
  const lists = useLists();
  const me = useMe();
  const wanted = useSearch().get('list');
  const all = lists.data ?? [];
  const found = all.find((list) => list.id === wanted);
  const selected = found ?? all[0];
  const focusHeadingOf = useHeadingFocus(selected?.id);
  const select = (id: string, { focusHeading = false } = {}) => {
    focusHeadingOf.current = focusHeading ? id : null;
    navigate(`/?list=${encodeURIComponent(id)}`);
  };
  const gone = useGoneList(found, wanted, lists.isSuccess);

  if (lists.isPending) {
    return (
      <div className="lists-layout">
        <Loading label="Loading your lists…" />
        <Loading label="Loading your todos…" />
      </div>
    );
  }
  return (
    <div className="lists-layout">
      {lists.isError ? (
        // Quiet: the todos below still work without lists (every readable todo shows).
        <div className="sidebar">
          <p className="sidebar__empty">
            Your lists could not be loaded. {isApiError(lists.error) ? lists.error.message : ''}
          </p>
          <button
            type="button"
            className="button button--small"
            onClick={() => void lists.refetch()}
          >
            Try again
          </button>
        </div>
      ) : (
        <ListsSidebar
          lists={all}
          selected={selected?.id}
          onSelect={select}
          canCreate={can(me.data, 'todos:write')}
        />
      )}
      {selected ? (
        <TodosScreen
          key={selected.id}
          list={selected}
          said={
            gone &&
            `“${withoutBidiControls(gone.name)}” is no longer shared with you, or was deleted: these are the todos of “${withoutBidiControls(selected.name)}”.`
          }
          header={<ListHeader list={selected} onDeleted={() => navigate('/')} />}
        />
      ) : (
        <TodosScreen />
      )}
    </div>
  );
}

/**
 * The list whose heading takes the keyboard focus once it shows (set by `select`): its todos
 * and header are on screen when this screen's effects run.
 */
function useHeadingFocus(shownId: string | undefined) {
  const focusHeadingOf = useRef<string | null>(null);
  useEffect(() => {
    if (shownId === undefined || focusHeadingOf.current !== shownId) return;
    focusHeadingOf.current = null;
    document.getElementById('todos-title')?.focus();
  }, [shownId]);
  return focusHeadingOf;
}

/**
 * The list the person was looking at (`wanted`) when the lists, read again, no longer hold it:
 * unshared or deleted while it was on screen. Remembered from the last time it showed.
 */
function useGoneList(
  found: TodoList | undefined,
  wanted: string | null,
  loaded: boolean,
): TodoList | undefined {
  const shown = useRef<TodoList | undefined>(undefined);
  if (found) shown.current = found;
  const last = shown.current;
  return loaded && !found && last !== undefined && last.id === wanted ? last : undefined;
}
