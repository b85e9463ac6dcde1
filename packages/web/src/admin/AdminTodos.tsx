import { useInfiniteQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useApi } from '../api/ApiContext.js';
import { getAdminTodos } from '../api/endpoints.js';
import type { AdminTodoPage } from '../api/types.js';
import { LoadMore } from '../ui/LoadMore.js';
import { Empty, Loading } from '../ui/states.js';
import { AdminError, Time } from './explain.js';
import { useOwnerNames } from './use-owner-names.js';

type AdminTodo = AdminTodoPage['items'][number];

/** Every todo of every owner, optionally for one owner (`sub`). */
export function AdminTodos({
  owner,
  onOwnerChange,
}: {
  owner: string;
  onOwnerChange: (owner: string) => void;
}) {
  const api = useApi();
  const todos = useInfiniteQuery({
    queryKey: ['admin', 'todos', owner],
    queryFn: ({ pageParam, signal }) => getAdminTodos(api, owner, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const nameOf = useOwnerNames();
  const rows = todos.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <>
      <OwnerFilter owner={owner} onOwnerChange={onOwnerChange} />
      {todos.isPending ? (
        <Loading label="Loading todos…" />
      ) : todos.isError && rows.length === 0 ? (
        <AdminError
          error={todos.error}
          permission="admin"
          what="all todos"
          onRetry={() => void todos.refetch()}
        />
      ) : rows.length === 0 ? (
        <Empty title="No todos." />
      ) : (
        <AdminTodosTable rows={rows} nameOf={nameOf} />
      )}
      <LoadMore query={todos} what="todos" />
    </>
  );
}

/** The owner (`sub`) the table is filtered by, and a way back to everyone's todos. */
function OwnerFilter({
  owner,
  onOwnerChange,
}: {
  owner: string;
  onOwnerChange: (owner: string) => void;
}) {
  const id = useId();
  const [text, setText] = useState(owner);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onOwnerChange(text.trim());
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <label htmlFor={id} className="label">
        Owner (sub)
      </label>
      <input
        id={id}
        className="input input--small mono"
        value={text}
        placeholder="everyone"
        onChange={(e) => setText(e.target.value)}
      />
      <button type="submit" className="button button--small">
        Filter
      </button>
      {owner ? (
        <button
          type="button"
          className="link-button"
          onClick={() => {
            setText('');
            onOwnerChange('');
          }}
        >
          Show everyone
        </button>
      ) : null}
    </form>
  );
}

/** The todos as a table: title, owner (by name when known), state, last update. */
function AdminTodosTable({
  rows,
  nameOf,
}: {
  rows: AdminTodo[];
  nameOf: ReturnType<typeof useOwnerNames>;
}) {
  return (
    <div className="table-wrap">
      <table className="table table--cards" aria-label="All todos">
        <thead>
          <tr>
            <th scope="col">Title</th>
            <th scope="col">Owner</th>
            <th scope="col">State</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((todo) => (
            <tr key={todo.id}>
              <th scope="row" dir="auto" data-label="Title">
                {todo.title}
              </th>
              <td data-label="Owner" title={`${todo.owner} at ${todo.ownerIssuer}`}>
                {nameOf(todo.ownerIssuer, todo.owner) ?? (
                  <span className="mono cell-sub">{todo.owner}</span>
                )}
              </td>
              <td data-label="State">
                <span className={`badge${todo.completed ? ' badge--done' : ''}`}>
                  {todo.completed ? 'done' : 'open'}
                </span>
              </td>
              <td data-label="Updated">
                <Time iso={todo.updatedAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
