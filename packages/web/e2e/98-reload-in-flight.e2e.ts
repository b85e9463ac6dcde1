import {
  apiGet,
  expect,
  passwordToken,
  signIn,
  skipWithoutChromium,
  test,
} from './support/fixtures.js';
import { holdAcrossReload, readFirstAnsweredLast, TODOS } from './support/hold.js';

skipWithoutChromium();

// Named 98-: runs after every scenario that saves a README screenshot or counts another
// person's lists, so the people, lists and todos made here show in none of them.

/**
 * A todo is typed and added, and the page is reloaded before the API has answered: the next
 * load sends the same request with the same `Idempotency-Key` again. Whether the API never got
 * the first one (it stores it now) or stored it and the answer was lost (it replays that todo),
 * the todo is there exactly once, the field is empty and the form says it was saved (before the
 * reload, or only now).
 */

const suffix = () => Date.now().toString(36);

test('the API never got it: the next load sends it again, and it is there once', async ({
  page,
  urls,
}) => {
  const passport = `Renew the passport ${suffix()}`;
  await signIn(page, urls, 'testuser');
  const hold = await holdAcrossReload(page, urls, 'POST', /^\/todos\/$/, false);
  const field = page.getByLabel('New todo');
  await field.fill(passport);
  await field.press('Enter');
  await hold.held;
  await expect(page.getByText(passport)).toBeVisible();
  // The next load's first read of the todos is made before the add it sends again, and answered
  // after it: the todo must still show.
  const { written } = await readFirstAnsweredLast(page, urls, TODOS, 'POST', /^\/todos\/$/);
  await page.reload();
  hold.release();

  await expect(page.getByTestId('user-name')).toHaveText('testuser');
  await expect(page.getByRole('status').filter({ hasText: passport })).toHaveText(
    `“${passport}” had not reached the API when the page was reloaded: it was sent again and is saved now.`,
  );
  expect(await written).toBe(201);
  await expect(page.getByRole('checkbox', { name: passport })).toHaveCount(1);
  await expect(field).toHaveValue('');
  // Nothing comes back on the next load either.
  await page.reload();
  await expect(page.getByTestId('user-name')).toHaveText('testuser');
  await expect(page.getByRole('checkbox', { name: passport })).toHaveCount(1);
  await expect(field).toHaveValue('');
});

test('the API stored it and the answer was lost: the next load gets it replayed, and it is there once', async ({
  page,
  urls,
}) => {
  const ferns = `Water the ferns ${suffix()}`;
  await signIn(page, urls, 'testuser');
  const hold = await holdAcrossReload(page, urls, 'POST', /^\/todos\/$/, true);
  const field = page.getByLabel('New todo');
  await field.fill(ferns);
  await field.press('Enter');
  await hold.held;
  const replayed = page.waitForResponse(
    (res) =>
      res.request().method() === 'POST' &&
      res.url() === `${urls.api}/todos/` &&
      res.headers()['idempotent-replayed'] === 'true',
    { timeout: 20_000 },
  );
  await page.reload();
  hold.release();

  await expect(page.getByTestId('user-name')).toHaveText('testuser');
  expect((await replayed).status()).toBe(201);
  await expect(page.getByRole('status').filter({ hasText: ferns })).toHaveText(
    `“${ferns}” was saved before the page was reloaded.`,
  );
  await expect(page.getByRole('checkbox', { name: ferns })).toHaveCount(1);
  await expect(field).toHaveValue('');
  await page.reload();
  await expect(page.getByTestId('user-name')).toHaveText('testuser');
  await expect(page.getByRole('checkbox', { name: ferns })).toHaveCount(1);
  await expect(field).toHaveValue('');
});

test('the API stored it and it was deleted before the next load: the key answers 404, nothing comes back', async ({
  page,
  urls,
  request,
}) => {
  const stamps = `Buy stamps ${suffix()}`;
  await signIn(page, urls, 'testuser');
  const hold = await holdAcrossReload(page, urls, 'POST', /^\/todos\/$/, true);
  const field = page.getByLabel('New todo');
  await field.fill(stamps);
  await field.press('Enter');
  await hold.held;
  // Deleted (from another device, say) while the page has not taken in the answer.
  const token = await passwordToken(request, urls, 'testuser');
  const todos = await apiGet(request, urls, '/todos/', token);
  const { items } = (await todos.json()) as { items: Array<{ id: string; title: string }> };
  const stored = items.find((todo) => todo.title === stamps);
  expect(stored).toBeDefined();
  const deleted = await request.delete(`${urls.api}/todos/${stored?.id}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(deleted.status()).toBe(204);
  await page.reload();
  hold.release();

  await expect(page.getByTestId('user-name')).toHaveText('testuser');
  await expect(page.getByRole('status').filter({ hasText: stamps })).toHaveText(
    `“${stamps}” was saved before the page was reloaded, and has been deleted since.`,
  );
  await expect(field).toHaveValue('');
  await expect(page.getByRole('checkbox', { name: stamps })).toHaveCount(0);
});

test('on a shared list another member adds the same title meanwhile: the add is neither lost nor taken for theirs', async ({
  page,
  urls,
  request,
}) => {
  const milk = `Buy oat milk ${suffix()}`;
  await signIn(page, urls, 'testuser');
  // bob's list, shared with testuser as editor (testuser is known to the API by now).
  const bob = await passwordToken(request, urls, 'bob');
  const auth = { Authorization: `Bearer ${bob}` };
  const list = await request.post(`${urls.api}/lists/`, {
    headers: auth,
    data: { name: `Shopping ${suffix()}` },
  });
  expect(list.status()).toBe(201);
  const listId = ((await list.json()) as { id: string }).id;
  const shared = await request.put(`${urls.api}/lists/${listId}/members/testuser`, {
    headers: auth,
    data: { relation: 'editor' },
  });
  expect(shared.status()).toBe(200);
  await page.goto(`${urls.web}/?list=${listId}`);
  const field = page.getByLabel('New todo');
  await expect(field).toBeEnabled();

  const hold = await holdAcrossReload(page, urls, 'POST', /^\/todos\/$/, false);
  await field.fill(milk);
  await field.press('Enter');
  await hold.held;
  // bob adds the very same title to the list while testuser's add is on its way.
  const bobs = await request.post(`${urls.api}/lists/${listId}/todos/`, {
    headers: auth,
    data: { title: milk },
  });
  expect(bobs.status()).toBe(201);
  await page.reload();
  hold.release();

  await expect(page.getByTestId('user-name')).toHaveText('testuser');
  await expect(page.getByRole('status').filter({ hasText: milk })).toHaveText(
    `“${milk}” had not reached the API when the page was reloaded: it was sent again and is saved now.`,
  );
  await expect(field).toHaveValue('');
  // bob's todo and testuser's: two, not one (testuser's lost) nor three.
  await expect(page.getByRole('checkbox', { name: milk })).toHaveCount(2);
  const todos = await apiGet(request, urls, `/lists/${listId}/todos/`, bob);
  const { items } = (await todos.json()) as { items: Array<{ title: string }> };
  expect(items.filter((todo) => todo.title === milk)).toHaveLength(2);
});
