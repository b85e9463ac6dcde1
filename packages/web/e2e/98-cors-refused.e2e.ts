import { expect, skipWithoutChromium, test, urlsOf } from './support/fixtures.js';
import { type Stack, startStack } from './support/stack.js';

skipWithoutChromium();

// Named 98-: it runs on a stack of its own, and nothing of it belongs in the README screenshots.

/**
 * An API whose CORS_ORIGINS leaves out the web app's origin answers every request, but the
 * browser hides each answer from the page. The app says so, naming both origins and the setting,
 * instead of "Cannot reach the server", which would send the operator looking at the network.
 */
test.describe('an API that refuses the web origin (CORS)', () => {
  let stack: Stack;
  test.beforeAll(async () => {
    stack = await startStack({ apiEnv: { CORS_ORIGINS: 'http://127.0.0.1:9' } });
  });
  test.afterAll(async () => {
    await stack?.close();
  });

  test('the app names the refused origin and CORS_ORIGINS, not the network', async ({ page }) => {
    const urls = urlsOf(stack);
    const probes: string[] = [];
    page.on('request', (request) => {
      const path = request.url().slice(urls.api.length);
      if (request.url().startsWith(urls.api) && (path === '/healthz' || path === '/readyz'))
        probes.push(path);
    });
    await page.goto(urls.web);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.href.startsWith(urls.issuer));
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('alice');
    await page.getByRole('button', { name: 'Sign In' }).click();
    await page.waitForURL((url) => url.href.startsWith(urls.web), { timeout: 15_000 });

    const apiOrigin = new URL(urls.api).origin;
    const webOrigin = new URL(urls.web).origin;
    await expect(page.getByText(/refuses this page's origin/).first()).toContainText(
      `The API at ${apiOrigin} answers but refuses this page's origin ${webOrigin} (CORS). The administrator must add it to the API's CORS_ORIGINS.`,
      { timeout: 20_000 },
    );
    await expect(page.getByText('Cannot reach the server')).toHaveCount(0);
    // One burst of failures (the first requests and their retries), one pair of probes: /healthz,
    // which every origin may read, then /readyz, which CORS_ORIGINS guards.
    expect(probes).toEqual(['/healthz', '/readyz']);
  });
});
