import type { Page } from '@playwright/test';
import { expect, signIn, skipWithoutChromium, test } from './support/fixtures.js';
import { nextAdminCode } from './support/otp.js';

skipWithoutChromium();

// Named 98-: runs after every scenario that saves a README screenshot or counts another
// person's lists, so the people, lists and todos made here show in none of them.

/** What has the keyboard focus: `<tag>` and its accessible text, for a readable failure. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const active = document.activeElement;
    if (!active || active === document.body) return 'body';
    return `${active.tagName.toLowerCase()}#${active.id} ${active.textContent?.trim().slice(0, 40)}`;
  });
}

test('the step-up question takes the focus on Continue, and the screen has it once the code is in', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'admin');
  // Opened straight from the address bar: nothing on the page had the focus.
  await page.goto(`${urls.web}/admin/users`);
  await expect(page.getByRole('heading', { name: 'Confirm it’s you' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Continue' })).toBeFocused();

  // Back to the todos, then Admin from the header with the keyboard: the question again, and
  // Enter alone answers it.
  await page.getByRole('button', { name: 'Back to your todos' }).click();
  await expect(page.getByLabel('New todo')).toBeVisible();
  await page.getByRole('link', { name: 'Admin' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Confirm it’s you' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Continue' })).toBeFocused();
  await page.keyboard.press('Enter');
  await page.waitForURL((url) => url.href.startsWith(urls.issuer));
  await page.getByLabel('One-time code').fill(await nextAdminCode(urls.issuer));
  await page.getByRole('button', { name: 'Sign In' }).click();
  await page.waitForURL(`${urls.web}/admin`);
  await expect(page.getByRole('heading', { name: 'Admin' })).toBeVisible();

  // Back from the identity provider, the focus is on the screen asked for (as after moving
  // there in the app), not on the top of the page: Tab goes on to its tabs.
  await expect(page.locator('#main'), await focused(page)).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('tab', { name: 'Users' })).toBeFocused();
});
