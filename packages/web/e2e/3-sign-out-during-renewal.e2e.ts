import { expect, signIn, skipWithoutChromium, test } from './support/fixtures.js';
import { SHORT_ACCESS_TOKEN_LIFESPAN } from './support/stack.js';

skipWithoutChromium();

test('Sign out pressed while a silent renewal is out: the renewed session is not kept, the signed-out page opens signed out', async ({
  page,
  shortTokenUrls: urls,
}) => {
  test.setTimeout(90_000);
  // The renewal (7.5 s after sign-in with 10-second tokens) gets its new tokens from the
  // provider, but the tab sees them only once it has asked the provider to end the session,
  // while the page still waits for that answer: the order a loaded machine produced.
  let renewalHeld = () => {};
  const renewalOut = new Promise<void>((resolve) => {
    renewalHeld = resolve;
  });
  let endSessionAsked = () => {};
  const endSessionRequest = new Promise<void>((resolve) => {
    endSessionAsked = resolve;
  });
  let renewalDelivered = () => {};
  const renewalIn = new Promise<void>((resolve) => {
    renewalDelivered = resolve;
  });
  await page.route(`${urls.issuer}/protocol/openid-connect/token`, async (route) => {
    const grant = new URLSearchParams(route.request().postData() ?? '').get('grant_type');
    if (grant !== 'refresh_token') return route.continue();
    const response = await route.fetch();
    if (response.status() !== 200) return route.fulfill({ response });
    renewalHeld();
    await endSessionRequest;
    await route.fulfill({ response });
    renewalDelivered();
  });
  const endSession = `${urls.issuer}/protocol/openid-connect/logout`;
  await page.route(
    (url) => `${url.origin}${url.pathname}` === endSession,
    async (route) => {
      endSessionAsked();
      await renewalIn;
      // Time for the page to store what the renewal brought before it leaves.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await route.continue();
    },
  );

  await signIn(page, urls, 'bob');
  await Promise.race([
    renewalOut,
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error('no renewal')), 2 * SHORT_ACCESS_TOKEN_LIFESPAN * 1000),
    ),
  ]);
  await page.getByRole('button', { name: 'Sign out' }).click();

  await expect(page.getByRole('button', { name: 'Sign in again' })).toBeVisible({
    timeout: 15_000,
  });
  await expect(page.getByTestId('user-name')).toHaveCount(0);
  const stored = await page.evaluate(() =>
    Object.keys(sessionStorage).filter((key) => key.startsWith('oidc.user:')),
  );
  expect(stored).toEqual([]);
});
