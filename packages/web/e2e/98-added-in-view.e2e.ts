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
 * On a 360×640 phone the "New todo" field is at the bottom of the screen once the person has
 * scrolled to it, and the todo they add lands in the list below it, off the screen: nothing they
 * can see said it was added. The new todo is scrolled into view, the field staying on the screen
 * with the focus in it, so the next can be typed at once.
 */
test('on a phone a todo added from the bottom of the screen is scrolled into view, the field still on it', async ({
  page,
  urls,
}) => {
  await page.setViewportSize({ width: 360, height: 640 });
  await signIn(page, urls, 'testuser');
  await expect(todosShown(page)).toBeVisible();
  const field = page.getByLabel('New todo');
  for (const title of [runName('Buy stamps'), runName('Post the letter')]) {
    await field.evaluate((element) => element.scrollIntoView({ block: 'end' }));
    await field.focus();
    await page.keyboard.type(title);
    await page.keyboard.press('Enter');
    const added = page.getByRole('checkbox', { name: title });
    await expect(added).toBeInViewport();
    await expect(field).toBeInViewport();
    await expect(field).toBeFocused();
    await expect(field).toHaveValue('');
  }
});
