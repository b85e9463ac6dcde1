import { type FormEvent, useState } from 'react';
import { clearDrafts, useDraft } from '../drafts/use-draft.js';
import type { NewIdpUser } from './idp-api.js';

const DRAFT_KEYS = {
  username: 'idp-create.username',
  email: 'idp-create.email',
  department: 'idp-create.department',
} as const;

/** Forgets what the form kept across sign-in round trips (the user was created). */
export function forgetCreateIdpUserDraft(): void {
  clearDrafts(Object.values(DRAFT_KEYS));
}

/**
 * The form that creates a person at the identity provider (confirmed by the parent). What is
 * typed survives a sign-in round trip (a step-up asked for on the way) as a draft; the initial
 * password never does: it is not written to storage.
 */
export function CreateIdpUser({ onCreate }: { onCreate: (user: NewIdpUser) => void }) {
  const { value: username, set: setUsername } = useDraft(DRAFT_KEYS.username);
  const { value: email, set: setEmail } = useDraft(DRAFT_KEYS.email);
  const { value: department, set: setDepartment } = useDraft(DRAFT_KEYS.department);
  const [password, setPassword] = useState('');
  const [temporary, setTemporary] = useState(true);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!username.trim()) return;
    onCreate({
      username: username.trim(),
      ...(email.trim() && { email: email.trim() }),
      ...(department.trim() && { department: department.trim() }),
      ...(password && { password, temporaryPassword: temporary }),
    });
  };

  return (
    <form className="idp-create" aria-label="Create a user" onSubmit={submit}>
      <label>
        Username
        <input
          className="input"
          name="username"
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
      </label>
      <label>
        Email
        <input
          className="input"
          type="email"
          name="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
      </label>
      <label>
        Department
        <input
          className="input"
          name="department"
          value={department}
          onChange={(e) => setDepartment(e.target.value)}
        />
      </label>
      <label>
        Initial password
        <input
          className="input"
          type="password"
          name="password"
          minLength={8}
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={temporary}
          onChange={(e) => setTemporary(e.target.checked)}
        />
        Must be changed at first sign-in
      </label>
      <button type="submit" className="button">
        Create user
      </button>
    </form>
  );
}
