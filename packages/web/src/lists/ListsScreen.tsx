import { isApiError } from '../api/errors.js';
import { can } from '../me/permissions.js';
import { useMe } from '../me/use-me.js';
import { navigate, useSearch } from '../navigation/router.js';
import { TodosScreen } from '../todos/TodosScreen.js';
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
  const selected = all.find((list) => list.id === wanted) ?? all[0];
  const select = (id: string) => navigate(`/?list=${encodeURIComponent(id)}`);

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
          header={<ListHeader list={selected} onDeleted={() => navigate('/')} />}
        />
      ) : (
        <TodosScreen />
      )}
    </div>
  );
}
