import type { Page, Request } from '@playwright/test';
import {
  apiGet,
  createTodo,
  expect,
  passwordToken,
  signIn,
  skipWithoutChromium,
  test,
  type Urls,
} from './support/fixtures.js';
import { holdNext } from './support/hold.js';

skipWithoutChromium();

/**
 * A duplicated tab (the browser's "Duplicate", or a window the app's page opened) starts with a
 * copy of the first tab's sessionStorage: its session, its drafts, and the record of every delete
 * in its undo window and every add or edit still waiting for the API's answer. Those belong to
 * the first tab, which is still there to send, undo or settle them: the copy must not send them
 * (the first tab's Undo would then not take the delete back) nor report them as left by a reload.
 */

const suffix = () => Date.now().toString(36);

/** Opens a copy of `page` the way a duplicated tab starts: same address, copied sessionStorage. */
async function duplicate(page: Page): Promise<Page> {
  const [copy] = await Promise.all([
    page.context().waitForEvent('page'),
    page.evaluate(() => {
      window.open(window.location.href);
    }),
  ]);
  // The copy is signed in without a round trip to the identity provider: the session came along.
  await expect(copy.getByTestId('user-name')).toHaveText('testuser', { timeout: 15_000 });
  return copy;
}

/** The requests `page` sends to the API with `method`, from now on. */
function apiRequests(page: Page, urls: Urls, method: string): Request[] {
  const sent: Request[] = [];
  page.on('request', (req) => {
    if (req.method() === method && req.url().startsWith(urls.api)) sent.push(req);
  });
  return sent;
}

test('a delete in its undo window is not sent by a duplicate of the tab: Undo in the first tab still takes it back', async ({
  page,
  urls,
  request,
}) => {
  const title = `Renew the library card ${suffix()}`;
  const token = await passwordToken(request, urls, 'testuser');
  await createTodo(request, urls, token, title);
  await signIn(page, urls, 'testuser');

  // Deleted from the keyboard: the notice holds the window while it has the focus.
  await page.getByRole('button', { name: `Delete “${title}”` }).focus();
  await page.keyboard.press('Enter');
  const undo = page.getByRole('button', { name: 'Undo' });
  await expect(undo).toBeFocused();
  await expect(page.getByRole('checkbox', { name: title })).toHaveCount(0);

  const copy = await duplicate(page);
  const deletes = apiRequests(copy, urls, 'DELETE');
  // The copy lists the todo as the API has it: not deleted (yet).
  await expect(copy.getByRole('checkbox', { name: title })).toBeVisible();

  await undo.click();
  await expect(page.getByRole('checkbox', { name: title })).toBeVisible();
  // Nothing deleted it: not the copy, not the first tab.
  const todos = await apiGet(request, urls, '/todos/?limit=100', token);
  const { items } = (await todos.json()) as { items: Array<{ title: string }> };
  expect(items.filter((todo) => todo.title === title)).toHaveLength(1);
  expect(deletes).toEqual([]);

  // Nor does a later load of the copy, once the first tab has gone.
  await page.close();
  await copy.reload();
  await expect(copy.getByTestId('user-name')).toHaveText('testuser');
  await expect(copy.getByRole('checkbox', { name: title })).toBeVisible();
  expect(deletes).toEqual([]);
});

test('an add still waiting for its answer is settled by its own tab, not sent again by a duplicate', async ({
  page,
  urls,
  request,
}) => {
  const title = `Book the dentist ${suffix()}`;
  await signIn(page, urls, 'testuser');
  // The add reaches the API, whose answer is held back from the page for now.
  const hold = await holdNext(
    page,
    urls,
    'POST',
    /^\/todos\/$/,
    (route, response) => (response ? route.fulfill({ response }) : route.abort()),
    true,
  );
  const field = page.getByLabel('New todo');
  await field.fill(title);
  await field.press('Enter');
  await hold.held;

  const copy = await duplicate(page);
  const posts = apiRequests(copy, urls, 'POST');
  await expect(copy.getByRole('checkbox', { name: title })).toBeVisible();
  // Its text left the copy's field as it left the first tab's: adding it there would be twice.
  await expect(copy.getByLabel('New todo')).toHaveValue('');
  await copy.waitForLoadState('networkidle');
  hold.release();
  await expect(page.getByRole('checkbox', { name: title })).toBeEnabled();

  // The copy says nothing about a reload that did not happen, and sent nothing.
  await expect(copy.getByRole('status').filter({ hasText: 'reloaded' })).toHaveCount(0);
  expect(posts).toEqual([]);
  const token = await passwordToken(request, urls, 'testuser');
  const todos = await apiGet(request, urls, '/todos/?limit=100', token);
  const { items } = (await todos.json()) as { items: Array<{ title: string }> };
  expect(items.filter((todo) => todo.title === title)).toHaveLength(1);
});

test('an edit still waiting for its answer leaves the duplicate’s form closed, not reopened as if a reload had lost it', async ({
  page,
  urls,
  request,
}) => {
  const title = `Water the plants ${suffix()}`;
  const token = await passwordToken(request, urls, 'testuser');
  await createTodo(request, urls, token, title);
  await signIn(page, urls, 'testuser');
  const hold = await holdNext(
    page,
    urls,
    'PATCH',
    /^\/todos\//,
    (route, response) => (response ? route.fulfill({ response }) : route.abort()),
    true,
  );
  await page.getByRole('button', { name: `Edit “${title}”` }).click();
  await page.getByLabel('Title').fill(`${title}, twice a week`);
  await page.getByRole('button', { name: 'Save' }).click();
  await hold.held;

  const copy = await duplicate(page);
  await expect(copy.getByRole('checkbox', { name: `${title}, twice a week` })).toBeVisible();
  await copy.waitForLoadState('networkidle');
  await expect(copy.getByLabel('Title')).toHaveCount(0);
  await expect(copy.getByText('before the page was reloaded')).toHaveCount(0);
  hold.release();
  await expect(page.getByRole('checkbox', { name: `${title}, twice a week` })).toBeEnabled();
});
