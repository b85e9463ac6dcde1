import { expect, signIn, skipWithoutChromium, test } from './support/fixtures.js';
import { holdAcrossReload } from './support/hold.js';

skipWithoutChromium();

// Named 98-: runs after every scenario that saves a README screenshot or counts another
// person's lists, so the people, lists and todos made here show in none of them.

/**
 * A todo is typed and added, and the page is reloaded before the API has answered: the text is
 * not lost. Either the API never got it (the text is back in the field, and the person is told),
 * or it stored it (the todo is there, and the field is empty, so it is not added twice).
 */

test('the API never got it: the text is back in the field, and added once it is sent again', async ({
  page,
  urls,
}) => {
  const passport = `Renew the passport ${Date.now().toString(36)}`;
  await signIn(page, urls, 'testuser');
  const hold = await holdAcrossReload(page, urls, 'POST', /^\/todos\/$/, false);
  const field = page.getByLabel('New todo');
  await field.fill(passport);
  await field.press('Enter');
  await hold.held;
  await expect(page.getByText(passport)).toBeVisible();
  await page.reload();
  hold.release();

  await expect(page.getByTestId('user-name')).toHaveText('testuser');
  await expect(field).toHaveValue(passport);
  await expect(page.getByRole('status').filter({ hasText: passport })).toHaveText(
    `“${passport}” was not saved before the page was reloaded: it is back in the field.`,
  );
  await expect(page.getByRole('checkbox', { name: passport })).toHaveCount(0);
  await field.press('Enter');
  await expect(page.getByRole('checkbox', { name: passport })).toHaveCount(1);
  await expect(field).toHaveValue('');
  await page.reload();
  await expect(page.getByRole('checkbox', { name: passport })).toHaveCount(1);
  await expect(field).toHaveValue('');
});

test('the API stored it: the todo is there once, and the field is empty', async ({
  page,
  urls,
}) => {
  const ferns = `Water the ferns ${Date.now().toString(36)}`;
  await signIn(page, urls, 'testuser');
  const hold = await holdAcrossReload(page, urls, 'POST', /^\/todos\/$/, true);
  const field = page.getByLabel('New todo');
  await field.fill(ferns);
  await field.press('Enter');
  await hold.held;
  await page.reload();
  hold.release();

  await expect(page.getByTestId('user-name')).toHaveText('testuser');
  await expect(page.getByRole('checkbox', { name: ferns })).toHaveCount(1);
  await expect(page.getByRole('status').filter({ hasText: ferns })).toHaveText(
    `“${ferns}” was saved before the page was reloaded.`,
  );
  await expect(field).toHaveValue('');
  // Nothing comes back on the next load either.
  await page.reload();
  await expect(page.getByRole('checkbox', { name: ferns })).toHaveCount(1);
  await expect(field).toHaveValue('');
});
