import { useQuery } from '@tanstack/react-query';
import { useApi } from '../api/ApiContext.js';
import { getAdminUsers } from '../api/endpoints.js';
import { ActionsHeader } from '../ui/ActionsHeader.js';
import { Empty, Loading } from '../ui/states.js';
import { AdminError } from './explain.js';

/** Everyone who owns todos, with how many are open and done. */
export function UsersTable({ onShowTodos }: { onShowTodos: ((sub: string) => void) | undefined }) {
  const api = useApi();
  const users = useQuery({
    queryKey: ['admin', 'users'],
    queryFn: ({ signal }) => getAdminUsers(api, signal),
  });
  if (users.isPending) return <Loading label="Loading users…" />;
  if (users.isError) {
    return (
      <AdminError
        error={users.error}
        permission="users:manage"
        what="the user list"
        onRetry={() => void users.refetch()}
      />
    );
  }
  const rows = users.data.items;
  if (rows.length === 0) return <Empty title="Nobody has created a todo yet." />;
  return (
    <div className="table-wrap">
      <table className="table" aria-label="Users and their todos">
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col" className="num">
              Total
            </th>
            <th scope="col" className="num">
              Open
            </th>
            <th scope="col" className="num">
              Done
            </th>
            {onShowTodos ? <ActionsHeader /> : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((user) => (
            <tr key={`${user.issuer} ${user.sub}`}>
              <th scope="row">
                <span className="cell-main">{user.username ?? user.email ?? 'unknown'}</span>
                {user.department ? <span className="cell-sub">{user.department}</span> : null}
                <span className="cell-sub mono">{user.sub}</span>
              </th>
              <td className="num">{user.todos}</td>
              <td className="num">{user.todos - user.completed}</td>
              <td className="num">{user.completed}</td>
              {onShowTodos ? (
                <td className="actions">
                  <button
                    type="button"
                    className="button button--small"
                    onClick={() => onShowTodos(user.sub)}
                  >
                    View todos
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
