import type { Locator, Page } from '@playwright/test';
import {
  createTodo,
  expect,
  passwordToken,
  signIn,
  skipWithoutChromium,
  test,
  type Urls,
} from './support/fixtures.js';

skipWithoutChromium();

// Named 98-: runs after every scenario that saves a README screenshot or counts someone's todos.

/**
 * The undo window (5 s) waits while the notice has the keyboard focus (WCAG 2.2 SC 2.2.1): Undo
 * takes the focus when the notice shows, and Chromium draws it as keyboard focus
 * (`:focus-visible`) only when Delete was pressed with Enter or Space, not clicked. Escape in
 * the notice sends the delete at once. The window is timed on the page's own clock, stopped and
 * moved by the test (`stopClock`), so no test waits in real time or depends on the machine's
 * speed.
 */

const UNDO_WINDOW_MS = 5000;

/** The times (ms since the page's start) at which the page sent a DELETE of a todo. */
function deletesSent(page: Page, urls: Urls): number[] {
  const sent: number[] = [];
  page.on('request', (request) => {
    if (request.method() === 'DELETE' && request.url().startsWith(`${urls.api}/todos/`))
      sent.push(Date.now());
  });
  return sent;
}

/** Signs `username` in with fresh todos `titles` (the last is shown first, newest first). */
async function withTodos(page: Page, urls: Urls, username: string, titles: string[]) {
  const token = await passwordToken(page.request, urls, username);
  for (const title of titles) await createTodo(page.request, urls, token, title);
  await signIn(page, urls, username);
  for (const title of titles)
    await expect(page.getByRole('checkbox', { name: title })).toBeEnabled();
}

