import type { Page } from '@playwright/test';
import {
  apiAnswer,
  expect,
  signIn,
  skipWithoutChromium,
  test,
  type Urls,
} from './support/fixtures.js';
import { holdAcrossReload, holdNext } from './support/hold.js';

skipWithoutChromium();

// Named 98-: runs after every scenario that saves a README screenshot or counts another
// person's lists, so the todos made here show in none of them.

/**
 * A todo's title is edited and saved, and the page is reloaded before the API has answered:
 * the edit is not lost and not sent twice. Either the API never got it (the form is open again
 * with the text, and saving sends it), or it stored it (the form stays closed, and says so), or
 * it stored it only after the next load had read the todo (the form is open again, and saving
 * finds the edit already saved: no "changed elsewhere").
 */

/** Signs in, adds `title` and waits for the API to store it. */
async function addTodo(page: Page, urls: Urls, title: string): Promise<void> {
  await signIn(page, urls, 'testuser');
  const field = page.getByLabel('New todo');
  await field.fill(title);
  await field.press('Enter');
  await expect(page.getByRole('checkbox', { name: title, exact: true })).toBeEnabled();
}

/** Renames `from` to `to` in its edit form and saves. */
async function saveEdit(page: Page, from: string, to: string): Promise<void> {
  await page.getByRole('button', { name: `Edit “${from}”`, exact: true }).click();
  const titleField = page.getByRole('textbox', { name: 'Title', exact: true });
  await titleField.fill(to);
  await titleField.press('Enter');
}

test('the API never got the edit: the form is open again with the text, and saving sends it once', async ({
  page,
  urls,
}) => {
  const run = Date.now().toString(36);
  const before = `Call the plumber ${run}`;
  const after = `Call the plumber on Monday ${run}`;
  await addTodo(page, urls, before);
  const hold = await holdAcrossReload(page, urls, 'PATCH', /^\/todos\/[^/?]+$/, false);
  await saveEdit(page, before, after);
  await hold.held;
  await page.reload();
  hold.release();

  await expect(page.getByTestId('user-name')).toHaveText('testuser');
  const titleField = page.getByRole('textbox', { name: 'Title', exact: true });
  await expect(titleField).toHaveValue(after);
  await expect(page.getByRole('status').filter({ hasText: after })).toHaveText(
    `Your edit of “${after}” was not saved before the page was reloaded: it is back in the form.`,
  );
  // Reloaded once the API has answered the save: the todo shows with its new title before
  // that, and a reload then would cut the save short (the case the scenario begins with).
  const saved = apiAnswer(page, urls, 'PATCH', '/todos/');
  await titleField.press('Enter');
  expect(await saved).toBe(200);
  await expect(page.getByRole('checkbox', { name: after, exact: true })).toBeEnabled();
  await page.reload();
  await expect(page.getByRole('checkbox', { name: after, exact: true })).toHaveCount(1);
  await expect(page.getByRole('checkbox', { name: before, exact: true })).toHaveCount(0);
  await expect(titleField).toHaveCount(0);
});

test('the API stored the edit: the form stays closed, and the todo says it was saved', async ({
  page,
  urls,
}) => {
  const run = Date.now().toString(36);
  const before = `Oil the bike ${run}`;
  const after = `Oil the bike chain ${run}`;
  await addTodo(page, urls, before);
  const hold = await holdAcrossReload(page, urls, 'PATCH', /^\/todos\/[^/?]+$/, true);
  await saveEdit(page, before, after);
  await hold.held;
  await page.reload();
  hold.release();

  await expect(page.getByTestId('user-name')).toHaveText('testuser');
  await expect(page.getByRole('checkbox', { name: after, exact: true })).toHaveCount(1);
  await expect(page.getByRole('status').filter({ hasText: after })).toHaveText(
    `Your edit of “${after}” was saved before the page was reloaded.`,
  );
  const titleField = page.getByRole('textbox', { name: 'Title', exact: true });
  await expect(titleField).toHaveCount(0);
  // Nothing comes back on the next load either.
  await page.reload();
  await expect(page.getByRole('checkbox', { name: after, exact: true })).toHaveCount(1);
  await expect(titleField).toHaveCount(0);
  await expect(page.getByText(/before the page was reloaded/)).toHaveCount(0);
});

test('the API stored the edit after the next load read the todo: saving again finds it saved, no conflict', async ({
  page,
  urls,
}) => {
  const run = Date.now().toString(36);
  const before = `Water the plants ${run}`;
  const after = `Water the plants on the balcony ${run}`;
  await addTodo(page, urls, before);
  // The save is held on its way until the next load has read the todo, then reaches the API.
  let stored: (status: number) => void = () => undefined;
  const reachedApi = new Promise<number>((resolve) => {
    stored = resolve;
  });
  const hold = await holdNext(page, urls, 'PATCH', /^\/todos\/[^/?]+$/, async (route) => {
    const response = await route.fetch();
    stored(response.status());
    await route.fulfill({ response }).catch(() => undefined);
  });
  await saveEdit(page, before, after);
  await hold.held;
  await page.reload();

  // The next load read the todo before the save arrived: for all it can tell, it was not saved.
  const titleField = page.getByRole('textbox', { name: 'Title', exact: true });
  await expect(titleField).toHaveValue(after);
  const status = page.getByRole('status').filter({ hasText: after });
  await expect(status).toHaveText(
    `Your edit of “${after}” was not saved before the page was reloaded: it is back in the form.`,
  );
  hold.release();
  expect(await reachedApi).toBe(200);

  // Saving again goes from the version the edit started from, which the API has moved past
  // with this very text: it is saved, not changed elsewhere.
  const answered = apiAnswer(page, urls, 'PATCH', '/todos/');
  await titleField.press('Enter');
  expect(await answered).toBe(412);
  await expect(status).toHaveCount(0);
  await expect(page.getByRole('checkbox', { name: after, exact: true })).toBeEnabled();
  await expect(page.getByRole('alert', { name: 'Changed elsewhere' })).toHaveCount(0);
  await expect(titleField).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole('checkbox', { name: after, exact: true })).toHaveCount(1);
  await expect(page.getByRole('checkbox', { name: before, exact: true })).toHaveCount(0);
  await expect(titleField).toHaveCount(0);
  await expect(page.getByText(/before the page was reloaded/)).toHaveCount(0);
});
