import {
  expect,
  makeKnown,
  passwordToken,
  personIn,
  skipWithoutChromium,
  test,
  todosShown,
} from './support/fixtures.js';

skipWithoutChromium();

// Named 98-: runs after every scenario that saves a README screenshot, so alice's list made
// here shows in none of them.

/**
 * A member removed from a shared list while it is on their screen: their next change there is
 * refused (404: the list is hidden from them now), and the screen does not go on offering a list
 * they can no longer use. It reads the lists again, shows their own list and says why.
 */
test('bob, removed from a list while looking at it: his next change says the list is gone and shows his own todos', async ({
  urls,
  request,
  browser,
}) => {
  await makeKnown(request, urls, 'bob');
  const auth = { Authorization: `Bearer ${await passwordToken(request, urls, 'alice')}` };
  const name = `Garden ${Date.now().toString(36)}`;
  const created = await request.post(`${urls.api}/lists/`, { headers: auth, data: { name } });
  expect(created.status()).toBe(201);
  const listId = ((await created.json()) as { id: string }).id;
  const shared = await request.put(`${urls.api}/lists/${listId}/members/bob`, {
    headers: auth,
    data: { relation: 'editor' },
  });
  expect(shared.status()).toBe(200);
  const todo = await request.post(`${urls.api}/lists/${listId}/todos/`, {
    headers: auth,
    data: { title: 'Prune the roses' },
  });
  expect(todo.status()).toBe(201);

  const page = await personIn(browser, urls, 'bob');
  await page.goto(`${urls.web}/?list=${listId}`);
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
  const roses = page.getByRole('checkbox', { name: 'Prune the roses' });
  await expect(roses).toBeEnabled();

  const removed = await request.delete(`${urls.api}/lists/${listId}/members/bob`, {
    headers: auth,
  });
  expect(removed.status()).toBe(204);
  await roses.click();

  await expect(page.getByRole('status').filter({ hasText: 'no longer shared' })).toHaveText(
    `“${name}” is no longer shared with you, or was deleted: these are the todos of “My todos”.`,
  );
  await expect(page.getByRole('heading', { name: 'My todos', level: 1 })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Lists' }).getByText(name)).toHaveCount(0);
  await expect(todosShown(page)).toBeVisible();
  await expect(page.getByRole('checkbox', { name: 'Prune the roses' })).toHaveCount(0);
  await page.context().close();
});
