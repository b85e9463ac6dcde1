import {
  apiAnswer,
  createTodo,
  expect,
  passwordToken,
  signIn,
  skipWithoutChromium,
  test,
} from './support/fixtures.js';

skipWithoutChromium();

// Named 98-: runs after every scenario that saves a README screenshot or counts someone's todos.

/** The number beside each list in the sidebar is its todos as the API counts them. */

test('a todo deleted for good is no longer counted beside its list', async ({
  page,
  urls,
  request,
}) => {
  const title = `Return the drill ${Date.now().toString(36)}`;
  await createTodo(request, urls, await passwordToken(request, urls, 'testuser'), title);
  await signIn(page, urls, 'testuser');
  const count = page.locator('.sidebar__list[aria-current="true"] .sidebar__count');
  await expect(page.getByRole('checkbox', { name: title })).toBeVisible();
  const before = Number(await count.textContent());
  const deleted = apiAnswer(page, urls, 'DELETE', '/todos/');
  await page.getByRole('button', { name: `Delete “${title}”` }).click();
  // Dismissing the notice sends the delete at once.
  await page.getByRole('button', { name: 'Dismiss', exact: true }).click();
  expect(await deleted).toBe(204);
  await expect(count).toHaveText(String(before - 1));
});
