import type { Page } from '@playwright/test';
import { heldBackResponse } from './support/callback.js';
import { expect, skipWithoutChromium, test } from './support/fixtures.js';

skipWithoutChromium();

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
