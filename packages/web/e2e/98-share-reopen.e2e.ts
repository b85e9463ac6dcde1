import { expect, signIn, skipWithoutChromium, test } from './support/fixtures.js';

skipWithoutChromium();

// Named 98-: runs after every scenario that saves a README screenshot or counts someone's lists.

test('Share pressed again the moment its dialog closed opens the dialog again', async ({
  page,
  urls,
}) => {
  const shed = `Shed ${Date.now().toString(36)}`;
  await signIn(page, urls, 'carol');
  await page.getByLabel('New list name').fill(shed);
  await page.getByRole('button', { name: 'Create list' }).click();
  const head = page.locator('.list-head');
  await expect(head.getByRole('heading', { name: shed })).toBeVisible();
  const share = head.getByRole('button', { name: 'Share' });
  await share.click();
  const dialog = page.getByRole('dialog', { name: `Share “${shed}”` });
  await expect(dialog).toBeVisible();
  // Escape (or Done) closes the dialog at once, but the browser says so (its `close` event) a
  // moment later: a quick Enter on Share, which has the focus back, comes in between.
  await page.evaluate(() => {
    document.querySelector('dialog')?.close();
    for (const button of document.querySelectorAll<HTMLButtonElement>('.list-head button'))
      if (button.textContent === 'Share') button.click();
  });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Username or email')).toBeFocused();
});
