import { useRef } from 'react';
import { useConfirmFocus } from '../ui/confirm-focus.js';
import type { IdpAction } from './IdpUserRow.js';

/** The change waiting for the admin's confirmation. */
export function ConfirmChange({
  pending,
  busy,
  onConfirm,
  onCancel,
}: {
  pending: IdpAction;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  // Cancel, the safe answer, has the focus; afterwards the control that asked has it again, or
  // the section's heading when that control is gone (a created user's form starts anew).
  const onKeyDown = useConfirmFocus({
    container: box,
    initial: cancel,
    onCancel,
    fallback: () => document.getElementById('idp-users-title'),
  });
  return (
    <div
      ref={box}
      className="confirm"
      role="alertdialog"
      aria-label="Confirm the change"
      aria-describedby="confirm-change-text"
      onKeyDown={onKeyDown}
    >
      <p id="confirm-change-text">{pending.description}</p>
      <button type="button" className="button" disabled={busy} onClick={onConfirm}>
        Confirm
      </button>
      <button ref={cancel} type="button" className="button button--ghost" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}
