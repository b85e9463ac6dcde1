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

/**
 * WCAG 2.2, 2.4.11 Focus Not Obscured, under the undo notice at the bottom of a phone's screen:
 * going down the page with Tab while the notice shows (the pointer resting on it holds it, and
 * "Paused" shows on its top edge), each control the focus reaches, up to the notice's own, is
 * scrolled into view above the notice, never behind it.
 */
test('going down the page with Tab while the undo notice shows, no focused control is hidden behind it, on a phone', async ({
  page,
  urls,
  request,
}) => {
  const token = await passwordToken(request, urls, 'testuser');
  const name = runName('Tabbed under');
  for (let i = 1; i <= 12; i++) await createTodo(request, urls, token, `${name} ${i}`);
  await page.setViewportSize({ width: 360, height: 640 });
  await signIn(page, urls, 'testuser');
  await expect(todosShown(page)).toBeVisible();
  await expect(page.getByRole('checkbox', { name: `${name} 12` })).toBeVisible();
  await page.getByRole('button', { name: `Delete “${name} 12”` }).click();
  const notice = page.locator('.toast');
  await notice.locator('.toast__text').hover();
  await expect(notice).toContainText('Paused');
  await page.getByLabel('New todo').focus();
  for (let step = 0; step < 120; step++) {
    await page.keyboard.press('Tab');
    const where = await page.evaluate(() => {
      const focused = document.activeElement as HTMLElement;
      const toast = document.querySelector('.toast') as HTMLElement | null;
      const parts = toast ? [toast, ...toast.querySelectorAll<HTMLElement>('.toast__paused')] : [];
      return {
        name:
          focused.getAttribute('aria-label') ||
          (focused as HTMLInputElement).labels?.[0]?.textContent ||
          focused.textContent ||
          focused.tagName,
        inNotice: toast?.contains(focused) ?? false,
        bottom: focused.getBoundingClientRect().bottom,
        noticeTop: Math.min(...parts.map((p) => p.getBoundingClientRect().top)),
      };
    });
    expect(where.noticeTop, 'the notice went while the pointer rested on it').toBeLessThan(640);
    if (where.inNotice) return;
    expect(where.bottom, `${where.name} is behind the undo notice`).toBeLessThanOrEqual(
      where.noticeTop,
    );
  }
  throw new Error('Tab did not reach the undo notice');
});
