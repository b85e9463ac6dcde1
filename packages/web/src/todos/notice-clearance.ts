import { type RefObject, useLayoutEffect } from 'react';

/** The room kept between a focused control and the top of the notice. */
const MARGIN_PX = 8;

/**
 * Keeps `--undo-notice-clearance` on the document at the height the undo notice covers at the
 * bottom of the screen (its "Paused" tag included, whose place is kept while it is empty, so
 * that the clearance does not change as the wait begins and ends), plus a margin, for as long
 * as the notice shows. The page's `scroll-padding-bottom` (styles.css) takes it, so a control
 * the keyboard focus reaches going down the page (Tab) is scrolled into view above the notice,
 * never behind it (WCAG 2.2, 2.4.11 Focus Not Obscured); the page's room at its end takes it
 * too, so the last controls can be scrolled clear of it. The notice's height changes with the
 * width, the text size and the title (two lines on a phone), so it is measured: again when the
 * notice or its tag resizes, and when the window does.
 */
export function useNoticeClearance(notice: RefObject<HTMLElement | null>): void {
  useLayoutEffect(() => {
    const element = notice.current;
    if (!element) return;
    const root = document.documentElement;
    const parts = [element, ...element.querySelectorAll('.toast__paused')];
    const measure = () => {
      const tops = parts.map((part) => part.getBoundingClientRect().top);
      const covered = Math.max(0, window.innerHeight - Math.min(...tops));
      root.style.setProperty('--undo-notice-clearance', `${Math.ceil(covered) + MARGIN_PX}px`);
    };
    // Without ResizeObserver it is measured once, and on resizes of the window.
    const observer = typeof ResizeObserver === 'function' ? new ResizeObserver(measure) : null;
    for (const part of parts) observer?.observe(part);
    window.addEventListener('resize', measure);
    measure();
    return () => {
      observer?.disconnect();
      window.removeEventListener('resize', measure);
      root.style.removeProperty('--undo-notice-clearance');
    };
  }, [notice]);
}
