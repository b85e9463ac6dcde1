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

/**
 * Create list pressed from the keyboard: the field empties and the button is disabled with it,
 * which dropped the focus on the page's body. The new list's heading takes it.
 */
test('a list made with the Create list button from the keyboard leaves the focus on its heading', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'testuser');
  await expect(todosShown(page)).toBeVisible();
  const name = runName('Made by button');
  await page.getByLabel('New list name').fill(name);
  const create = page.getByRole('button', { name: 'Create list' });
  await create.focus();
  await page.keyboard.press('Enter');
  const heading = page.getByRole('heading', { name });
  await expect(heading).toBeVisible();
  await expect(heading).toBeFocused();
  await expect(page.getByLabel('New list name')).toHaveValue('');
});

/** "+ Add notes" gives way to the notes field, and the focus goes into it, not to the body. */
test('+ Add notes pressed from the keyboard puts the focus in the notes field', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'testuser');
  await expect(todosShown(page)).toBeVisible();
  await page.getByRole('button', { name: '+ Add notes' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: '+ Add notes' })).toHaveCount(0);
  await expect(page.getByLabel('Notes (optional)')).toBeFocused();
});
