import { type RefObject, useId, useRef, useState } from 'react';
import { ConfirmButtons } from '../ui/ConfirmButtons.js';
import { useConfirmFocus } from '../ui/confirm-focus.js';

/** The id of the pending grant ends' heading, where the focus goes once a row is gone. */
export const GRANT_ENDS_TITLE_ID = 'grant-ends-title';

/**
 * "Release this hold?": what a release does and what it costs if the grant is not really gone,
 * and a box the administrator ticks to say they ended the grant at the provider themselves (the
 * API's `"confirm": "ended-at-provider"`). Unticked, the API releases only if the provider ends
 * the grant now. Cancel, the safe answer, has the focus and Escape cancels; afterwards the
 * focus is back on the row's Release, or on the section's heading once the row is gone.
 */
export function ConfirmRelease({
  agent,
  person,
  busy,
  onRelease,
  onCancel,
  afterSettled,
}: {
  agent: string;
  person: string;
  busy: boolean;
  onRelease: (endedAtProvider: boolean) => void;
  onCancel: () => void;
  /** True once the hold was settled. */
  afterSettled: RefObject<boolean>;
}) {
  const box = useRef<HTMLDivElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const [ended, setEnded] = useState(false);
  const text = useId();
  const onKeyDown = useConfirmFocus({
    container: box,
    initial: cancel,
    onCancel: () => {
      if (!busy) onCancel();
    },
    returnTo: () => (afterSettled.current ? document.getElementById(GRANT_ENDS_TITLE_ID) : null),
    fallback: () => document.getElementById(GRANT_ENDS_TITLE_ID),
  });
  return (
    <div
      ref={box}
      className="confirm grant-ends__confirm"
      role="alertdialog"
      aria-label="Confirm releasing the hold"
      aria-describedby={text}
      onKeyDown={onKeyDown}
    >
      <div id={text}>
        <p>
          Release the hold on <code>{agent}</code>, acting for {person}? The API first asks the
          identity provider once more to end the agent's grant.
        </p>
        <p>
          If the provider still does not end it, the hold is released only when you confirm below
          that you ended the grant at the provider yourself (in Keycloak: the person's Consents tab,
          revoke the agent's client). After a release the agent's tokens stay refused for 5 more
          minutes; then, if its grant still exists at the provider, the agent can obtain accepted
          tokens again.
        </p>
      </div>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={ended}
          disabled={busy}
          onChange={(event) => setEnded(event.target.checked)}
        />
        I ended this agent's grant at the identity provider
      </label>
      <ConfirmButtons
        label="Release"
        busyLabel="Releasing…"
        busy={busy}
        onConfirm={() => onRelease(ended)}
        onCancel={onCancel}
        cancelRef={cancel}
      />
    </div>
  );
}