/** Puts the focus on `target` from the keyboard (Tab), as a keyboard user gets there. */
async function tabTo(page: Page, target: Locator, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((element) => element === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${target} was not reached with Tab`);
}

/**
 * From here on the page's clock stands still (timers, Date) until the test moves it with
 * `page.clock.runFor`: the undo window is measured in the page's time, never in real time, so
 * a loaded machine cannot make it run out early or late. Jumps a little ahead to pause.
 */
async function stopClock(page: Page): Promise<void> {
  await page.clock.install();
  for (;;) {
    const now = await page.evaluate(() => Date.now());
    try {
      await page.clock.pauseAt(now + 1000);
      return;
    } catch (error) {
      // More than the jump went by meanwhile (a loaded machine): read the clock again.
      if (!String(error).includes('to the past')) throw error;
    }
  }
}

/** Lets the page finish what the clock set off: React renders in a task of its own after it. */
function settle(page: Page): Promise<void> {
  return page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve();
        channel.port2.postMessage(null);
      }),
  );
}

const keyboardFocused = (locator: Locator) =>
  locator.evaluate(
    (element) => element === document.activeElement && element.matches(':focus-visible'),
  );

test('deleted with Enter or Space, the todo waits well past the undo window while the notice has the focus, and Undo restores it', async ({
  page,
  urls,
}) => {
  const title = `Keyboard wait ${Date.now()}`;
  await withTodos(page, urls, 'testuser', [title]);
  const sent = deletesSent(page, urls);
  const check = page.getByRole('checkbox', { name: title });
  const undo = page.getByRole('button', { name: 'Undo' });
  const notice = page.locator('.toast');

  await stopClock(page);
  for (const key of ['Enter', 'Space']) {
    await tabTo(page, page.getByRole('button', { name: `Delete “${title}”` }));
    await page.keyboard.press(key);
    await expect(check).toHaveCount(0);
    await expect(undo).toBeFocused();
    expect(await keyboardFocused(undo), `Undo after ${key}`).toBe(true);
    await expect(notice).toContainText('Paused');
    await expect(page.getByTestId('undo-paused-announcement')).toHaveText(
      'Paused: the todo is deleted once you leave this notice.',
    );
    // Well past the window, in the page's time.
    await page.clock.runFor(UNDO_WINDOW_MS + 1000);
    await settle(page);
    expect(sent, `after ${key}`).toEqual([]);
    await expect(undo).toBeFocused();
    await page.keyboard.press('Enter');
    // The focus goes to the todo that came back in the next frame.
    await page.clock.runFor(100);
    await expect(check).toBeFocused();
  }
  await page.clock.resume();
  await page.reload();
  await expect(page.getByRole('checkbox', { name: title })).toBeEnabled();
  expect(sent).toEqual([]);
});

test('when the focus leaves the notice, the delete is sent after the time that was left', async ({
  page,
  urls,
}) => {
  const [older, title] = [`Stays ${Date.now()}`, `Tab away ${Date.now()}`];
  await withTodos(page, urls, 'testuser', [older, title]);
  const sent = deletesSent(page, urls);
  await stopClock(page);
  await tabTo(page, page.getByRole('button', { name: `Delete “${title}”` }));
  await page.keyboard.press('Enter');
  const undo = page.getByRole('button', { name: 'Undo' });
  await expect(undo).toBeFocused();
  await page.clock.runFor(UNDO_WINDOW_MS + 1000);
  await settle(page);
  expect(sent).toEqual([]);
  await expect(undo).toBeFocused();

  // Back into the list: the notice no longer says it waits, and the window runs on.
  await page.keyboard.press('Shift+Tab');
  await expect(undo).not.toBeFocused();
  // The notice learns the focus has gone once it has landed (a timer of 0 ms).
  await page.clock.runFor(1);
  await expect(page.locator('.toast')).not.toContainText('Paused');
  // The window was held from the moment the notice showed: all of it was left.
  await page.clock.runFor(UNDO_WINDOW_MS - 100);
  await settle(page);
  await expect(undo).toHaveCount(1);
  expect(sent).toEqual([]);
  await page.clock.runFor(100);
  await expect.poll(() => sent.length).toBe(1);
  await expect(undo).toHaveCount(0);
  await page.clock.resume();
  await page.reload();
  await expect(page.getByRole('checkbox', { name: older })).toBeEnabled();
  await expect(page.getByRole('checkbox', { name: title })).toHaveCount(0);
});

test('Escape in the notice sends the delete at once and the focus lands on the todo in its place', async ({
  page,
  urls,
}) => {
  const [next, title] = [`Next in line ${Date.now()}`, `Escape now ${Date.now()}`];
  await withTodos(page, urls, 'testuser', [next, title]);
  const sent = deletesSent(page, urls);
  await stopClock(page);
  await tabTo(page, page.getByRole('button', { name: `Delete “${title}”` }));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'Undo' })).toBeFocused();
  // The page's clock stands still: the delete goes without the window running out.
  await page.keyboard.press('Escape');
  const nextCheck = page.getByRole('checkbox', { name: next });
  await expect(nextCheck).toBeFocused();
  expect(await keyboardFocused(nextCheck)).toBe(true);
  await expect(page.getByRole('button', { name: 'Undo' })).toHaveCount(0);
  await expect.poll(() => sent.length).toBe(1);
  await page.clock.resume();
  await page.reload();
  await expect(page.getByRole('checkbox', { name: next })).toBeEnabled();
  await expect(page.getByRole('checkbox', { name: title })).toHaveCount(0);
});

test('deleted with a click, the todo is deleted when the undo window ends, as before', async ({
  page,
  urls,
}) => {
  const title = `Clicked away ${Date.now()}`;
  await withTodos(page, urls, 'testuser', [title]);
  const sent = deletesSent(page, urls);
  await stopClock(page);
  await page.getByRole('button', { name: `Delete “${title}”` }).click();
  // The pointer away from the notice, which would hold the window.
  await page.mouse.move(0, 0);
  const undo = page.getByRole('button', { name: 'Undo' });
  // Undo has the focus, but not keyboard focus: the window runs.
  await expect(undo).toBeFocused();
  expect(await keyboardFocused(undo)).toBe(false);
  await expect(page.locator('.toast')).not.toContainText('Paused');
  await page.clock.runFor(UNDO_WINDOW_MS - 100);
  await settle(page);
  await expect(undo).toHaveCount(1);
  expect(sent).toEqual([]);
  await page.clock.runFor(100);
  await expect.poll(() => sent.length).toBe(1);
  await expect(undo).toHaveCount(0);
});

test('at 320 px the notice of a delete with a long title stays on the screen, Undo within reach of a tap', async ({
  page,
  urls,
}) => {
  const title = `Renew${'x'.repeat(150)}${Date.now().toString(36)}`;
  await withTodos(page, urls, 'testuser', [title]);
  await page.setViewportSize({ width: 320, height: 640 });
  await page.getByRole('button', { name: `Delete “${title}”` }).click();
  // The notice is fixed to the screen: no scrolling reaches a part of it that is off it.
  const toast = page.locator('.toast');
  for (const part of [toast, toast.getByRole('button', { name: 'Undo' })]) {
    const box = await part.boundingBox();
    expect(box?.x, 'starts on screen').toBeGreaterThanOrEqual(0);
    expect((box?.x ?? 0) + (box?.width ?? 0), 'ends on screen').toBeLessThanOrEqual(320);
  }
  await expect(toast).toContainText('Deleted');
  await toast.getByRole('button', { name: 'Undo' }).click();
  await expect(page.getByRole('checkbox', { name: title })).toBeVisible();
});
