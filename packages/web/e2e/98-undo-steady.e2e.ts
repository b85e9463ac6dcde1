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
 * The undo notice says "Paused" while the pointer rests on it. The notice is centred: the word
 * appearing widened it and moved Undo and Dismiss under a pointer on its way to them, so a click
 * aimed at Dismiss could land beside it. The buttons stay where they were.
 */
test('the pointer reaching the undo notice does not move its Undo and Dismiss buttons', async ({
  page,
  urls,
  request,
}) => {
  const title = runName('Sweep the porch');
  await createTodo(request, urls, await passwordToken(request, urls, 'testuser'), title);
  await signIn(page, urls, 'testuser');
  await expect(todosShown(page)).toBeVisible();
  await page.getByRole('button', { name: `Delete “${title}”` }).click();
  const notice = page.locator('.toast');
  const undo = notice.getByRole('button', { name: 'Undo' });
  const dismiss = notice.getByRole('button', { name: 'Dismiss' });
  await expect(undo).toBeVisible();
  // Away from the notice, then onto its text.
  await page.mouse.move(5, 5);
  await expect(notice).not.toContainText('Paused');
  const before = [await undo.boundingBox(), await dismiss.boundingBox()];
  await notice.locator('.toast__text').hover();
  await expect(notice).toContainText('Paused');
  expect([await undo.boundingBox(), await dismiss.boundingBox()]).toEqual(before);
  await dismiss.click();
  await expect(notice).toHaveCount(0);
  await expect(page.getByRole('checkbox', { name: title })).toHaveCount(0);
});
