import type { RefObject } from 'react';

/**
 * The answers of a confirmation that ends something: the danger button (its label turns to
 * `busyLabel` while the request is under way), then Cancel, the safe answer, whose `cancelRef`
 * takes the focus when the confirmation opens. Both are disabled while busy: they are gone once
 * the request ends.
 */
export function ConfirmButtons({
  label,
  busyLabel,
  busy,
  onConfirm,
  onCancel,
  cancelRef,
}: {
  label: string;
  busyLabel: string;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  cancelRef: RefObject<HTMLButtonElement | null>;
}) {
  return (
    <>
      <button type="button" className="button button--danger" disabled={busy} onClick={onConfirm}>
        {busy ? busyLabel : label}
      </button>
      <button
        ref={cancelRef}
        type="button"
        className="button button--ghost"
        disabled={busy}
        onClick={onCancel}
      >
        Cancel
      </button>
    </>
  );
}
