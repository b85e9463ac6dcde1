import { isAdmin } from '../me/permissions.js';
import { useMe } from '../me/use-me.js';
import { navigate, usePath, useSearch } from '../navigation/router.js';
import { AdminTodos } from './AdminTodos.js';
import { AuditLog } from './AuditLog.js';
import { GrantEnds } from './GrantEnds.js';
import { IdpUsers } from './IdpUsers.js';
import { UsersTable } from './UsersTable.js';

type Tab = 'users' | 'todos' | 'audit' | 'agents';

const LABELS: Record<Tab, string> = {
  users: 'Users',
  todos: 'All todos',
  audit: 'Audit log',
  agents: 'Agent grant ends',
};

/** Each tab has its own address, so Back, reload and shared links open the same tab. */
export function adminPath(tab: Tab, owner?: string): string {
  const query = owner ? `?${new URLSearchParams({ owner })}` : '';
  return `/admin/${tab}${query}`;
}

function tabOf(path: string, tabs: readonly Tab[]): Tab {
  const name = path.split('/')[2];
  return tabs.find((tab) => tab === name) ?? 'users';
}

/**
 * Administration: for administrators, the identity provider's people (create, enable/disable,
 * department, roles, end sessions); people with their todo counts (`users:manage`); every todo,
 * the audit log and the agents whose grant the identity provider did not end (administrators
 * only, so those tabs show for admins alone). The tab and the owner filter live in the address
 * (`/admin/todos?owner=…`, `/admin/agents`).
 */
export function AdminScreen() {
  const me = useMe();
  const admin = isAdmin(me.data);
  const path = usePath();
  const owner = useSearch().get('owner') ?? '';
  const tabs: Tab[] = admin ? ['users', 'todos', 'audit', 'agents'] : ['users'];
  const tab = tabOf(path, tabs);
  const open = (next: Tab) => navigate(adminPath(next));

  return (
    <section className="panel panel--wide" aria-labelledby="admin-title">
      <div className="panel__head">
        <h1 id="admin-title">Admin</h1>
        {/* WAI-ARIA tabs: one tab stop, arrow keys move between tabs. */}
        <div
          className="filters"
          role="tablist"
          aria-label="Admin sections"
          onKeyDown={(event) => {
            const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
            if (!step) return;
            event.preventDefault();
            const index = tabs.indexOf(tab);
            const next = tabs[(index + step + tabs.length) % tabs.length];
            if (!next) return;
            open(next);
            document.getElementById(`admin-tab-${next}`)?.focus();
          }}
        >
          {tabs.map((value) => (
            <button
              key={value}
              type="button"
              role="tab"
              id={`admin-tab-${value}`}
              aria-controls={`admin-panel-${value}`}
              aria-selected={tab === value}
              tabIndex={tab === value ? 0 : -1}
              className="filters__option"
              onClick={() => {
                if (tab !== value) open(value);
              }}
            >
              {LABELS[value]}
            </button>
          ))}
        </div>
      </div>
      <div role="tabpanel" id={`admin-panel-${tab}`} aria-labelledby={`admin-tab-${tab}`}>
        {tab === 'users' ? (
          <>
            {admin ? (
              <section aria-labelledby="idp-users-title">
                <h2 id="idp-users-title" tabIndex={-1}>
                  People
                </h2>
                <IdpUsers />
                <h2>Todo owners</h2>
              </section>
            ) : null}
            <UsersTable
              onShowTodos={admin ? (sub) => navigate(adminPath('todos', sub)) : undefined}
            />
          </>
        ) : tab === 'todos' ? (
          <AdminTodos
            key={owner}
            owner={owner}
            onOwnerChange={(next) => navigate(adminPath('todos', next))}
          />
        ) : tab === 'audit' ? (
          <AuditLog />
        ) : (
          <GrantEnds />
        )}
      </div>
    </section>
  );
}
