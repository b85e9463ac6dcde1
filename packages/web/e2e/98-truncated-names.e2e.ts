import {
  expect,
  runName,
  signIn,
  skipWithoutChromium,
  test,
  todosShown,
} from './support/fixtures.js';

skipWithoutChromium();

/**
 * A list name too long for the sidebar is cut with an ellipsis; hovering it shows the whole
 * name (its title), so a mouse user can tell apart two lists that start alike.
 */
test('a long list name cut short in the sidebar shows whole on hover', async ({ page, urls }) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await signIn(page, urls, 'testuser');
  await expect(todosShown(page)).toBeVisible();
  const name = runName('Release checklist for the quarterly launch of the new billing system');
  await page.getByLabel('New list name').fill(name);
  await page.getByLabel('New list name').press('Enter');
  await expect(page.getByRole('heading', { name })).toBeVisible();

  const shown = page.getByRole('navigation', { name: 'Lists' }).getByText(name, { exact: true });
  // Cut short on screen…
  expect(await shown.evaluate((element) => element.scrollWidth > element.clientWidth)).toBe(true);
  // …and whole in its title.
  await expect(shown).toHaveAttribute('title', name);
});
