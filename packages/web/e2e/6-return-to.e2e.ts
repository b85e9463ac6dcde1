import { expect, skipWithoutChromium, test } from './support/fixtures.js';

skipWithoutChromium();

test('sign-in comes back to the address it started from, query and fragment included', async ({
  page,
  urls,
}) => {
  const start = `${urls.web}/admin/todos?owner=someone#top`;
  await page.goto(start);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.href.startsWith(urls.issuer));
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('alice');
  await page.getByRole('button', { name: 'Sign In' }).click();
  await expect(page.getByTestId('user-name')).toHaveText('alice');
  await expect(page).toHaveURL(start);
});

test('an address that is another host to a later relative navigation is never restored: the app starts at /', async ({
  page,
  urls,
}) => {
  // The web server answers `//evil.example/x` with the app; as a return-to path it would be a
  // network-path reference to evil.example (RFC 3986 §4.2).
  await page.goto(`${urls.web}//evil.example/x?y=1`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.href.startsWith(urls.issuer));
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('alice');
  await page.getByRole('button', { name: 'Sign In' }).click();
  await expect(page.getByTestId('user-name')).toHaveText('alice');
  await expect(page).toHaveURL(`${urls.web}/`);
});
