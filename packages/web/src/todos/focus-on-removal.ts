import { type RefObject, useLayoutEffect } from 'react';

/**
 * When the row of a todo leaves the screen with the keyboard focus inside it (completed while
 * the list shows "Open", reopened under "Done", deleted or moved in another tab or by someone
 * the list is shared with), the focus goes to the checkbox of the todo now standing in its
 * place (the next, else the one before), else to the list's heading. Without this the browser
 * drops it on the page's body: a screen reader says nothing, and the next Tab starts over.
 * Whatever took the focus meanwhile (Undo after a delete) keeps it.
 */
export function useFocusPassedOnRemoval(row: RefObject<HTMLLIElement | null>): void {
  useLayoutEffect(() => {
    return () => {
      // Runs before the row is taken out of the page: its neighbours are still beside it.
      const element = row.current;
      if (!element?.contains(document.activeElement)) return;
      const neighbours = [element.nextElementSibling, element.previousElementSibling];
      requestAnimationFrame(() => {
        if (document.activeElement !== document.body && document.activeElement !== null) return;
        const check = neighbours
          .filter((li) => li?.isConnected)
          .map((li) => li?.querySelector<HTMLInputElement>('input[type="checkbox"]'))
          .find((input) => input && !input.disabled);
        (check ?? document.getElementById('todos-title'))?.focus();
      });
    };
  }, [row]);
}
