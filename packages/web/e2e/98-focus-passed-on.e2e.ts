import {
  createTodo,
  expect,
  passwordToken,
  runName,
  signIn,
  skipWithoutChromium,
  test,
  todosShown,
} from './support/fixtures.js';

skipWithoutChromium();

/**
 * A todo completed from the keyboard while the list shows "Open" leaves that view with the
 * focus on its checkbox: the focus goes to the todo now in its place, or to the list's heading
 * when it was the last, rather than falling to the page's body.
 */
test('a todo completed with the keyboard under Open hands the focus to the todo in its place, the last one to the heading', async ({
  page,
  urls,
  request,
}) => {
  const token = await passwordToken(request, urls, 'testuser');
  const older = runName('Water the ferns');
  const newer = runName('Oil the hinges');
  await createTodo(request, urls, token, older);
  await createTodo(request, urls, token, newer);
  await signIn(page, urls, 'testuser');
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByRole('list', { name: 'open todos' })).toBeVisible();

  // Newest first: the older todo is the next one down.
  const newerCheck = page.getByRole('checkbox', { name: newer });
  await newerCheck.focus();
  await page.keyboard.press('Space');
  await expect(newerCheck).toHaveCount(0);
  await expect(page.getByRole('checkbox', { name: older })).toBeFocused();

  // A list with one todo: completing it empties the view, and the heading takes the focus.
  const listName = runName('Focus');
  await page.getByLabel('New list name').fill(listName);
  await page.getByLabel('New list name').press('Enter');
  await expect(page.getByRole('heading', { name: listName })).toBeVisible();
  await page.getByLabel('New todo').fill(older);
  await page.getByLabel('New todo').press('Enter');
  const only = page.getByRole('checkbox', { name: older });
  await expect(only).toBeEnabled();
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(todosShown(page)).toBeVisible();
  await only.focus();
  await page.keyboard.press('Space');
  await expect(page.getByText('All done', { exact: true })).toBeVisible();
  await expect(page.locator('#todos-title')).toBeFocused();
});
