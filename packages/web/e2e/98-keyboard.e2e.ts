import { type Locator, type Page, request as playwrightRequest } from '@playwright/test';
import { agentSignIn } from './support/agent.js';
import {
  apiAnswer,
  apiGet,
  expect,
  signIn,
  skipWithoutChromium,
  test,
  todosShown,
} from './support/fixtures.js';

skipWithoutChromium();

// Named 98-: runs after every scenario that saves a README screenshot or counts another
// person's lists, so the people, lists and todos made here show in none of them.

/**
 * Keyboard only: after signing in, nothing here clicks. Each control is reached with Tab (or
 * Shift+Tab) and used with Enter, Space or Escape, and every dialog or confirmation hands the
 * focus back to a sensible place when it goes.
 */

/** Presses Tab (or Shift+Tab) until `target` has the focus; fails when it is never reached. */
async function tabTo(page: Page, target: Locator, { back = false, max = 60 } = {}): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((element) => element === document.activeElement)) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`${target} was not reached with ${back ? 'Shift+Tab' : 'Tab'}`);
}

test('a todo is added, completed, deleted, restored and deleted for good with the keyboard alone', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'testuser');
  // From the top of the page: the skip link comes first and leads to the content.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('#main')).toBeFocused();

  const newTodo = page.getByLabel('New todo');
  await tabTo(page, newTodo);
  await page.keyboard.type('Renew the passport');
  await page.keyboard.press('Enter');
  const check = page.getByRole('checkbox', { name: 'Renew the passport' });
  await expect(check).toBeEnabled();
  // The field keeps the focus for the next todo.
  await expect(newTodo).toBeFocused();

  await tabTo(page, check);
  // Checked at once (optimistically); the delete below goes with If-Match on the version the
  // page holds, which is the toggle's only once its PATCH was answered: wait for that answer.
  const toggled = apiAnswer(page, urls, 'PATCH', '/todos/');
  await page.keyboard.press('Space');
  await expect(check).toBeChecked();
  expect(await toggled).toBe(200);

  // Edit: Enter opens the fields with the focus in the title, Escape closes them and the focus
  // is back on Edit.
  const edit = page.getByRole('button', { name: 'Edit “Renew the passport”' });
  await tabTo(page, edit);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('textbox', { name: /Title/ })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(edit).toBeFocused();

  const remove = page.getByRole('button', { name: 'Delete “Renew the passport”' });
  await tabTo(page, remove);
  await page.keyboard.press('Enter');
  await expect(check).toHaveCount(0);
  // The deleted row took the focus with it: Undo has it now, and brings the todo back.
  const undo = page.getByRole('button', { name: 'Undo' });
  await expect(undo).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(check).toBeFocused();
  await expect(check).toBeChecked();

  await tabTo(page, remove);
  await page.keyboard.press('Enter');
  await expect(undo).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Dismiss', exact: true })).toBeFocused();
  const deleted = apiAnswer(page, urls, 'DELETE', '/todos/');
  await page.keyboard.press('Enter');
  // Sent: the focus goes to the list's heading rather than being dropped on the page.
  await expect(page.locator('#todos-title')).toBeFocused();
  expect(await deleted).toBe(204);
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(todosShown(page)).toBeVisible();
  await expect(page.getByRole('checkbox', { name: 'Renew the passport' })).toHaveCount(0);
});

