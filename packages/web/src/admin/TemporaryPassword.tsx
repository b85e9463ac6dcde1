import { type FormEvent, type RefObject, useEffect, useId, useRef, useState } from 'react';
import { isApiError } from '../api/errors.js';
import type { ChangeOutcome, IdpAction } from './idp-action.js';
import { passwordWasSet } from './idp-actions.js';

interface Props {
  /** The person's username, without direction controls (the controls are named after it). */
  readonly name: string;
  /** The change for the confirmation; `after` is told how it ended. */
  readonly action: (
    password: string,
    endSessions: boolean,
    after: (outcome: ChangeOutcome) => void,
  ) => IdpAction;
  readonly ask: (action: IdpAction) => void;
}

/**
 * "Temporary password" of a person at the identity provider: a button that opens a small form
 * with the password, what "temporary" means (a new one at their next sign-in) and "Also end
 * their sessions", checked: a password is usually set because the account may be in someone
 * else's hands, and the API ends the sessions unless told not to. The change is confirmed by
 * the screen, whose outcome line (a live region) says what came of it. A password the provider
 * (or the API) refuses keeps the form open with the refusal's words beside the field, which
 * describe it, and the focus in it; a password set (its sessions ended or not) closes the form
 * and the focus goes back to the button. The password is never kept anywhere else (no draft).
 */
export function TemporaryPassword({ name, action, ask }: Props) {
  const [open, setOpen] = useState(false);
  const [focusOn, setFocusOn] = useState<'field' | 'toggle' | undefined>();
  const toggle = useRef<HTMLButtonElement>(null);
  const field = useRef<HTMLInputElement>(null);
  const id = useId();

  useEffect(() => {
    if (focusOn === undefined) return;
    (focusOn === 'field' ? field : toggle).current?.focus();
    setFocusOn(undefined);
  }, [focusOn]);

  return (
    <div className="idp-password">
      <button
        ref={toggle}
        type="button"
        className="button button--small"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        onClick={() => {
          setOpen(!open);
          if (!open) setFocusOn('field');
        }}
      >
        Temporary password for {name}
      </button>
      {open ? (
        <PasswordForm
          id={id}
          name={name}
          field={field}
          onSubmit={(password, endSessions, refused) =>
            ask(
              action(password, endSessions, (outcome) => {
                if (outcome.ok || passwordWasSet(outcome.error)) {
                  setOpen(false);
                  setFocusOn('toggle');
                } else if (refused(outcome.error)) setFocusOn('field');
              }),
            )
          }
        />
      ) : null}
    </div>
  );
}

/**
 * The form itself. `onSubmit` gets what is asked for and `refused`, to be called with a failure:
 * when it is the password refused (400: the provider's rules, or the API's), it is shown beside
 * the field and `refused` says so; anything else (the provider unreachable, the sessions not
 * ended after the password was set) is the screen's outcome line alone.
 */
function PasswordForm({
  id,
  name,
  field,
  onSubmit,
}: {
  id: string;
  name: string;
  field: RefObject<HTMLInputElement | null>;
  onSubmit: (password: string, endSessions: boolean, refused: (error: unknown) => boolean) => void;
}) {
  const [password, setPassword] = useState('');
  const [endSessions, setEndSessions] = useState(true);
  const [refusal, setRefusal] = useState<string | undefined>();
  const refused = (error: unknown) => {
    if (!isApiError(error) || error.code !== 'invalid_input') return false;
    setRefusal(error.message);
    return true;
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setRefusal(undefined);
    onSubmit(password, endSessions, refused);
  };
  return (
    <form
      id={id}
      className="idp-password__form"
      aria-label={`Temporary password for ${name}`}
      onSubmit={submit}
    >
      <label htmlFor={`${id}-password`}>
        Temporary password<span className="visually-hidden"> for {name}</span>
      </label>
      <input
        ref={field}
        id={`${id}-password`}
        className="input input--small"
        type="password"
        autoComplete="new-password"
        required
        minLength={8}
        maxLength={128}
        value={password}
        aria-invalid={refusal === undefined ? undefined : true}
        aria-describedby={`${id}-note${refusal === undefined ? '' : ` ${id}-refusal`}`}
        onChange={(e) => setPassword(e.target.value)}
      />
      <p id={`${id}-note`} className="cell-sub idp-password__note">
        Temporary: must change at next sign-in (8 to 128 characters, and whatever else the identity
        provider's password rules ask).
      </p>
      {refusal === undefined ? null : (
        <p id={`${id}-refusal`} className="idp-password__refusal">
          {refusal}
        </p>
      )}
      <label className="checkbox">
        <input
          type="checkbox"
          checked={endSessions}
          onChange={(e) => setEndSessions(e.target.checked)}
        />
        Also end their sessions
      </label>
      <button type="submit" className="button button--small">
        Set temporary password
      </button>
    </form>
  );
}
