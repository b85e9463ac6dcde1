import { type KeyboardEvent, type RefObject, useLayoutEffect, useRef } from 'react';

/**
 * The focus of an inline confirmation (`role="alertdialog"`) or of a control that stands in for
 * another while open (a rename field in place of a heading), as WAI-ARIA's dialog pattern asks:
 * the focus moves to `initial` when it opens (the safe answer of a confirmation), Escape
 * cancels, and when it closes with the focus inside (or dropped on the page) the focus returns
 * to `returnTo()` when it names a place (asked when it closes: a rename that was saved returns
 * to the renamed heading), else to the control that opened it, else to `fallback()` when that
 * control is gone or disabled.
 *
 * Returns the `onKeyDown` handler for the container.
 */
export function useConfirmFocus({
  container,
  initial,
  onCancel,
  returnTo,
  fallback,
}: {
  container: RefObject<HTMLElement | null>;
  initial: RefObject<HTMLElement | null>;
  onCancel: () => void;
  returnTo?: () => HTMLElement | null;
  fallback?: () => HTMLElement | null;
}): (event: KeyboardEvent) => void {
  const places = useRef({ returnTo, fallback });
  places.current = { returnTo, fallback };
  useLayoutEffect(() => {
    const active = document.activeElement;
    const opener = active instanceof HTMLElement && active !== document.body ? active : null;
    const box = container.current;
    initial.current?.focus();
    return () => {
      const active = document.activeElement;
      if (active && active !== document.body && !box?.contains(active)) return;
      // After the commit that removed the container, when the opener may be enabled again.
      requestAnimationFrame(() => {
        if (document.activeElement && document.activeElement !== document.body) return;
        const usable = (element: HTMLElement | null | undefined) =>
          element?.isConnected && !(element as HTMLButtonElement).disabled ? element : null;
        const { returnTo: chosen, fallback: last } = places.current;
        (usable(chosen?.()) ?? usable(opener) ?? usable(last?.()))?.focus();
      });
    };
  }, [container, initial]);
  return (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    event.stopPropagation();
    onCancel();
  };
}
