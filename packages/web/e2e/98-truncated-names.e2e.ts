import {
  createTodo,
  expect,
  passwordToken,
  runName,
  signIn,
  skipWithoutChromium,
  test,
  todosShown,
} from './support/fixtures.js';

skipWithoutChromium();

/**
 * A list name too long for the sidebar is cut with an ellipsis; hovering it shows the whole
 * name (its title), so a mouse user can tell apart two lists that start alike.
 */
test('a long list name cut short in the sidebar shows whole on hover', async ({ page, urls }) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await signIn(page, urls, 'testuser');
  await expect(todosShown(page)).toBeVisible();
  const name = runName('Release checklist for the quarterly launch of the new billing system');
  await page.getByLabel('New list name').fill(name);
  await page.getByLabel('New list name').press('Enter');
  await expect(page.getByRole('heading', { name })).toBeVisible();

  const shown = page.getByRole('navigation', { name: 'Lists' }).getByText(name, { exact: true });
  // Cut short on screen…
  expect(await shown.evaluate((element) => element.scrollWidth > element.clientWidth)).toBe(true);
  // …and whole in its title.
  await expect(shown).toHaveAttribute('title', name);
});

/** The undo notice cuts a long title short too; hovering it shows the whole title. */
test('a long title cut short in the undo notice shows whole on hover', async ({
  page,
  urls,
  request,
}) => {
  const title = runName(
    'Reconcile the expense reports of the whole regional sales team for November',
  );
  await createTodo(request, urls, await passwordToken(request, urls, 'testuser'), title);
  await signIn(page, urls, 'testuser');
  await expect(todosShown(page)).toBeVisible();
  await page.getByRole('button', { name: `Delete “${title}”` }).click();
  const text = page.locator('.toast .toast__text');
  await expect(text).toBeVisible();
  expect(await text.evaluate((element) => element.scrollWidth > element.clientWidth)).toBe(true);
  await expect(text).toHaveAttribute('title', title);
  await page.locator('.toast').getByRole('button', { name: 'Undo' }).click();
  await expect(page.getByRole('checkbox', { name: title })).toBeVisible();
});

/** The share dialog's roles fit a phone's width: the chosen one is read whole. */
test('the share dialog names each role in words a phone shows whole', async ({ page, urls }) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await signIn(page, urls, 'testuser');
  await expect(todosShown(page)).toBeVisible();
  const name = runName('Groceries');
  await page.getByLabel('New list name').fill(name);
  await page.getByLabel('New list name').press('Enter');
  await expect(page.getByRole('heading', { name })).toBeVisible();
  await page.locator('.list-head').getByRole('button', { name: 'Share' }).click();
  const role = page.getByLabel('Share as');
  await expect(role).toBeVisible();
  for (const value of ['editor', 'viewer']) {
    await role.selectOption(value);
    const fits = await role.evaluate((select: HTMLSelectElement) => {
      const option = select.selectedOptions[0];
      const probe = document.createElement('span');
      probe.textContent = option?.textContent ?? '';
      probe.style.font = getComputedStyle(select).font;
      probe.style.position = 'absolute';
      probe.style.whiteSpace = 'nowrap';
      document.body.append(probe);
      const width = probe.getBoundingClientRect().width;
      probe.remove();
      const style = getComputedStyle(select);
      // The text's room: the box less its padding and the arrow's (about 2em).
      const room =
        select.clientWidth -
        Number.parseFloat(style.paddingLeft) -
        Number.parseFloat(style.paddingRight);
      return width <= room;
    });
    expect(fits, `the ${value} choice is read whole`).toBe(true);
  }
});
