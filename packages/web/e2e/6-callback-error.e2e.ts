import { expect, skipWithoutChromium, test } from './support/fixtures.js';

skipWithoutChromium();

test('an identity provider error on the callback is shown, with state dropped from the address and Back', async ({
  page,
  urls,
}) => {
  await page.goto(`${urls.web}/reports`);
  const authorize = page.waitForRequest((request) =>
    request.url().startsWith(`${urls.issuer}/protocol/openid-connect/auth?`),
  );
  await page.getByRole('button', { name: 'Sign in' }).click();
  const state = new URL((await authorize).url()).searchParams.get('state');
  await page.waitForURL((url) => url.href.startsWith(urls.issuer));
  expect(state).toBeTruthy();

  // What the provider sends when the user refuses (RFC 6749 §4.1.2.1).
  await page.goto(
    `${urls.web}/callback?error=access_denied&error_description=The+user+refused&state=${state}`,
  );

  await expect(page.getByRole('alert')).toHaveText('Sign-in did not complete: The user refused');
  await expect(page).toHaveURL(`${urls.web}/callback`);
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
  await page.goBack();
  expect(page.url()).not.toContain('error=access_denied');
});
