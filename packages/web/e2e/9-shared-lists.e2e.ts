import type { Page } from '@playwright/test';
import {
  apiAnswer,
  apiGet,
  expect,
  passwordToken,
  personIn,
  runName,
  screenshot,
  signIn,
  skipWithoutChromium,
  test,
  todosShown,
} from './support/fixtures.js';

skipWithoutChromium();

const sidebar = (page: Page) => page.getByRole('navigation', { name: 'Lists' });
const entry = (page: Page, name: string | RegExp) => sidebar(page).getByRole('button', { name });

test('alice shares a list: bob edits it, carol only reads it until alice removes her', async ({
  page,
  urls,
  request,
  browser,
}) => {
  // Its own list, so that the scenario runs again against the same stack.
  const list = runName('Release checklist');
  // Sharing finds people among those who have signed in before.
  for (const name of ['bob', 'carol']) {
    const token = await passwordToken(request, urls, name);
    expect((await apiGet(request, urls, '/lists/', token)).status()).toBe(200);
  }

  await signIn(page, urls, 'alice');
  await expect(entry(page, /My todos/)).toHaveAttribute('aria-current', 'true');
  await page.getByLabel('New list name').fill(list);
  await page.getByRole('button', { name: 'Create list' }).click();
  const head = page.locator('.list-head');
  await expect(head.getByRole('heading', { name: list })).toBeVisible();
  await expect(head.getByTestId('role-badge')).toHaveText('owner');

  await head.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog', { name: `Share “${list}”` });
  for (const [name, role] of [
    ['bob', 'editor'],
    ['carol', 'viewer'],
  ] as const) {
    await dialog.getByLabel('Username or email').fill(name);
    await dialog.getByLabel('Share as').selectOption(role);
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    await expect(dialog.getByLabel(`Role of ${name}`)).toHaveValue(role);
  }
  await screenshot(page, 'share-dialog');
  // Someone who never used their todos cannot be found, and the dialog says what makes them known
  // in the API's words (its problem detail, RFC 9457 §3.1.4), as a refusal (an alert, in the
  // danger colour), not in the grey of a success; for an email, whole, that only an address their
  // identity provider verified names a person.
  const known =
    'the API knows a person once they have used their todos or lists (in the web app, with the todo command or through an assistant); signing in alone is not enough';
  await dialog.getByLabel('Username or email').fill('nobody-here');
  await dialog.getByRole('button', { name: 'Share', exact: true }).click();
  await expect(dialog.getByRole('alert')).toHaveText(`No person known as nobody-here: ${known}`);
  await dialog.getByLabel('Username or email').fill('nobody@example.com');
  await dialog.getByRole('button', { name: 'Share', exact: true }).click();
  await expect(dialog.getByRole('alert')).toHaveText(
    `No person known as nobody@example.com: ${known}; and an email address names a person only when their identity provider says it is verified (email_verified), so name them by their username if theirs is not`,
  );
  await dialog.getByRole('button', { name: 'Done' }).click();
  await expect(dialog).toHaveCount(0);

  // bob, as editor: sees it under "Shared with me", adds a todo and completes it.
  const bob = await personIn(browser, urls, 'bob');
  const shared = sidebar(bob).getByRole('list', { name: 'Shared with me' });
  await expect(shared.getByRole('button', { name: list })).toContainText('editor');
  await shared.getByRole('button', { name: list }).click();
  await expect(bob.locator('.list-head').getByTestId('role-badge')).toHaveText('editor');
  await expect(bob.locator('.list-head').getByRole('button', { name: 'Share' })).toBeDisabled();
  await bob.getByLabel('New todo').fill('Tag the release');
  await bob.getByLabel('New todo').press('Enter');
  const tag = bob.getByRole('checkbox', { name: 'Tag the release' });
  await expect(tag).toBeEnabled();
  // Checked at once (optimistically); carol below loads the list from the API, so the toggle's
  // PATCH must have been answered first.
  const completed = apiAnswer(bob, urls, 'PATCH', '/todos/');
  await tag.check();
  await expect(tag).toBeChecked();
  expect(await completed).toBe(200);
  await expect(entry(bob, list)).toContainText('1');
  await screenshot(bob, 'lists-sidebar');

  // carol, as viewer: sees bob's completed todo; every control that would change it is disabled.
  const carol = await personIn(browser, urls, 'carol');
  await entry(carol, list).click();
  const head2 = carol.locator('.list-head');
  await expect(head2.getByTestId('role-badge')).toHaveText('viewer');
  const done = carol.getByRole('checkbox', { name: 'Tag the release' });
  await expect(done).toBeChecked();
  await expect(done).toBeDisabled();
  await expect(carol.getByRole('button', { name: 'Edit “Tag the release”' })).toBeDisabled();
  await expect(carol.getByRole('button', { name: 'Delete “Tag the release”' })).toBeDisabled();
  await expect(carol.getByLabel('New todo')).toBeDisabled();
  await expect(carol.getByRole('button', { name: 'Add', exact: true })).toBeDisabled();
  for (const name of ['Rename', 'Share', 'Delete list']) {
    await expect(head2.getByRole('button', { name })).toBeDisabled();
  }
  await screenshot(carol, 'shared-list-viewer');
  // The API agrees: carol's write is refused (403), so the disabled controls hide nothing.
  const carolToken = await passwordToken(request, urls, 'carol');
  const listId = await carol.locator('section.panel').getAttribute('data-list-id');
  const refused = await request.post(`${urls.api}/lists/${listId}/todos/`, {
    headers: { Authorization: `Bearer ${carolToken}` },
    data: { title: 'Sneaky' },
  });
  expect(refused.status()).toBe(403);

  // alice removes carol; carol's next load no longer shows the list.
  await head.getByRole('button', { name: 'Share' }).click();
  await dialog.getByRole('button', { name: 'Remove carol' }).click();
  await expect(dialog.getByLabel('Role of carol')).toHaveCount(0);
  await expect(dialog.getByLabel('Role of bob')).toHaveValue('editor');
  await dialog.getByRole('button', { name: 'Done' }).click();

  await carol.reload();
  await expect(carol.getByTestId('user-name')).toHaveText('carol');
  await expect(entry(carol, /My todos/)).toBeVisible();
  await expect(sidebar(carol).getByText(list)).toHaveCount(0);
  await expect(carol.getByTestId('shared-empty')).toBeVisible();
  await expect(todosShown(carol)).toBeVisible();
  await expect(carol.getByRole('checkbox', { name: 'Tag the release' })).toHaveCount(0);

  await bob.context().close();
  await carol.context().close();
});

