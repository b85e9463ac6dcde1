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
 * A double-click on Delete deletes one todo. After the first click the row is gone and the next
 * todo's Delete stands under the pointer: the second click deleted that one too, and, a new
 * delete sending the one waiting for Undo at once, the first was beyond Undo.
 */
test('a double-click on Delete deletes that todo only, and Undo brings it back', async ({
  page,
  urls,
  request,
}) => {
  const token = await passwordToken(request, urls, 'testuser');
  const older = runName('Wash the car');
  const newer = runName('Mow the lawn');
  await createTodo(request, urls, token, older);
  await createTodo(request, urls, token, newer);
  await signIn(page, urls, 'testuser');
  await expect(todosShown(page)).toBeVisible();
  // Newest first: the older todo's Delete comes up under the pointer.
  await page.getByRole('button', { name: `Delete “${newer}”` }).dblclick();
  const notice = page.locator('.toast');
  await expect(notice).toContainText(newer);
  await expect(page.getByRole('checkbox', { name: older })).toBeVisible();
  await notice.getByRole('button', { name: 'Undo' }).click();
  await expect(page.getByRole('checkbox', { name: newer })).toBeVisible();
  await expect(page.getByRole('checkbox', { name: older })).toBeVisible();
});
