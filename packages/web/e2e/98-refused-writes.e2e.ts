import type { Page } from '@playwright/test';
import {
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

// Named 98-: runs after every scenario that saves a README screenshot or counts another
// person's lists, so the people, lists and todos made here show in none of them.

/**
 * The app shows a write at once (optimistically); when the API then refuses it, the screen goes
 * back to what the API holds, an alert says why, and what the person typed is not lost.
 */

interface Refusal {
  /** Resolves once the request has reached the route (the app has shown the change). */
  readonly sent: Promise<void>;
  /** Sends the refusal. */
  refuse(): void;
}

/**
 * Holds the next `method` request whose path (after the API's origin) matches `path`, then
 * answers it with `status` and an RFC 9457 problem saying `detail` when told to; later
 * requests pass.
 */
async function refuseNext(
  page: Page,
  urls: Urls,
  method: string,
  path: RegExp,
  status: number,
  detail: string,
): Promise<Refusal> {
  const { held, release } = await holdNext(page, urls, method, path, (route) =>
    route.fulfill({
      status,
      contentType: 'application/problem+json',
      body: JSON.stringify({ type: 'about:blank', title: 'Refused', status, detail }),
    }),
  );
  return { sent: held, refuse: release };
}

const alert = (page: Page) => page.getByRole('alert');

test('add, edit, toggle and delete refused by the API roll back, say why and keep the typed text', async ({
  page,
  urls,
  request,
}) => {
  // Titles of this run, so that a run again on the same stack finds only its own.
  const plumber = `Call the plumber ${Date.now().toString(36)}`;
  const milk = `Buy oat milk ${Date.now().toString(36)}`;
  const carol = await passwordToken(request, urls, 'carol');
  await createTodo(request, urls, carol, plumber);
  await signIn(page, urls, 'carol');
  const todo = page.getByRole('checkbox', { name: plumber });
  await expect(todo).toBeVisible();

  // Add: the todo shows, goes when the API refuses it, and the title is back in the field.
  const field = page.getByLabel('New todo');
  let refusal = await refuseNext(page, urls, 'POST', /\/todos\/$/, 500, 'The database is busy.');
  await field.fill(milk);
  await field.press('Enter');
  await refusal.sent;
  await expect(page.getByText(milk)).toBeVisible();
  await expect(field).toHaveValue('');
  refusal.refuse();
  await expect(alert(page)).toContainText('was not saved');
  await expect(alert(page)).toContainText('The database is busy.');
  await expect(page.getByRole('checkbox', { name: milk })).toHaveCount(0);
  await expect(field).toHaveValue(milk);
  await field.fill('');
  await page.getByRole('button', { name: 'Dismiss message' }).click();

  // Toggle: the box is ticked at once, and unticked again when the API refuses.
  refusal = await refuseNext(page, urls, 'PATCH', /\/todos\/[^/]+$/, 503, 'Try again in a minute.');
  await todo.click();
  await refusal.sent;
  await expect(todo).toBeChecked();
  refusal.refuse();
  await expect(alert(page)).toContainText('Try again in a minute.');
  await expect(todo).not.toBeChecked();
  await page.getByRole('button', { name: 'Dismiss message' }).click();

  // Edit: the new title shows, the old one comes back, and the edit is open again with the
  // person's text in it.
  refusal = await refuseNext(page, urls, 'PATCH', /\/todos\/[^/]+$/, 409, 'The todo is locked.');
  await page.getByRole('button', { name: `Edit “${plumber}”` }).click();
  const title = page.getByRole('textbox', { name: /title/i });
  await title.fill(`${plumber} about the boiler`);
  await title.press('Enter');
  await refusal.sent;
  await expect(page.getByRole('checkbox', { name: `${plumber} about the boiler` })).toBeVisible();
  refusal.refuse();
  await expect(alert(page)).toContainText('The todo is locked.');
  await expect(title).toHaveValue(`${plumber} about the boiler`);
  await page.keyboard.press('Escape');
  await expect(todo).toBeVisible();
  await page.getByRole('button', { name: 'Dismiss message' }).click();

  // Delete: gone at once; the API refuses once the undo window ends (Dismiss ends it now), and
  // the todo is back.
  refusal = await refuseNext(page, urls, 'DELETE', /\/todos\/[^/]+$/, 503, 'Deleting is paused.');
  await page.getByRole('button', { name: `Delete “${plumber}”` }).click();
  await expect(todo).toHaveCount(0);
  await page.getByRole('button', { name: 'Dismiss', exact: true }).click();
  await refusal.sent;
  await expect(todo).toHaveCount(0);
  refusal.refuse();
  await expect(alert(page)).toContainText('Deleting is paused.');
  await expect(todo).toBeVisible();
});

test('a list rename the API refuses keeps the typed name in the field and says why', async ({
  page,
  urls,
}) => {
  const garden = `Garden ${Date.now().toString(36)}`;
  await signIn(page, urls, 'carol');
  await page.getByLabel('New list name').fill(garden);
  await page.getByRole('button', { name: 'Create list' }).click();
  const head = page.locator('.list-head');
  await expect(head.getByRole('heading', { name: garden })).toBeVisible();

  const refusal = await refuseNext(
    page,
    urls,
    'PATCH',
    /\/lists\/[^/]+$/,
    409,
    'Lists are read-only now.',
  );
  await head.getByRole('button', { name: 'Rename' }).click();
  const name = head.getByLabel('List name');
  await name.fill(`${garden} and shed`);
  await name.press('Enter');
  await refusal.sent;
  refusal.refuse();
  await expect(head.getByRole('alert')).toContainText('Lists are read-only now.');
  await expect(name).toHaveValue(`${garden} and shed`);
  await expect(name).toBeFocused();
  await name.press('Escape');
  await expect(head.getByRole('heading', { name: garden, exact: true })).toBeVisible();
  // The API kept the old name: a reload shows it.
  await page.reload();
  await expect(head.getByRole('heading', { name: garden, exact: true })).toBeVisible();
});

test('on a network too slow to read the list again, a refused toggle, edit or delete is put back and said at once', async ({
  page,
  urls,
  request,
}) => {
  const bins = `Put the bins out ${Date.now().toString(36)}`;
  const carol = await passwordToken(request, urls, 'carol');
  await createTodo(request, urls, carol, bins);
  await signIn(page, urls, 'carol');
  const todo = page.getByRole('checkbox', { name: bins });
  await expect(todo).toBeVisible();
  // From now on every write is refused as unavailable and no read of the todos gets an answer:
  // the reading again that follows each write never ends.
  await page.route(
    (url) => url.href.startsWith(urls.api) && /\/todos\//.test(url.pathname),
    (route) =>
      route.request().method() === 'GET'
        ? undefined
        : route.fulfill({
            status: 503,
            contentType: 'application/problem+json',
            body: JSON.stringify({ type: 'about:blank', title: 'Refused', status: 503 }),
          }),
  );

  await todo.click();
  await expect(alert(page)).toContainText('was not saved');
  await expect(todo).not.toBeChecked();
  await page.getByRole('button', { name: 'Dismiss message' }).click();

  await page.getByRole('button', { name: `Edit “${bins}”` }).click();
  const title = page.getByRole('textbox', { name: /title/i });
  await title.fill(`${bins} and the recycling`);
  await title.press('Enter');
  await expect(alert(page)).toContainText('was not saved');
  await expect(title).toHaveValue(`${bins} and the recycling`);
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Dismiss message' }).click();

  await page.getByRole('button', { name: `Delete “${bins}”` }).click();
  await page.getByRole('button', { name: 'Dismiss', exact: true }).click();
  await expect(alert(page)).toContainText('was not saved');
  await expect(todo).toBeVisible();
});
