import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useApi } from '../api/ApiContext.js';
import { isApiError } from '../api/errors.js';
import { refetchAfterWrite } from '../sync/refetch-after-write.js';
import { ActionsHeader } from '../ui/ActionsHeader.js';
import { LoadMore } from '../ui/LoadMore.js';
import { Empty, Loading, OutcomeNotice } from '../ui/states.js';
import { ConfirmChange } from './ConfirmChange.js';
import { CreateIdpUser } from './CreateIdpUser.js';
import { AdminError } from './explain.js';
import { type IdpAction, IdpUserRow } from './IdpUserRow.js';
import './idp-users.css';
import { idpActions } from './idp-actions.js';
import { type IdpUser, listIdpUsers } from './idp-api.js';

type Result = { readonly ok: boolean; readonly text: string };

/**
 * The identity provider's people, managed through the API's `/admin/idp/*` routes: search,
 * create, enable or disable, department, roles, end sessions, a temporary password. Every change is confirmed first
 * and its outcome shown in words; the IdP stays the one source of truth (the list is refetched
 * after each change).
 */
export function IdpUsers() {
  const api = useApi();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState('');
  const [pending, setPending] = useState<IdpAction | undefined>();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Result | undefined>();
  /** A new form (empty fields) once a user was created. */
  const [createForm, setCreateForm] = useState(0);
  const users = useIdpUserPages(search);

  const confirm = async () => {
    if (!pending) return;
    setBusy(true);
    try {
      setResult({ ok: true, text: await pending.run() });
      pending.after?.({ ok: true });
    } catch (error) {
      const text =
        pending.failureText?.(error) ?? (isApiError(error) ? error.message : 'The change failed.');
      setResult({ ok: false, text });
      pending.after?.({ ok: false, error });
    } finally {
      setBusy(false);
      setPending(undefined);
      // Also a search still loading: its first read may have been made before the change.
      await refetchAfterWrite(queryClient, ['admin', 'idp-users']);
    }
  };
  const ask = (action: IdpAction) => {
    setResult(undefined);
    setPending(action);
  };
  const actions = idpActions(api, () => setCreateForm((n) => n + 1));

  return (
    <div className="idp-users">
      <SearchForm onSearch={setSearch} />
      <CreateIdpUser key={createForm} onCreate={(user) => ask(actions.create(user))} />
      {pending ? (
        <ConfirmChange
          pending={pending}
          busy={busy}
          onConfirm={() => void confirm()}
          onCancel={() => setPending(undefined)}
        />
      ) : null}
      <OutcomeNotice outcome={result} />
      <UserTable users={users} actions={actions} ask={ask} />
    </div>
  );
}

/**
 * The users matching `search`, a page (100) at a time: the next page from the previous one's
 * `nextCursor`, while the identity provider has more.
 */
function useIdpUserPages(search: string) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: ['admin', 'idp-users', search],
    queryFn: ({ pageParam, signal }) => listIdpUsers(api, search, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    retry: false,
  });
}

/** The search box: the list is refetched for the submitted text only. */
function SearchForm({ onSearch }: { onSearch: (search: string) => void }) {
  const [draft, setDraft] = useState('');
  return (
    <form
      className="inline-form idp-search"
      aria-label="Search the identity provider's users"
      onSubmit={(event) => {
        event.preventDefault();
        onSearch(draft.trim());
      }}
    >
      <input
        className="input"
        aria-label="Search users"
        placeholder="Username, email or name"
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
      />
      <button type="submit" className="button">
        Search
      </button>
    </form>
  );
}

function UserTable({
  users,
  actions,
  ask,
}: {
  users: ReturnType<typeof useIdpUserPages>;
  actions: Parameters<typeof IdpUserRow>[0]['actions'];
  ask: (action: IdpAction) => void;
}) {
  if (users.isPending) return <Loading label="Loading people…" />;
  // A next page that failed keeps the pages shown, and "Load more" to try again.
  if (users.isError && users.data === undefined) {
    if (isApiError(users.error) && users.error.status === 501)
      return (
        <Empty title="People are managed in the identity provider">{users.error.message}</Empty>
      );
    return (
      <AdminError
        error={users.error}
        permission="admin"
        what="the identity provider's users"
        onRetry={() => void users.refetch()}
      />
    );
  }
  const pages = users.data?.pages ?? [];
  const items = onceEach(pages.flatMap((page) => page.items));
  const assignable = pages[0]?.assignable ?? { realmRoles: [], permissions: [] };
  if (items.length === 0) return <Empty title="Nobody matches." />;
  return (
    <>
      <div className="table-wrap">
        <table className="table table--cards" aria-label="People at the identity provider">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Status</th>
              <th scope="col">Department</th>
              <th scope="col">Roles</th>
              <ActionsHeader />
            </tr>
          </thead>
          <tbody>
            {items.map((user) => (
              <IdpUserRow
                key={`${user.id} ${user.department ?? ''}`}
                user={user}
                assignable={assignable}
                actions={actions}
                ask={ask}
              />
            ))}
          </tbody>
        </table>
      </div>
      <LoadMore query={users} what="people" />
    </>
  );
}

/**
 * Each person once, where first shown. The provider pages its people by offset; the API starts
 * each next page right after the last person shown, but when that person was deleted meanwhile
 * it starts a little earlier, so as to skip nobody (`user-page.ts` of the API), and the first
 * people of that page may already be shown.
 */
function onceEach(people: readonly IdpUser[]): IdpUser[] {
  const seen = new Set<string>();
  return people.filter((person) => !seen.has(person.id) && Boolean(seen.add(person.id)));
}
