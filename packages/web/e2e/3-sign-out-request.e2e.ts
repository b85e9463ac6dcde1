import { expect, signIn, skipWithoutChromium, test } from './support/fixtures.js';

skipWithoutChromium();

const CONFIRMED = 'Your session has ended here and at your identity provider. See you soon.';

test('sign-out asks the provider with id_token_hint, the registered post_logout_redirect_uri and a fresh state; only its return with that state is taken as the provider session ended (RP-Initiated Logout 1.0 §2, §3)', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'alice');
  const endSession = page.waitForRequest((request) =>
    request.url().startsWith(`${urls.issuer}/protocol/openid-connect/logout?`),
  );
  const returned = page.waitForRequest((request) =>
    request.url().startsWith(`${urls.web}/signed-out?`),
  );
  await page.getByRole('button', { name: 'Sign out' }).click();
  const sent = new URL((await endSession).url()).searchParams;
  expect(sent.get('id_token_hint')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  expect(sent.get('post_logout_redirect_uri')).toBe(`${urls.web}/signed-out`);
  const state = sent.get('state');
  expect(state).toMatch(/^[\w-]{22,}$/);
  expect(new URL((await returned).url()).searchParams.get('state')).toBe(state);

  await page.waitForURL(`${urls.web}/signed-out`);
  await expect(page.getByRole('heading', { name: 'You have signed out' })).toBeVisible();
  await expect(page.getByText(CONFIRMED)).toBeVisible();
  expect(await page.evaluate(() => Object.keys(sessionStorage))).not.toContain(
    'todo-sso.sign-out-state',
  );

  // The same return again (its state is used up), a made-up one, or none: signed out in this
  // tab, with no claim about the provider.
  for (const address of [
    `${urls.web}/signed-out?state=${state}`,
    `${urls.web}/signed-out?state=made-up`,
    `${urls.web}/signed-out`,
  ]) {
    await page.goto(address);
    await expect(page.getByRole('heading', { name: 'You have signed out' })).toBeVisible();
    await expect(page.getByText('You are signed out of todo-sso in this tab.')).toBeVisible();
    await expect(page.getByText(CONFIRMED)).toHaveCount(0);
    await expect(page).toHaveURL(`${urls.web}/signed-out`);
  }
});
