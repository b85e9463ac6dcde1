import type { Page } from '@playwright/test';
import { dpopKeys } from './support/dpop.js';
import type { Urls } from './support/fixtures.js';
import { expect, secondTab, signIn, skipWithoutChromium, test } from './support/fixtures.js';
import { SHORT_ACCESS_TOKEN_LIFESPAN } from './support/stack.js';

skipWithoutChromium();

/**
 * The DPoP key pair is one per client id for the browser profile (IndexedDB, shared by every
 * tab), and each tab's tokens are bound to it (RFC 9449 §5). When one tab's session ends, the
 * key stays while another tab's session signs with it, and goes with the last session.
 */

/** From now on the provider refuses this tab's refresh token (the session ended for it). */
async function refuseRefreshes(page: Page, urls: Urls): Promise<void> {
  await page.route(`${urls.issuer}/protocol/openid-connect/token`, (route) => {
    const grant = new URLSearchParams(route.request().postData() ?? '').get('grant_type');
    if (grant !== 'refresh_token') return route.continue();
    return route.fulfill({
      status: 400,
      contentType: 'application/json',
      body: JSON.stringify({ error: 'invalid_grant', error_description: 'Session not active' }),
    });
  });
}

const ENDED =
  'Your session ended at your identity provider (you signed out elsewhere, or it expired). Sign in again to carry on.';

test('a session that ends in one tab leaves the DPoP key the other tab signs with; the last one takes it', async ({
  page,
  shortTokenUrls: urls,
}) => {
  test.setTimeout(90_000);
  await signIn(page, urls, 'testuser');
  const other = await secondTab(page, urls, 'testuser');
  expect(await dpopKeys(page)).toEqual(['todo-ui']);

  // The first tab's silent renewal (7.5 s after its latest token: 10-second tokens here) is
  // refused: its session ends.
  await refuseRefreshes(page, urls);
  await expect(page.getByRole('alert')).toHaveText(ENDED, {
    timeout: 2 * SHORT_ACCESS_TOKEN_LIFESPAN * 1000,
  });
  await expect(page.getByTestId('user-name')).toHaveCount(0);
  // Give a deletion the time it would take: the key stays, the other tab still signs with it.
  await page.waitForTimeout(500);
  expect(await dpopKeys(other)).toEqual(['todo-ui']);
  await other.getByLabel('New todo').fill('Added after the other tab’s session ended');
  await other.getByLabel('New todo').press('Enter');
  await expect(
    other.getByRole('checkbox', { name: 'Added after the other tab’s session ended' }),
  ).toBeEnabled();
  await expect(other.getByTestId('user-name')).toHaveText('testuser');

  // The last session ends too: nothing uses the key any more, and it is deleted.
  await refuseRefreshes(other, urls);
  await expect(other.getByRole('alert')).toHaveText(ENDED, {
    timeout: 2 * SHORT_ACCESS_TOKEN_LIFESPAN * 1000,
  });
  await expect.poll(() => dpopKeys(other)).toEqual([]);
});

test('signing out in one tab ends both tabs’ sessions, and the key goes with the last of them', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'testuser');
  const other = await secondTab(page, urls, 'testuser');
  expect(await dpopKeys(other)).toEqual(['todo-ui']);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${urls.web}/signed-out`);
  await expect(other.getByRole('heading', { name: 'You signed out in another tab' })).toBeVisible();
  await expect.poll(() => dpopKeys(page)).toEqual([]);
});
