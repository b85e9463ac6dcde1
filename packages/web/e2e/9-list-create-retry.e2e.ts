import type { Page } from '@playwright/test';
import { expect, signIn, skipWithoutChromium, test } from './support/fixtures.js';

skipWithoutChromium();

const sidebar = (page: Page) => page.getByRole('navigation', { name: 'Lists' });

test('a list whose answer is lost is created once: the retry goes with the same key', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'carol');
  const name = `Lost answer ${Date.now()}`;
  const keys: string[] = [];
  let lost = false;
  await page.route(`${urls.api}/lists/`, async (route) => {
    if (route.request().method() !== 'POST') return route.fallback();
    keys.push(route.request().headers()['idempotency-key'] ?? '');
    if (lost) return route.fallback();
    lost = true;
    // The API makes the list; its answer never reaches the page.
    await route.fetch();
    await route.abort('connectionreset');
  });
  await page.getByLabel('New list name').fill(name);
  await page.getByRole('button', { name: 'Create list' }).click();
  await expect(page.locator('.list-head').getByRole('heading', { name })).toBeVisible();

  expect(keys).toHaveLength(2);
  expect(keys[0]).toMatch(/^"[0-9a-f-]{36}"$/);
  expect(keys[1]).toBe(keys[0]);
  await page.reload();
  await expect(sidebar(page).getByRole('button', { name: new RegExp(name) })).toHaveCount(1);
});
