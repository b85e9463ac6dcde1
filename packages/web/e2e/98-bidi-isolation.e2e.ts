import type { Locator } from '@playwright/test';
import { expect, passwordToken, personIn, skipWithoutChromium, test } from './support/fixtures.js';

skipWithoutChromium();

// Named 98-: runs after every scenario that saves a README screenshot or counts someone's lists.

/**
 * A list name and a todo title written by someone the list is shared with may end in a
 * bidirectional override (U+202E RIGHT-TO-LEFT OVERRIDE) left open. The screen isolates such
 * text (Unicode UTS #55, "Trojan Source"): the override cannot reorder what follows it on the
 * same line (the role badge, the count, the rest of a sentence), and the accessible names
 * built from a title or a list's name (its buttons, the sidebar's entry, the heading) carry no
 * direction controls.
 */

const RLO = '\u202e';

/** Where `text` (within one text node of `box`) starts on the screen: line first, then x. */
async function placeOf(box: Locator, text: string): Promise<{ top: number; left: number }> {
  return box.evaluate((element, wanted) => {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.textContent?.indexOf(wanted) ?? -1;
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + 1);
      const rect = range.getBoundingClientRect();
      return { top: Math.round(rect.top), left: rect.left };
    }
    throw new Error(`"${wanted}" is not shown`);
  }, text);
}

/** `first` is shown before `second` in reading order (left to right, line after line). */
async function expectBefore(box: Locator, first: string, second: string): Promise<void> {
  const a = await placeOf(box, first);
  const b = await placeOf(box, second);
  expect(a.top < b.top || (a.top === b.top && a.left < b.left), `${first} before ${second}`).toBe(
    true,
  );
}

test('a list name and a todo title ending in a right-to-left override reorder nothing after them', async ({
  urls,
  request,
  browser,
}) => {
  const auth = { Authorization: `Bearer ${await passwordToken(request, urls, 'alice')}` };
  const name = `Pantry ${Date.now().toString(36)}${RLO}`;
  const created = await request.post(`${urls.api}/lists/`, { headers: auth, data: { name } });
  expect(created.status()).toBe(201);
  const listId = ((await created.json()) as { id: string }).id;
  for (const title of [`Flour${RLO}`, 'Salt']) {
    const todo = await request.post(`${urls.api}/lists/${listId}/todos/`, {
      headers: auth,
      data: { title },
    });
    expect(todo.status()).toBe(201);
  }

  const page = await personIn(browser, urls, 'alice');
  await page.goto(`${urls.web}/?list=${listId}`);
  const shown = name.slice(0, -1);
  // The heading shows the name as written; its accessible name has no override.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
  await expect(page.getByRole('heading', { level: 1 })).toHaveAccessibleName(shown);

  // The sidebar row: the name, then the role badge, then the count.
  const row = page
    .getByRole('navigation', { name: 'Lists' })
    .getByRole('button')
    .filter({ hasText: name });
  const badge = await row.getByTestId('role-badge').boundingBox();
  const count = await row.getByTitle('2 todos').boundingBox();
  const named = await placeOf(row, 'Pantry');
  expect(badge && count).toBeTruthy();
  if (badge && count) {
    expect(named.left).toBeLessThan(badge.x);
    expect(badge.x + badge.width).toBeLessThanOrEqual(count.x);
  }
  // Its accessible name: the name without the override, then the role and the count.
  await expect(row).toHaveAccessibleName(`${shown}, owner, 2 todos`);

  // The todo's buttons are named after the title, without the override.
  await expect(page.getByRole('button', { name: 'Delete “Flour”', exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Edit “Flour”', exact: true })).toBeVisible();

  // The question before deleting the list reads in order: the count after the name.
  await page.getByRole('button', { name: 'Delete list' }).click();
  const question = page.getByRole('alertdialog', { name: 'Delete this list?' });
  await expect(question).toContainText('todos for everyone it is shared with?');
  await expectBefore(question, 'Delete', 'Pantry');
  await expectBefore(question, 'Pantry', 'and its');
  await expectBefore(question, 'and its', 'everyone');
  await question.getByRole('button', { name: 'Keep it' }).click();

  // The sharing dialog's title closes its quote after the name.
  await page.getByRole('button', { name: 'Share', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: `Share “${shown}”`, exact: true });
  const heading = dialog.getByRole('heading', { level: 2 });
  await expect(heading).toHaveText(`Share “${name}”`);
  await expectBefore(heading, 'Pantry', '”');
  await page.context().close();
});
