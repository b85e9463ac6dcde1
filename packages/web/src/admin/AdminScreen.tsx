import { useState } from 'react';
import { isAdmin } from '../me/permissions.js';
import { useMe } from '../me/use-me.js';
import { AdminTodos } from './AdminTodos.js';
import { AuditLog } from './AuditLog.js';
import { IdpUsers } from './IdpUsers.js';
import { UsersTable } from './UsersTable.js';

type Tab = 'users' | 'todos' | 'audit';

/**
 * Administration: for administrators, the identity provider's people (create, enable/disable,
 * department, roles, end sessions); people with their todo counts (`users:manage`); every todo
 * and the audit log (administrators only, so those tabs show for admins alone).
 */
export function AdminScreen() {
  const me = useMe();
  const admin = isAdmin(me.data);
  const [tab, setTab] = useState<Tab>('users');
  const [owner, setOwner] = useState('');
  const tabs: Array<[Tab, string]> = admin
    ? [
        ['users', 'Users'],
        ['todos', 'All todos'],
        ['audit', 'Audit log'],
      ]
    : [['users', 'Users']];

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
            const index = tabs.findIndex(([value]) => value === tab);
            const next = tabs[(index + step + tabs.length) % tabs.length];
            if (!next) return;
            setTab(next[0]);
            document.getElementById(`admin-tab-${next[0]}`)?.focus();
          }}
        >
          {tabs.map(([value, label]) => (
            <button
              key={value}
              type="button"
              role="tab"
              id={`admin-tab-${value}`}
              aria-controls={`admin-panel-${value}`}
              aria-selected={tab === value}
              tabIndex={tab === value ? 0 : -1}
              className="filters__option"
              onClick={() => setTab(value)}
            >
              {label}
            </button>
          ))}
        </div>
      </div>
      <div role="tabpanel" id={`admin-panel-${tab}`} aria-labelledby={`admin-tab-${tab}`}>
        {tab === 'users' ? (
          <>
            {admin ? (
              <section aria-labelledby="idp-users-title">
                <h2 id="idp-users-title">People</h2>
                <IdpUsers />
                <h2>Todo owners</h2>
              </section>
            ) : null}
            <UsersTable
              onShowTodos={
                admin
                  ? (sub) => {
                      setOwner(sub);
                      setTab('todos');
                    }
                  : undefined
              }
            />
          </>
        ) : tab === 'todos' ? (
          <AdminTodos owner={owner} onOwnerChange={setOwner} />
        ) : (
          <AuditLog />
        )}
      </div>
    </section>
  );
}
