import type { Page } from '@playwright/test';
import { expect, skipWithoutChromium, test } from './support/fixtures.js';

skipWithoutChromium();

/** Console errors and uncaught exceptions of a page (and of its sign-in popup). */
function collectErrors(page: Page, into: string[]): void {
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const { url, lineNumber } = message.location();
    into.push(`${page.url()}: ${message.text()} (${url}:${lineNumber})`);
  });
  page.on('pageerror', (error) => into.push(`${page.url()}: ${error.message}`));
}

/**
 * The interactive docs' "Authorize" runs Authorization Code + PKCE (RFC 7636) in a popup: the
 * IdP sends the code to Swagger UI's redirect page, which hands it to the docs page through
 * `window.opener`. That link survives only if the docs page's Cross-Origin-Opener-Policy allows
 * popups and the redirect page sets none (HTML Standard, "cross-origin opener policies").
 */
test('/docs: Authorize signs in through the IdP popup and GET /todos/ answers 200', async ({
  page,
  urls,
}) => {
  const errors: string[] = [];
  collectErrors(page, errors);
  await page.goto(`${urls.api}/docs/`);
  await page.getByRole('button', { name: 'Authorize' }).first().click();

  // The sign-in scheme is the public client with PKCE: no client_secret to fill in.
  const dialog = page.locator('.dialog-ux');
  const scheme = dialog.locator('.auth-container', { hasText: 'authorizationCode' });
  await expect(scheme).toBeVisible();
  await expect(scheme.locator('input[type=text]').first()).toHaveValue('todo-ui');
  await expect(scheme.getByText('client_secret')).toBeHidden();
  await expect(scheme.locator('input[type=password]')).toBeHidden();

  const [popup] = await Promise.all([
    page.waitForEvent('popup'),
    scheme.getByRole('button', { name: 'Apply given OAuth2 credentials' }).click(),
  ]);
  collectErrors(popup, errors);
  await popup.waitForURL((url) => url.href.startsWith(urls.issuer));
  await popup.getByLabel('Username').fill('alice');
  await popup.getByLabel('Password').fill('alice');
  // The redirect page hands the code back to the docs page and closes the popup, possibly
  // before the click returns: listen first.
  const closed = popup.waitForEvent('close', { timeout: 30_000 });
  await popup.getByRole('button', { name: 'Sign In' }).click();
  await closed.catch(async () => {
    const body = await popup
      .locator('body')
      .textContent()
      .catch(() => '');
    throw new Error(`the popup did not close; at ${popup.url()}: ${(body ?? '').slice(0, 300)}`);
  });

  await expect(scheme.getByRole('button', { name: 'Remove authorization' })).toBeVisible();
  await scheme.getByRole('button', { name: 'Close' }).click();

  const operation = page.locator('.opblock-get', {
    has: page.locator('.opblock-summary-path[data-path="/todos/"]'),
  });
  await operation.locator('.opblock-summary').click();
  await operation.getByRole('button', { name: 'Try it out' }).click();
  const [response] = await Promise.all([
    page.waitForResponse(
      (r) => new URL(r.url()).pathname === '/todos/' && r.request().method() === 'GET',
    ),
    operation.getByRole('button', { name: 'Execute' }).click(),
  ]);
  expect(response.status()).toBe(200);
  // The docs' client (todo-ui) requires DPoP-bound tokens (RFC 9449): the call carries the
  // DPoP scheme and a proof by the docs page's key.
  expect(response.request().headers().authorization).toMatch(/^DPoP ey/);
  expect(response.request().headers().dpop).toMatch(/^ey/);
  const live = operation.locator('.live-responses-table tbody .response-col_status').first();
  await expect(live).toHaveText('200');
  await expect(operation.locator('.live-responses-table')).toContainText('"items"');

  expect(errors, 'console errors (CSP included) on the docs page and the popup').toEqual([]);
});
