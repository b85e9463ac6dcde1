import type { Page } from '@playwright/test';
import { expect, skipWithoutChromium, test, type Urls } from './support/fixtures.js';

skipWithoutChromium();

/**
 * The authorization response as the identity provider sent it to `/callback` (code, state and,
 * from a provider that advertises `authorization_response_iss_parameter_supported`, `iss`),
 * held back from the app: alice signs in at the IdP and the browser is stopped on its way back.
 */
async function heldBackResponse(page: Page, urls: Urls): Promise<URL> {
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

function tokenRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && req.url().endsWith('/protocol/openid-connect/token'))
      seen.push(req.url());
  });
  return seen;
}

test('a callback naming another issuer, or none from an IdP that always sends one, is refused before the code is redeemed (RFC 9207 §2.4)', async ({
  page,
  urls,
}) => {
  const redeemed = tokenRequests(page);

  const genuine = await heldBackResponse(page, urls);
  expect(genuine.searchParams.get('iss')).toBe(urls.issuer);
  const forged = new URL(genuine);
  forged.searchParams.set('iss', 'https://attacker.example/realms/todo-app');
  await page.goto(forged.href);
  await expect(page.getByRole('alert')).toContainText('Sign-in did not complete:');
  await expect(page.getByRole('alert')).toContainText('another identity provider');
  await expect(page).toHaveURL(`${urls.web}/callback`);
  await expect(page.getByTestId('user-name')).toHaveCount(0);
  expect(redeemed).toEqual([]);

  const stripped = new URL(await heldBackResponse(page, urls));
  stripped.searchParams.delete('iss');
  await page.goto(stripped.href);
  await expect(page.getByRole('alert')).toContainText('another identity provider');
  await expect(page.getByTestId('user-name')).toHaveCount(0);
  expect(redeemed).toEqual([]);

  // The genuine response still signs in.
  await page.goto((await heldBackResponse(page, urls)).href);
  await expect(page.getByTestId('user-name')).toHaveText('alice');
  expect(redeemed).toHaveLength(1);
});