test('alice renames and deletes a list with If-Match; a list changed elsewhere is not deleted unseen', async ({
  page,
  urls,
  request,
}) => {
  // Names of this run, so that a list a failed run left behind is never the one found.
  const groceries = runName('Groceries');
  const weekly = `${groceries} (weekly)`;
  const food = runName('Food');
  await signIn(page, urls, 'alice');
  const head = page.locator('.list-head');
  await expect(head.getByRole('button', { name: 'Delete list' })).toBeDisabled(); // default list
  await page.getByLabel('New list name').fill(groceries);
  await page.getByRole('button', { name: 'Create list' }).click();
  await expect(head.getByRole('heading', { name: groceries })).toBeVisible();

  const patch = page.waitForRequest((r) => r.method() === 'PATCH' && r.url().includes('/lists/'));
  await head.getByRole('button', { name: 'Rename' }).click();
  await page.getByLabel('List name', { exact: true }).fill(weekly);
  await page.getByRole('button', { name: 'Save name' }).click();
  expect((await patch).headers()['if-match']).toBe('"1"');
  await expect(head.getByRole('heading', { name: weekly })).toBeVisible();
  await expect(entry(page, weekly)).toBeVisible();

  // Renamed elsewhere meanwhile (another device): this page still holds version 2.
  const id = await page.locator('section.panel').getAttribute('data-list-id');
  const token = await passwordToken(request, urls, 'alice');
  const elsewhere = await request.patch(`${urls.api}/lists/${id}`, {
    headers: { Authorization: `Bearer ${token}` },
    data: { name: food },
  });
  expect(elsewhere.status()).toBe(200);
  await head.getByRole('button', { name: 'Delete list' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
  await expect(head.getByRole('alert')).toContainText(`changed meanwhile (now “${food}”)`);
  expect((await apiGet(request, urls, `/lists/${id}`, token)).status()).toBe(200);

  // Seen now: deleting goes ahead, and the default list is selected again.
  await page.reload();
  await expect(head.getByRole('heading', { name: food })).toBeVisible();
  await head.getByRole('button', { name: 'Delete list' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
  await expect(head.getByRole('heading', { name: 'My todos' })).toBeVisible();
  await expect(sidebar(page).getByText(food)).toHaveCount(0);
  expect((await apiGet(request, urls, `/lists/${id}`, token)).status()).toBe(404);
});