test('the sharing dialog, renaming and deleting a list open and close with the keyboard, and the focus comes back', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'carol');
  const newList = page.getByLabel('New list name');
  await tabTo(page, newList);
  await page.keyboard.type('Garden');
  await page.keyboard.press('Enter');
  const head = page.locator('.list-head');
  await expect(head.getByRole('heading', { name: 'Garden' })).toBeVisible();

  // Share: a modal dialog; the focus starts inside, Escape closes it and the focus is back on
  // Share; so does Done.
  const share = head.getByRole('button', { name: 'Share' });
  await tabTo(page, share);
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Share “Garden”' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Username or email')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(share).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dialog).toBeVisible();
  await tabTo(page, dialog.getByRole('button', { name: 'Done' }));
  await page.keyboard.press('Enter');
  await expect(dialog).toHaveCount(0);
  await expect(share).toBeFocused();

  // Rename: the focus goes to the name field; Escape cancels and returns it to Rename; Enter
  // saves and leaves it on the renamed heading.
  const rename = head.getByRole('button', { name: 'Rename' });
  await tabTo(page, rename, { back: true });
  await page.keyboard.press('Enter');
  const field = page.getByLabel('List name', { exact: true });
  await expect(field).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(field).toHaveCount(0);
  await expect(rename).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(field).toBeFocused();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('Garden (spring)');
  await page.keyboard.press('Enter');
  const renamed = head.getByRole('heading', { name: 'Garden (spring)' });
  await expect(renamed).toBeFocused();

  // Delete list: the confirmation takes the focus on its safe answer; Escape (or Keep it)
  // closes it with the focus back on Delete list.
  const deleteList = head.getByRole('button', { name: 'Delete list' });
  await tabTo(page, deleteList);
  await page.keyboard.press('Enter');
  const confirm = page.getByRole('alertdialog', { name: 'Delete this list?' });
  await expect(confirm.getByRole('button', { name: 'Keep it' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(confirm).toHaveCount(0);
  await expect(deleteList).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(confirm.getByRole('button', { name: 'Keep it' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(confirm).toHaveCount(0);
  await expect(deleteList).toBeFocused();
  await page.keyboard.press('Enter');
  await tabTo(page, confirm.getByRole('button', { name: 'Delete', exact: true }), { back: true });
  await page.keyboard.press('Enter');
  await expect(head.getByRole('heading', { name: 'Garden (spring)' })).toHaveCount(0);
  // The list is gone with its controls: the focus is on the heading of the list shown now.
  await expect(page.locator('#todos-title')).toBeFocused();
});

/** WCAG relative luminance of an `rgb(…)` colour (WCAG 2.1, "relative luminance"). */
function luminance(color: string): number {
  const [r, g, b] = (color.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number) as [
    number,
    number,
    number,
  ];
  const linear = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

test('the keyboard focus is drawn in a colour that stands out 3:1 from what surrounds it, light and dark', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'testuser');
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    // From the top of the page, in the order Tab reaches them.
    await page.reload();
    await expect(page.getByLabel('New todo')).toBeVisible();
    for (const target of [
      page.getByRole('link', { name: 'Skip to content' }),
      page.getByRole('link', { name: 'Account' }),
      page.getByRole('button', { name: 'Sign out' }),
      page.getByRole('button', { name: 'Open', exact: true }),
      page.getByLabel('New todo'),
    ]) {
      await tabTo(page, target);
      const ring = await target.evaluate((element) => {
        const style = getComputedStyle(element);
        // What the ring is drawn against: the first opaque background around the element.
        let around: Element | null = element.parentElement;
        let background = 'rgb(255, 255, 255)';
        while (around) {
          const color = getComputedStyle(around).backgroundColor;
          if (!/rgba\(.*,\s*0\)$|transparent/.test(color)) {
            background = color;
            break;
          }
          around = around.parentElement;
        }
        if (!around) background = getComputedStyle(document.documentElement).backgroundColor;
        return {
          style: style.outlineStyle,
          width: Number.parseFloat(style.outlineWidth),
          color: style.outlineColor,
          background,
        };
      });
      const name = `${colorScheme}: ${target}`;
      expect(ring.style, name).not.toBe('none');
      expect(ring.width, name).toBeGreaterThanOrEqual(2);
      // WCAG 1.4.11 (non-text contrast) applied to the focus indicator.
      expect(contrast(ring.color, ring.background), name).toBeGreaterThanOrEqual(3);
    }
  }
});

test('ending an agent is asked and answered with the keyboard, and the focus comes back', async ({
  page,
  urls,
  request,
}) => {
  const agentHttp = await playwrightRequest.newContext();
  const agent = await agentSignIn(agentHttp, urls, 'carol', 'Keyboard assistant');
  await agentHttp.dispose();
  // It shows on the account screen once it has acted.
  expect((await apiGet(request, urls, '/todos/', agent.accessToken)).status()).toBe(200);
  await signIn(page, urls, 'carol');
  await page.goto(`${urls.web}/account`);
  const revoke = page.getByRole('button', { name: `Revoke ${agent.clientId}` });
  await tabTo(page, revoke);
  await page.keyboard.press('Enter');
  const confirm = page.getByRole('alertdialog', { name: 'Confirm ending the agent' });
  // Cancel, the safe answer, has the focus; Escape closes the question, the focus on Revoke.
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(confirm).toHaveCount(0);
  await expect(revoke).toBeFocused();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Shift+Tab');
  await expect(confirm.getByRole('button', { name: 'End access' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('status')).toContainText('can no longer act for you');
  // The agent's row is gone with its Revoke: the focus is on the screen's heading.
  await expect(page.getByRole('heading', { name: 'Your account' })).toBeFocused();
});
