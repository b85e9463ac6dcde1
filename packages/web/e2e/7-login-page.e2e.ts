import { expect, skipWithoutChromium, test } from './support/fixtures.js';

skipWithoutChromium();

test('the development login page: no favicon 404, the demo users listed, a dark mode', async ({
  page,
  urls,
}) => {
  const missing: string[] = [];
  page.on('response', (response) => {
    if (response.status() === 404) missing.push(response.url());
  });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(urls.web);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.href.startsWith(urls.issuer));
  await expect(page.getByLabel('Username')).toBeVisible();

  const demo = page.locator('#demo-users');
  for (const name of ['alice', 'bob', 'carol', 'admin', 'testuser'])
    await expect(demo).toContainText(name);
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(background).toBe('rgb(15, 17, 21)');
  await page.waitForLoadState('networkidle');
  expect(missing).toEqual([]);
});
