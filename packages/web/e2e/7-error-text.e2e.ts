import type { Page } from '@playwright/test';
import { expect, signIn, skipWithoutChromium, test } from './support/fixtures.js';

skipWithoutChromium();

/**
 * Markup, a right-to-left override (U+202E, which would show the rest of the line reversed) and
 * five thousand characters: what a hostile or broken provider or API could send as an error's
 * description.
 */
const HOSTILE = `<img src=x onerror="window.__shown=1">\u202Edetaeler lla\u202C ${'x'.repeat(5000)}`;
/** "Sign-in did not complete: " and the like, plus the bounded text. */
const LONGEST_ALERT = 360;

async function expectShownAsBoundedText(page: Page, alert: ReturnType<Page['getByRole']>) {
  const text = (await alert.textContent()) ?? '';
  expect(text).toContain('<img src=x onerror=');
  expect(text).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
  expect(text.length).toBeLessThanOrEqual(LONGEST_ALERT);
  expect(text).toMatch(/…/);
  expect(await page.locator('img').count()).toBe(0);
  expect(await page.evaluate(() => (window as { __shown?: number }).__shown)).toBeUndefined();
}

test('an error description from the identity provider or the API is shown as plain text, without bidi controls, cut to a bounded length', async ({
  page,
  urls,
}) => {
  await page.goto(urls.web);
  const authorize = page.waitForRequest((request) =>
    request.url().startsWith(`${urls.issuer}/protocol/openid-connect/auth?`),
  );
  await page.getByRole('button', { name: 'Sign in' }).click();
  const state = new URL((await authorize).url()).searchParams.get('state') ?? '';
  await page.waitForURL((url) => url.href.startsWith(urls.issuer));
  const refused = new URLSearchParams({
    error: 'access_denied',
    error_description: HOSTILE,
    state,
  });
  await page.goto(`${urls.web}/callback?${refused}`);
  const signInAlert = page.getByRole('alert');
  await expect(signInAlert).toContainText('Sign-in did not complete:');
  await expectShownAsBoundedText(page, signInAlert);

  await signIn(page, urls, 'bob');
  await page.route(
    (url) => url.href.startsWith(`${urls.api}/lists`),
    (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          type: 'about:blank',
          title: 'Unavailable',
          status: 503,
          detail: HOSTILE,
        }),
      }),
  );
  await page.reload();
  const apiAlert = page.getByText(/Your lists could not be loaded/);
  await expect(apiAlert).toBeVisible({ timeout: 15_000 });
  await expectShownAsBoundedText(page, apiAlert);
});
