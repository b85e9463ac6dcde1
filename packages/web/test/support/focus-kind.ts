import { vi } from 'vitest';

/**
 * jsdom counts every focused element as `:focus-visible` (keyboard focus). Chromium does so only
 * after keyboard use: this makes the page answer as it would after a click, focus that is not
 * `:focus-visible`, until `vi.restoreAllMocks()`.
 */
export function mouseFocus(): void {
  const matches = Element.prototype.matches;
  vi.spyOn(Element.prototype, 'matches').mockImplementation(function (
    this: Element,
    selector: string,
  ) {
    return selector === ':focus-visible' ? false : matches.call(this, selector);
  });
}
