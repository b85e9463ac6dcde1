import type { ComponentPropsWithRef } from 'react';

/**
 * A button that stays on screen while the request it started is under way (Load more, Save,
 * Share, Retry now, Try again). While `busy` it is `aria-disabled` rather than `disabled`:
 * Chromium drops the keyboard focus of a button that becomes disabled to <body>, and a keyboard
 * or screen reader user would then start over from the top of the page, away from the outcome
 * said next to the button. Screen readers still announce it as unavailable; clicks, and a form's
 * implicit submission with Enter (which clicks its submit button), are ignored until the request
 * ends. It looks disabled through `.button[aria-disabled="true"]`.
 *
 * Buttons that are gone once their request ends (a confirmation's answer) may stay `disabled`.
 */
export function BusyButton({
  busy,
  onClick,
  type = 'button',
  ...button
}: ComponentPropsWithRef<'button'> & { busy: boolean }) {
  return (
    <button
      {...button}
      type={type}
      aria-disabled={busy ? true : undefined}
      onClick={(event) => {
        if (busy) {
          event.preventDefault();
          return;
        }
        onClick?.(event);
      }}
    />
  );
}
