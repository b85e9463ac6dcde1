import { heldBackResponse } from './support/callback.js';
import { expect, skipWithoutChromium, test } from './support/fixtures.js';

skipWithoutChromium();

test('a sign-in answer opened again after it was used keeps the session, redeems nothing, and says so in a tab without one', async ({
  page,
  urls,
}) => {
  const redeemed: string[] = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && req.url().endsWith('/protocol/openid-connect/token'))
      redeemed.push(req.postData() ?? '');
  });
  const answer = await heldBackResponse(page, urls);
  await page.goto(answer.href);
  await expect(page.getByTestId('user-name')).toHaveText('alice');
  expect(redeemed).toHaveLength(1);

  // The same address again in the same tab (a reload or Back that reaches it, a copied link).
  await page.goto(answer.href);
  await expect(page.getByTestId('user-name')).toHaveText('alice');
  await expect(page).toHaveURL(`${urls.web}/`);
  await expect(page.getByText(/Sign-in did not complete/)).toHaveCount(0);
  expect(redeemed).toHaveLength(1);

  // In another tab, which has no session: refused in words, the code never redeemed again.
  const other = await page.context().newPage();
  await other.goto(answer.href);
  await expect(other.getByRole('alert')).toHaveText(
    'Sign-in did not complete: this sign-in answer was already used, or belongs to a sign-in ' +
      'started in another tab or browser. Sign in again.',
  );
  await expect(other).toHaveURL(`${urls.web}/callback`);
  await expect(other.getByTestId('user-name')).toHaveCount(0);
  expect(redeemed).toHaveLength(1);
});
