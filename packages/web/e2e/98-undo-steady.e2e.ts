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
 * The undo notice says "Paused" while the pointer rests on it. The notice is centred: the word
 * appearing widened it and moved Undo and Dismiss under a pointer on its way to them, so a click
 * aimed at Dismiss could land beside it. The buttons stay where they were.
 */
test('the pointer reaching the undo notice does not move its Undo and Dismiss buttons', async ({
  page,
  urls,
  request,
}) => {
  const title = runName('Sweep the porch');
  await createTodo(request, urls, await passwordToken(request, urls, 'testuser'), title);
  await signIn(page, urls, 'testuser');
  await expect(todosShown(page)).toBeVisible();
  await page.getByRole('button', { name: `Delete “${title}”` }).click();
  const notice = page.locator('.toast');
  const undo = notice.getByRole('button', { name: 'Undo' });
  const dismiss = notice.getByRole('button', { name: 'Dismiss' });
  await expect(undo).toBeVisible();
  // Away from the notice, then onto its text.
  await page.mouse.move(5, 5);
  await expect(notice).not.toContainText('Paused');
  const before = [await undo.boundingBox(), await dismiss.boundingBox()];
  await notice.locator('.toast__text').hover();
  await expect(notice).toContainText('Paused');
  expect([await undo.boundingBox(), await dismiss.boundingBox()]).toEqual(before);
  await dismiss.click();
  await expect(notice).toHaveCount(0);
  await expect(page.getByRole('checkbox', { name: title })).toHaveCount(0);
});

/** Whether two boxes share any area. */
const overlap = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
type Box = { x: number; y: number; width: number; height: number };

/**
 * The notice keeps no empty room for "Paused" while it is not paused: Undo follows the title as
 * closely as Dismiss follows Undo. While it is paused, the word shows whole on the screen and
 * covers neither the title nor the buttons; on a desktop and on a phone.
 */
test('the undo notice leaves no empty gap for "Paused", and the word covers nothing when it shows', async ({
  page,
  urls,
  request,
}) => {
  const token = await passwordToken(request, urls, 'testuser');
  const titles = [runName('Oil the hinge'), runName('Fold the towels')];
  for (const title of titles) await createTodo(request, urls, token, title);
  await signIn(page, urls, 'testuser');
  await expect(todosShown(page)).toBeVisible();
  for (const [index, size] of [
    { width: 1280, height: 800 },
    { width: 360, height: 640 },
  ].entries()) {
    await page.setViewportSize(size);
    const title = titles[index] as string;
    await page.getByRole('button', { name: `Delete “${title}”` }).click();
    const notice = page.locator('.toast');
    const undo = notice.getByRole('button', { name: 'Undo' });
    const dismiss = notice.getByRole('button', { name: 'Dismiss' });
    await expect(undo).toBeVisible();
    await page.mouse.move(5, 5);
    await expect(notice).not.toContainText('Paused');
    const [text, undoBox, dismissBox] = (await Promise.all([
      notice.locator('.toast__text').boundingBox(),
      undo.boundingBox(),
      dismiss.boundingBox(),
    ])) as [Box, Box, Box];
    const buttonsApart = dismissBox.x - (undoBox.x + undoBox.width);
    const textToUndo = undoBox.x - (text.x + text.width);
    expect(textToUndo, `${size.width} px: room between the title and Undo`).toBeLessThanOrEqual(
      buttonsApart + 1,
    );

    await notice.locator('.toast__text').hover();
    const word = notice.getByText('Paused', { exact: true });
    await expect(word).toBeVisible();
    const paused = (await word.boundingBox()) as Box;
    for (const [name, box] of Object.entries({ title: text, Undo: undoBox, Dismiss: dismissBox }))
      expect(overlap(paused, box), `${size.width} px: "Paused" covers ${name}`).toBe(false);
    expect(paused.x).toBeGreaterThanOrEqual(0);
    expect(paused.y).toBeGreaterThanOrEqual(0);
    expect(paused.x + paused.width).toBeLessThanOrEqual(size.width);
    expect(paused.y + paused.height).toBeLessThanOrEqual(size.height);
    await dismiss.click();
    await expect(notice).toHaveCount(0);
    await expect(page.getByRole('checkbox', { name: title })).toHaveCount(0);
  }
});
