import { expect, makeKnown, signIn, skipWithoutChromium, test } from './support/fixtures.js';
import { readFirstAnsweredLast } from './support/hold.js';

skipWithoutChromium();

// Named 98-: runs after every scenario that saves a README screenshot or counts someone's lists.

test('a list shared while its dialog still loads the members shows the new member', async ({
  page,
  urls,
  request,
}) => {
  await makeKnown(request, urls, 'bob');
  const name = `Allotment ${Date.now().toString(36)}`;
  await signIn(page, urls, 'carol');
  await page.getByLabel('New list name').fill(name);
  await page.getByRole('button', { name: 'Create list' }).click();
  const head = page.locator('.list-head');
  await expect(head.getByRole('heading', { name })).toBeVisible();

  // The dialog's first read of the members reaches the API before the share, and is answered
  // after it: the members it shows must still be read after the share.
  const order = await readFirstAnsweredLast(
    page,
    urls,
    /^\/lists\/[^/]+\/members(\?|$)/,
    'PUT',
    /^\/lists\/[^/]+\/members\/bob$/,
  );
  await head.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog', { name: `Share “${name}”` });
  await dialog.getByLabel('Username or email').fill('bob');
  await dialog.getByRole('button', { name: 'Share', exact: true }).click();
  expect(await order.written).toBe(200);
  await expect(dialog.getByRole('status')).toHaveText('Shared with bob as editor.');
  await order.readAnswered;
  await expect(dialog.getByLabel('Role of bob')).toHaveValue('editor');
});
