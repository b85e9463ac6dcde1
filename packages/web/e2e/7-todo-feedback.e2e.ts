import {
  apiAnswer,
  expect,
  signIn,
  skipWithoutChromium,
  test,
  todosShown,
} from './support/fixtures.js';
import { readFirstAnsweredLast, TODOS } from './support/hold.js';

skipWithoutChromium();

test('a todo added under the Done filter does not vanish: the list shows all and says why', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'bob');
  await page.getByRole('button', { name: 'Done', exact: true }).click();
  await page.getByLabel('New todo').fill('Added while Done was on');
  await page.getByLabel('New todo').press('Enter');
  await expect(page.getByText('Added while Done was on')).toBeVisible();
  await expect(page.getByRole('button', { name: 'All', exact: true })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
  await expect(page.getByRole('status').filter({ hasText: 'now shows all' })).toBeVisible();
});

test('an error banner goes away once a later change is saved', async ({ page, urls }) => {
  await signIn(page, urls, 'bob');
  let refuse = true;
  await page.route(`${urls.api}/todos/`, async (route) => {
    if (route.request().method() !== 'POST' || !refuse) return route.fallback();
    refuse = false;
    // A 500: a 503 would be tried again at once, with the same key, and the add would succeed.
    await route.fulfill({
      status: 500,
      contentType: 'application/problem+json',
      body: JSON.stringify({ title: 'Internal Server Error', status: 500, detail: 'Try later.' }),
    });
  });
  await page.getByLabel('New todo').fill('Refused the first time');
  await page.getByLabel('New todo').press('Enter');
  await expect(page.getByRole('alert').filter({ hasText: 'was not saved' })).toBeVisible();
  await page.getByLabel('New todo').press('Enter');
  await expect(page.getByRole('checkbox', { name: 'Refused the first time' })).toBeEnabled();
  await expect(page.getByRole('alert').filter({ hasText: 'was not saved' })).toHaveCount(0);
});

test('a pasted 10,000-character title stays whole, the counter shows the limit, nothing is sent', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'bob');
  const posts: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.url().startsWith(urls.api))
      posts.push(request.url());
  });
  const field = page.getByLabel('New todo');
  await field.fill('x'.repeat(10_000));
  await expect(field).toHaveValue('x'.repeat(10_000));
  await expect(page.getByTestId('length-counter')).toHaveText(
    '10000 / 200 — 9800 over the limit, shorten it to save',
  );
  await field.press('Enter');
  await field.fill('Short enough');
  await expect(page.getByTestId('length-counter')).toHaveText('12 / 200');
  expect(posts).toEqual([]);
});

test('while /me loads or fails, the header shows a placeholder instead of "no department"', async ({
  page,
  urls,
}) => {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route(`${urls.api}/me`, async (route) => {
    await held;
    await route.fallback();
  });
  await signIn(page, urls, 'carol');
  await expect(page.getByTestId('user-profile-status')).toHaveText('Loading profile…');
  await expect(page.getByTestId('user-department')).toHaveCount(0);
  release();
  await expect(page.getByTestId('user-department')).toHaveText('engineering');

  await page.unroute(`${urls.api}/me`);
  await page.route(`${urls.api}/me`, (route) =>
    route.fulfill({
      status: 500,
      contentType: 'application/problem+json',
      body: JSON.stringify({ title: 'Internal Server Error', status: 500 }),
    }),
  );
  await page.reload();
  await expect(page.getByTestId('user-profile-status')).toHaveText('Profile unavailable', {
    timeout: 20_000,
  });
  await expect(page.getByTestId('user-department')).toHaveCount(0);
});

test('a todo deleted while its toggle is still on its way is deleted, not refused as changed elsewhere', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'bob');
  const title = 'Completed, then deleted at once';
  await page.getByLabel('New todo').fill(title);
  await page.getByLabel('New todo').press('Enter');
  const box = page.getByRole('checkbox', { name: title });
  await expect(box).toBeEnabled();

  // The toggle reaches the API (version 2 there), but its answer is held back: the page still
  // holds version 1 when the delete is asked for and sent.
  let reached: () => void = () => undefined;
  const atApi = new Promise<void>((resolve) => {
    reached = resolve;
  });
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route(
    (url) => url.href.startsWith(`${urls.api}/todos/`),
    async (route) => {
      if (route.request().method() !== 'PATCH') return route.fallback();
      const response = await route.fetch();
      reached();
      await held;
      await route.fulfill({ response });
    },
  );
  const toggled = apiAnswer(page, urls, 'PATCH', '/todos/');
  await box.check();
  await atApi;
  const deleted = page.waitForRequest(
    (request) => request.method() === 'DELETE' && request.url().startsWith(`${urls.api}/todos/`),
  );
  await page.getByRole('button', { name: `Delete “${title}”` }).click();
  await page.getByRole('button', { name: 'Dismiss' }).click();
  release();
  expect(await toggled).toBe(200);

  // The delete went after the toggle's answer, with the version it made.
  const request = await deleted;
  expect(request.headers()['if-match']).toBe('"2"');
  expect((await request.response())?.status()).toBe(204);
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId('user-name')).toHaveText('bob');
  // bob may have no todos left, whatever ran before: the list or its empty state.
  await expect(todosShown(page)).toBeVisible();
  await expect(page.getByRole('checkbox', { name: title })).toHaveCount(0);
});

test('a delete still in its undo window when the page is reloaded is sent by the next load', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'bob');
  const title = `Deleted, then reloaded at once ${Date.now()}`;
  await page.getByLabel('New todo').fill(title);
  await page.getByLabel('New todo').press('Enter');
  await expect(page.getByRole('checkbox', { name: title })).toBeEnabled();

  await page.getByRole('button', { name: `Delete “${title}”` }).click();
  await expect(page.getByRole('button', { name: 'Undo' })).toBeVisible();
  // The reload ends the page before its delete is on its way; the next load sends it.
  // Its first read of the todos is made before the delete and answered after it: what it shows
  // must still be read after the delete.
  const reload = await readFirstAnsweredLast(page, urls, TODOS, 'DELETE', /^\/todos\//);
  await page.reload();
  expect(await reload.written).toBe(204);
  await expect(page.getByTestId('user-name')).toHaveText('bob');
  // Once the page has the todos it shows, the deleted one is not among them.
  await reload.readAnswered;
  await expect(todosShown(page)).toBeVisible();
  await expect(page.getByRole('checkbox', { name: title })).toHaveCount(0);
  await expect(page.getByRole('alert')).toHaveCount(0);
  // Sent once: another load finds nothing left to send. The page has loaded once it shows the
  // todos or says there are none (bob may have none left, whatever ran before).
  await page.reload();
  await expect(todosShown(page)).toBeVisible();
  await expect(page.getByRole('checkbox', { name: title })).toHaveCount(0);
  await expect(page.getByRole('alert')).toHaveCount(0);
});
