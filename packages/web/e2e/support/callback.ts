import type { Page } from '@playwright/test';
import { expect, type Urls } from './fixtures.js';

/**
 * The authorization response as the identity provider sent it to `/callback` (code, state and,
 * from a provider that advertises `authorization_response_iss_parameter_supported`, `iss`),
 * held back from the app: alice signs in at the IdP and the browser is stopped on its way back.
 */
export async function heldBackResponse(page: Page, urls: Urls): Promise<URL> {
  let response: URL | undefined;
  // Playwright does not route the requests a redirect makes: stop the IdP's redirect itself.
  const atIdp = (url: URL) => url.href.startsWith(urls.issuer);
  // The IdP's own redirects are followed here, within the one routed request.
  await page.route(atIdp, async (route) => {
    let answer = await route.fetch({ maxRedirects: 0 });
    for (let hop = 0; hop < 5; hop++) {
      const location = answer.headers().location;
      if (!location) break;
      const target = new URL(location, answer.url());
      if (target.href.startsWith(`${urls.web}/callback?`)) {
        response = target;
        await route.fulfill({ status: 200, contentType: 'text/plain', body: 'held back' });
        return;
      }
      if (!atIdp(target)) break;
      answer = await page.request.get(target.href, { maxRedirects: 0 });
    }
    await route.fulfill({ response: answer });
  });
  await page.goto(urls.web);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // The login form, unless the IdP still has alice's session from an earlier round trip.
  const form = page.getByLabel('Username');
  await expect.poll(async () => response !== undefined || (await form.isVisible())).toBe(true);
  if (response === undefined) {
    await form.fill('alice');
    await page.getByLabel('Password').fill('alice');
    await page.getByRole('button', { name: 'Sign In' }).click();
  }
  await expect.poll(() => response).toBeDefined();
  await page.unroute(atIdp);
  return response as URL;
}
