import type { Page } from '@playwright/test';
import {
  createTodo,
  expect,
  passwordToken,
  runName,
  signIn,
  skipWithoutChromium,
  test,
  todosShown,
} from './support/fixtures.js';

skipWithoutChromium();

/**
 * WCAG 2.2, 2.4.11 Focus Not Obscured: going back up a long list with Shift+Tab, each control
 * the focus reaches is scrolled into view below the top bar, not under it. On a desktop the bar
 * stays at the top of the screen (the page keeps its height clear); on a phone it scrolls away.
 */
async function shiftTabUpTheList(page: Page): Promise<void> {
  const lastDelete = page.getByRole('button', { name: /^Delete “/ }).last();
  await lastDelete.scrollIntoViewIfNeeded();
  await lastDelete.focus();
  const field = page.getByLabel('New todo');
  for (let step = 0; step < 80; step++) {
    const where = await page.evaluate(() => {
      const focused = document.activeElement as HTMLElement;
      const bar = document.querySelector('.topbar') as HTMLElement;
      return {
        name: focused.getAttribute('aria-label') ?? focused.textContent ?? focused.tagName,
        top: focused.getBoundingClientRect().top,
        barBottom: bar.getBoundingClientRect().bottom,
      };
    });
    expect(where.top, `${where.name} is under the top bar`).toBeGreaterThanOrEqual(where.barBottom);
    if (await field.evaluate((element) => element === document.activeElement)) return;
    await page.keyboard.press('Shift+Tab');
  }
  throw new Error('Shift+Tab did not reach the New todo field');
}

test('going up a long list with Shift+Tab, no focused control is hidden under the top bar, on a desktop and on a phone', async ({
  page,
  urls,
  request,
}) => {
  const token = await passwordToken(request, urls, 'testuser');
  const first = runName('Tabbed past');
  for (let i = 1; i <= 16; i++) await createTodo(request, urls, token, `${first} ${i}`);
  await signIn(page, urls, 'testuser');
  await expect(todosShown(page)).toBeVisible();
  await expect(page.getByRole('checkbox', { name: `${first} 16` })).toBeVisible();
  await shiftTabUpTheList(page);

  await page.setViewportSize({ width: 375, height: 740 });
  await shiftTabUpTheList(page);
});
