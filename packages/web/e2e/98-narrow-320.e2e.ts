import type { Locator, Page } from '@playwright/test';
import { confirmIdentity, expect, signIn, skipWithoutChromium, test } from './support/fixtures.js';

skipWithoutChromium();

/** The narrowest phone screens (WCAG 2.1 SC 1.4.10 reflows content at 320 CSS px). */
const WIDTH = 320;

/** The page is no wider than the screen: nobody has to scroll sideways to reach a control. */
async function expectNoWiderThanScreen(page: Page, where: string): Promise<void> {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width, `${where}: page width`).toBeLessThanOrEqual(WIDTH);
}

/** Every button and field inside `within` lies within the screen's width. */
async function expectControlsOnScreen(within: Locator, where: string): Promise<void> {
  const controls = within.locator('button, input, select, a[href]');
  const count = await controls.count();
  expect(count, `${where}: controls`).toBeGreaterThan(0);
  for (let i = 0; i < count; i++) {
    const control = controls.nth(i);
    if (!(await control.isVisible())) continue;
    const box = await control.boundingBox();
    if (!box) continue;
    const name = (await control.getAttribute('aria-label')) ?? (await control.textContent());
    expect(box.x, `${where}: ${name} starts on screen`).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width, `${where}: ${name} ends on screen`).toBeLessThanOrEqual(WIDTH);
  }
}

test('at 320 px the Admin tabs and a person’s row, its temporary password open, fit the screen', async ({
  page,
  urls,
}) => {
  await page.setViewportSize({ width: WIDTH, height: 700 });
  await signIn(page, urls, 'admin');
  await page.goto(`${urls.web}/admin/users`);
  await confirmIdentity(page, urls);
  // Alice alone: unsearched, the list is a page of up to 100 people, as many as the scenarios
  // before this one created at this worker's provider, each with their roles read (most of
  // this scenario's time, under load, when it ran after 8-idp-users).
  await page.getByLabel('Search users').fill('alice');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const people = page.getByRole('table', { name: 'People at the identity provider' });
  const row = people.getByRole('row').filter({ hasText: 'alice@' });
  await expect(row).toBeVisible();
  await expect(people.getByRole('row')).toHaveCount(2); // header + alice
  await expectNoWiderThanScreen(page, 'Admin, People');
  // The four tabs wrap onto a second line rather than run past the screen.
  await expectControlsOnScreen(page.getByRole('tablist'), 'Admin tabs');
  const toggle = row.getByRole('button', { name: 'Temporary password for alice' });
  await toggle.click();
  const form = row.getByRole('form', { name: 'Temporary password for alice' });
  await expect(form).toBeVisible();
  await expectNoWiderThanScreen(page, 'temporary password open');
  // The department's field and its Save, the roles, both actions and the form's controls.
  await expectControlsOnScreen(row, 'the person’s row');
  // Keyboard: the form's field has the focus, Tab reaches the box and the submit button.
  await expect(form.getByLabel('Temporary password for alice')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(row.getByLabel('Also end their sessions')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(row.getByRole('button', { name: 'Set temporary password' })).toBeFocused();
});
