import { useState } from 'react';
import { withoutBidiControls } from '../ui/shown-text.js';
import type { ChangeOutcome, IdpAction } from './idp-action.js';
import type { IdpUser } from './idp-api.js';
import { TemporaryPassword } from './TemporaryPassword.js';

export type { IdpAction } from './idp-action.js';

interface Props {
  readonly user: IdpUser;
  readonly assignable: { readonly realmRoles: string[]; readonly permissions: string[] };
  readonly actions: {
    setEnabled(user: IdpUser, enabled: boolean): IdpAction;
    setDepartment(user: IdpUser, department: string | null): IdpAction;
    setRole(user: IdpUser, role: string, granted: boolean): IdpAction;
    endSessions(user: IdpUser): IdpAction;
    setTemporaryPassword(
      user: IdpUser,
      password: string,
      endSessions: boolean,
      after: (outcome: ChangeOutcome) => void,
    ): IdpAction;
  };
  readonly ask: (action: IdpAction) => void;
}

/** A person at the IdP: status, department, roles as checkboxes named by role or permission. */
export function IdpUserRow({ user, assignable, actions, ask }: Props) {
  const [department, setDepartment] = useState(user.department ?? '');
  // Shown isolated; the controls' names built from it without direction controls (UTS #55).
  const name = withoutBidiControls(user.username);
  const roles = [
    ...assignable.realmRoles.map((r) => ({ role: r, has: user.realmRoles.includes(r) })),
    ...assignable.permissions.map((p) => ({ role: p, has: user.permissions.includes(p) })),
  ];
  return (
    <tr>
      {/* One child per cell: below 40rem the row is a card, each cell a label and its value. */}
      <th scope="row" data-label="User" className="idp-user">
        <span>
          <bdi className="cell-main">{user.username}</bdi>
          {user.email ? <span className="cell-sub">{user.email}</span> : null}
          <span className="cell-sub mono">{user.id}</span>
        </span>
      </th>
      <td data-label="Status">
        <span className="idp-user__status">
          <span className={user.enabled ? 'badge' : 'badge badge--muted'}>
            {user.enabled ? 'Enabled' : 'Disabled'}
          </span>
          <button
            type="button"
            className="button button--small"
            onClick={() => ask(actions.setEnabled(user, !user.enabled))}
          >
            {user.enabled ? `Disable ${name}` : `Enable ${name}`}
          </button>
        </span>
      </td>
      <td data-label="Department">
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            ask(actions.setDepartment(user, department.trim() || null));
          }}
        >
          <input
            className="input input--small"
            aria-label={`Department of ${name}`}
            value={department}
            onChange={(e) => setDepartment(e.target.value)}
          />
          <button type="submit" className="button button--small">
            Save
          </button>
        </form>
      </td>
      <td data-label="Roles">
        <fieldset className="role-boxes">
          <legend className="visually-hidden">Roles of {name}</legend>
          {roles.map(({ role, has }) => (
            <label key={role} className="checkbox">
              <input
                type="checkbox"
                aria-label={`${role} for ${name}`}
                checked={has}
                onChange={() => ask(actions.setRole(user, role, !has))}
              />
              {role}
            </label>
          ))}
        </fieldset>
      </td>
      <RowActions user={user} name={name} actions={actions} ask={ask} />
    </tr>
  );
}

/** The person's last cell: end their sessions, a temporary password. */
function RowActions({
  user,
  name,
  actions,
  ask,
}: Pick<Props, 'user' | 'actions' | 'ask'> & { name: string }) {
  return (
    <td data-label="Actions" className="actions">
      {/* One child per cell (a card below 40rem): the actions stacked in it. */}
      <span className="idp-user__actions">
        <button
          type="button"
          className="button button--small"
          onClick={() => ask(actions.endSessions(user))}
        >
          End sessions of {name}
        </button>
        <TemporaryPassword
          name={name}
          ask={ask}
          action={(password, endSessions, after) =>
            actions.setTemporaryPassword(user, password, endSessions, after)
          }
        />
      </span>
    </td>
  );
}
