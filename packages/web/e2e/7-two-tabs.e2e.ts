import {
  apiAnswer,
  createTodo,
  expect,
  passwordToken,
  secondTab,
  signIn,
  skipWithoutChromium,
  test,
  todosShown,
} from './support/fixtures.js';
import { readFirstAnsweredLast, TODOS } from './support/hold.js';

skipWithoutChromium();

test('a tab whose person signed out in another tab says so and offers to sign in again', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'testuser');
  const other = await secondTab(page, urls, 'testuser');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${urls.web}/signed-out`);

  // No click needed in the other tab: it shows the reason at once, not a login page later.
  await expect(other.getByRole('heading', { name: 'You signed out in another tab' })).toBeVisible();
  await expect(other.getByTestId('user-name')).toHaveCount(0);
  await other.getByRole('button', { name: 'Sign in again' }).click();
  await other.waitForURL((url) => url.href.startsWith(urls.issuer));
  await expect(other.getByLabel('Username')).toBeVisible();
});

test('a todo added in one tab shows in the other without a reload', async ({ page, urls }) => {
  await signIn(page, urls, 'testuser');
  const other = await secondTab(page, urls, 'testuser');
  await page.getByLabel('New todo').fill('Added in the first tab');
  await page.getByLabel('New todo').press('Enter');
  await expect(page.getByRole('checkbox', { name: 'Added in the first tab' })).toBeEnabled();
  await expect(other.getByText('Added in the first tab')).toBeVisible();
});

test('a todo added in one tab is counted beside its list in the other without a reload', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'testuser');
  const other = await secondTab(page, urls, 'testuser');
  const title = `Counted in the other tab ${Date.now().toString(36)}`;
  // Both tabs show the person's own list; the number beside it is its todos.
  const count = other.locator('.sidebar__list[aria-current="true"] .sidebar__count');
  await expect(todosShown(other)).toBeVisible();
  const before = Number(await count.textContent());
  await page.getByLabel('New todo').fill(title);
  await page.getByLabel('New todo').press('Enter');
  await expect(page.getByRole('checkbox', { name: title })).toBeEnabled();
  await expect(other.getByRole('checkbox', { name: title })).toBeVisible();
  await expect(count).toHaveText(String(before + 1));
});

test('a todo added in one tab while the other is still loading its todos shows there too', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'testuser');
  const title = `Added while the other tab loaded ${Date.now().toString(36)}`;
  // The other tab's first read of the todos reaches the API before the add, and is answered
  // after the first tab has said the todos changed: what it shows must still include the add.
  const other = await page.context().newPage();
  const order = await readFirstAnsweredLast(other, urls, TODOS, 'POST', /^\/todos\/$/, page);
  await other.goto(urls.web);
  await other.getByRole('button', { name: 'Sign in' }).click();
  await expect(other.getByTestId('user-name')).toHaveText('testuser', { timeout: 15_000 });
  await page.getByLabel('New todo').fill(title);
  await page.getByLabel('New todo').press('Enter');
  expect(await order.written).toBe(201);
  await expect(page.getByRole('checkbox', { name: title })).toBeEnabled();
  await order.readAnswered;
  await expect(other.getByRole('checkbox', { name: title })).toBeVisible();
});

test('coming back to the tab shows what changed elsewhere meanwhile', async ({
  page,
  urls,
  request,
}) => {
  await signIn(page, urls, 'testuser');
  await expect(page.getByRole('list', { name: 'all todos' })).toBeVisible();
  await createTodo(request, urls, await passwordToken(request, urls, 'testuser'), 'From a phone');
  // The tab becomes visible again (TanStack Query listens for visibilitychange) and asks for
  // the list again: nothing else would (no polling), so the todo shows once that GET answers,
  // however long a busy machine takes over it.
  const refetched = page.waitForResponse(
    (res) =>
      res.request().method() === 'GET' &&
      res.url().startsWith(urls.api) &&
      new URL(res.url()).pathname.endsWith('/todos/'),
  );
  await page.evaluate(() =>
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true })),
  );
  expect((await refetched).status()).toBe(200);
  await expect(page.getByText('From a phone')).toBeVisible();
});

test('two tabs editing the same todo: the second save says "changed elsewhere" with both versions', async ({
  page,
  urls,
  request,
}) => {
  const token = await passwordToken(request, urls, 'carol');
  await createTodo(request, urls, token, 'Edited in two tabs');
  await signIn(page, urls, 'carol');
  const other = await secondTab(page, urls, 'carol');

  await page.getByRole('button', { name: 'Edit “Edited in two tabs”' }).click();
  await other.getByRole('button', { name: 'Edit “Edited in two tabs”' }).click();

  await page.getByLabel('Title').fill('Renamed in the first tab');
  // The rename shows at once (optimistically): the second tab saves only once the API has it,
  // else its PATCH could arrive first and the rename would be the one refused.
  const renamed = apiAnswer(page, urls, 'PATCH', '/todos/');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('checkbox', { name: 'Renamed in the first tab' })).toBeEnabled();
  expect(await renamed).toBe(200);

  await other.getByLabel('Notes').fill('Notes from the second tab');
  await other.getByRole('button', { name: 'Save' }).click();
  const notice = other.getByRole('alert', { name: 'Changed elsewhere' });
  await expect(notice).toBeVisible();
  await expect(notice.getByTestId('conflict-theirs')).toContainText('Renamed in the first tab');
  await expect(notice.getByTestId('conflict-mine')).toContainText('Notes from the second tab');

  // Nothing was overwritten: the rename stands and the notes were not saved.
  const todos = await request.get(`${urls.api}/todos/?limit=100`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  const saved = ((await todos.json()) as { items: Array<Record<string, unknown>> }).items.find(
    (todo) => todo.title === 'Renamed in the first tab',
  );
  expect(saved).toMatchObject({ description: null, version: 2 });

  await notice.getByRole('button', { name: 'Keep theirs' }).click();
  await expect(other.getByRole('checkbox', { name: 'Renamed in the first tab' })).toBeVisible();
  await expect(other.getByRole('alert', { name: 'Changed elsewhere' })).toHaveCount(0);
});

test('a todo marked done elsewhere, then here before this tab heard of it: it is done, not "changed elsewhere"', async ({
  page,
  urls,
  request,
}) => {
  const title = `Done twice ${Date.now().toString(36)}`;
  const token = await passwordToken(request, urls, 'carol');
  await createTodo(request, urls, token, title);
  await signIn(page, urls, 'carol');
  const checkbox = page.getByRole('checkbox', { name: title, exact: true });
  await expect(checkbox).not.toBeChecked();

  // Marked done from a phone: this tab still shows it open, at the version before.
  const auth = { Authorization: `Bearer ${token}` };
  const listed = await request.get(`${urls.api}/todos/?limit=100`, { headers: auth });
  const { id } = (
    (await listed.json()) as { items: Array<{ id: string; title: string }> }
  ).items.find((todo) => todo.title === title) ?? { id: '' };
  const done = await request.patch(`${urls.api}/todos/${id}`, {
    headers: auth,
    data: { completed: true },
  });
  expect(done.status()).toBe(200);

  // The same change from this tab goes with that older version: refused (412), by a todo that
  // already is what was asked for. The todos are read again after it.
  const refused = apiAnswer(page, urls, 'PATCH', '/todos/');
  const readAgain = page.waitForResponse(
    (res) =>
      res.request().method() === 'GET' &&
      res.url().startsWith(urls.api) &&
      TODOS.test(res.url().slice(urls.api.length)),
  );
  await checkbox.click();
  expect(await refused).toBe(412);
  expect((await readAgain).status()).toBe(200);
  await expect(checkbox).toBeChecked();
  await expect(page.getByRole('alert', { name: 'Changed elsewhere' })).toHaveCount(0);
});
