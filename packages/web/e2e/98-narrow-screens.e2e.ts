import type { Locator, Page } from '@playwright/test';
import { listAgentToo } from './support/agent.js';
import {
  apiGet,
  confirmIdentity,
  expect,
  passwordToken,
  personIn,
  signIn,
  skipWithoutChromium,
  test,
} from './support/fixtures.js';

skipWithoutChromium();

// Named 98-: runs after every scenario that saves a README screenshot or counts another
// person's lists, so the people, lists and todos made here show in none of them.

/**
 * A 375 px phone: the screens whose ids, usernames and emails can be one long word (the Admin
 * screen's identity-provider people and agent grant ends, the sharing dialog, the account
 * screen) are never wider than the screen, and every control in them is on it.
 */
const WIDTH = 375;

/** The page's own width: more than the screen means the person has to scroll sideways. */
async function expectNoWiderThanScreen(page: Page, where: string): Promise<void> {
  const { width, wide } = await page.evaluate((screen) => {
    // The outermost elements that reach past the screen, to name in a failure.
    const wide: string[] = [];
    const past = (element: Element) => element.getBoundingClientRect().right > screen + 0.5;
    const clipped = (element: Element) => {
      for (let up = element.parentElement; up; up = up.parentElement) {
        if (getComputedStyle(up).overflowX !== 'visible' && !past(up)) return true;
      }
      return false;
    };
    for (const element of document.body.querySelectorAll('*')) {
      const parent = element.parentElement;
      if (!past(element) || (parent && past(parent)) || clipped(element)) continue;
      wide.push(`${element.tagName.toLowerCase()}.${element.className}`);
    }
    return { width: document.documentElement.scrollWidth, wide };
  }, WIDTH);
  expect(width, `${where}: page width (${wide.join(', ')})`).toBeLessThanOrEqual(WIDTH);
}

/** Every button, field and link inside `within` lies within the screen's width. */
async function expectControlsOnScreen(within: Locator, where: string): Promise<void> {
  const controls = within.locator('button, input, select, a[href], textarea');
  const count = await controls.count();
  expect(count, `${where}: controls`).toBeGreaterThan(0);
  for (let i = 0; i < count; i++) {
    const control = controls.nth(i);
    if (!(await control.isVisible())) continue;
    const box = await control.boundingBox();
    if (!box) continue;
    const name = await control.evaluate(
      (element) =>
        element.getAttribute('aria-label') ??
        ((element as HTMLInputElement).labels?.[0] ?? element).textContent?.trim(),
    );
    expect(box.x, `${where}: ${name} starts on screen`).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width, `${where}: ${name} ends on screen`).toBeLessThanOrEqual(WIDTH);
  }
}

/** `text` is shown on more than one line inside a box no wider than the screen. */
async function expectWrapped(text: Locator, where: string): Promise<void> {
  const box = await text.boundingBox();
  if (!box) throw new Error(`${where}: not shown`);
  expect(box.x + box.width, `${where}: ends on screen`).toBeLessThanOrEqual(WIDTH);
  const lineHeight = await text.evaluate((element) =>
    Number.parseFloat(getComputedStyle(element).lineHeight),
  );
  expect(box.height, `${where}: wraps`).toBeGreaterThan(lineHeight * 1.5);
}

/** People of this run: one word each, as long as the API takes (usernames up to 100 characters). */
function longPeople() {
  const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  return {
    suffix,
    longName: `longname${'0123456789'.repeat(8)}${suffix}`.slice(0, 100),
    otherName: `othername${'9876543210'.repeat(8)}${suffix}`.slice(0, 100),
    longEmail: `${'mailbox'.repeat(8)}${suffix}@${'subdomain'.repeat(6)}.example.com`,
  };
}
const longClientId = `agent${'x7Kq9Zr2'.repeat(16)}`;

test('at 375 px the Admin people and grant-end tabs, the sharing dialog and the account screen fit the screen', async ({
  page,
  urls,
  request,
  browser,
}) => {
  const { suffix, longName, otherName, longEmail } = longPeople();
  await page.setViewportSize({ width: WIDTH, height: 800 });
  await signIn(page, urls, 'admin');
  await page.goto(`${urls.web}/admin/users`);
  await confirmIdentity(page, urls);
  // This run's people alone: unsearched, the list is a page of up to 100 people, as many as the
  // scenarios before this one created at this worker's provider, each with their roles read,
  // and read again after every change made here.
  await page.getByLabel('Search users').fill(suffix);
  await page.getByRole('button', { name: 'Search', exact: true }).click();

  // Two people with long one-word usernames, created at the identity provider on this screen.
  const form = page.getByRole('form', { name: 'Create a user' });
  await expect(form).toBeVisible();
  await expectControlsOnScreen(form, 'create form');
  for (const [username, email] of [
    [longName, longEmail],
    [otherName, ''],
  ] as const) {
    await form.getByLabel('Username').fill(username);
    await form.getByLabel('Email').fill(email);
    await form.getByLabel('Initial password').fill(username);
    await form.getByLabel('Must be changed at first sign-in').uncheck();
    await form.getByRole('button', { name: 'Create user' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Confirm the change' });
    await expectNoWiderThanScreen(page, 'create confirmation');
    await confirm.getByRole('button', { name: 'Confirm' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Created' })).toHaveText(
      `Created ${username}.`,
    );
    await expectNoWiderThanScreen(page, 'created');
  }
  const people = page.getByRole('table', { name: 'People at the identity provider' });
  const longRow = people.getByRole('row').filter({ hasText: longName });
  await expect(longRow).toBeVisible();
  await expectNoWiderThanScreen(page, 'IdP users');
  await expectWrapped(longRow.getByText(longName, { exact: true }), 'IdP users: username');
  await expectWrapped(longRow.getByText(longEmail, { exact: true }), 'IdP users: email');
  await expectControlsOnScreen(longRow, 'IdP users: row');

  // Both may use the app (the realm role `user`) and have used the API, so sharing and the
  // admin screens know them by name.
  for (const name of [longName, otherName]) {
    await people.getByRole('checkbox', { name: `user for ${name}`, exact: true }).click();
    await page
      .getByRole('alertdialog', { name: 'Confirm the change' })
      .getByRole('button', { name: 'Confirm' })
      .click();
    await expect(page.getByRole('status').filter({ hasText: 'now has' })).toHaveText(
      `${name} now has user (from their next token).`,
    );
    await expectNoWiderThanScreen(page, 'role granted');
    const token = await passwordToken(request, urls, name);
    expect((await apiGet(request, urls, '/lists/', token)).status()).toBe(200);
  }

  // Agent grant ends: a hold for the long-named person's agent with a long client id, and one
  // for a person the API does not know (shown by subject id). Only the identity provider's
  // refusal makes a real hold (e2e/11-agent-grant-ends.e2e.ts): this screen is about layout.
  const me = (await (
    await apiGet(request, urls, '/me', await passwordToken(request, urls, longName))
  ).json()) as { sub: string; issuer?: string };
  const now = new Date().toISOString();
  const hold = (sub: string) => ({
    issuer: urls.issuer,
    sub,
    clientId: longClientId,
    requestedAt: now,
    attempts: 3,
    attemptedAt: now,
    lastError: `The identity provider answered 403: ${'insufficient_scope'.repeat(8)}`,
  });
  await page.route(`${urls.api}/admin/agents/grant-ends?*`, (route) =>
    route.fulfill({
      json: { items: [hold(me.sub), hold(`unknown-${'f'.repeat(60)}`)], nextCursor: null },
    }),
  );
  // Loaded afresh: the people list this page read before did not have them yet.
  await page.goto(`${urls.web}/admin/agents`);
  const holds = page.getByTestId('grant-end-row');
  await expect(holds).toHaveCount(2);
  await expect(holds.first().getByTestId('grant-end-person')).toHaveText(longName);
  await expectNoWiderThanScreen(page, 'grant ends');
  for (const row of await holds.all()) {
    await expectWrapped(row.getByTestId('grant-end-person'), 'grant ends: person');
    await expectWrapped(row.locator('[data-label="Agent"]'), 'grant ends: agent');
    await expectControlsOnScreen(row, 'grant ends: row');
  }

  // The long-named person: the header, the sharing dialog and the account screen.
  const person = await personIn(browser, urls, longName);
  await person.setViewportSize({ width: WIDTH, height: 800 });
  await expectNoWiderThanScreen(person, 'todos');
  await expectWrapped(person.getByTestId('user-name'), 'header: username');
  // The avatar beside it stays round.
  const avatar = await person.locator('header .avatar').boundingBox();
  expect(avatar?.width, 'header: avatar').toBe(avatar?.height);
  await expectControlsOnScreen(person.locator('header'), 'header');

  const listName = `Plans${'x'.repeat(60)}`;
  await person.getByLabel('New list name').fill(listName);
  await person.getByRole('button', { name: 'Create list' }).click();
  const head = person.locator('.list-head');
  // The new list is the one shown (and shared) once the API has made it.
  await expect(head.getByRole('heading', { name: listName })).toBeVisible();
  await head.getByRole('button', { name: 'Share' }).click();
  const dialog = person.getByRole('dialog', { name: `Share “${listName}”` });
  await dialog.getByLabel('Username or email').fill(otherName);
  await dialog.getByRole('button', { name: 'Share', exact: true }).click();
  await expect(dialog.getByLabel(`Role of ${otherName}`)).toHaveValue('editor');
  await expectNoWiderThanScreen(person, 'share dialog');
  const members = dialog.getByRole('list', { name: 'Members' });
  await expectWrapped(members.getByText(longName, { exact: true }), 'share: owner');
  await expectWrapped(members.getByText(otherName, { exact: true }), 'share: member');
  await expectControlsOnScreen(dialog, 'share dialog');
  await dialog.getByRole('button', { name: 'Done' }).click();

  // The account screen, with an agent whose client id is one long word (the provider picks
  // client ids; the list carries one here).
  await listAgentToo(person, urls, longClientId);
  await person.getByTestId('account-link').click();
  const agentRow = person.getByTestId('agent-row').filter({ hasText: longClientId });
  await expect(agentRow).toBeVisible();
  await expectNoWiderThanScreen(person, 'account');
  await expectWrapped(agentRow.getByText(longClientId, { exact: true }), 'account: agent');
  await expectControlsOnScreen(person.locator('main'), 'account');
  await expectControlsOnScreen(person.locator('header'), 'account: header');
  await person.context().close();
});

/** Whether the text of `locator` lies on one line (not broken inside a word to fit). */
async function onOneLine(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => {
    const range = document.createRange();
    range.selectNodeContents(element);
    const tops = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
    return tops.size === 1;
  });
}

test('at 320 px (1280 px at 400 % zoom, WCAG 1.4.10) the header keeps a short username and its role whole', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'testuser');
  await page.setViewportSize({ width: 320, height: 700 });
  const header = page.locator('header');
  await expect(header.getByTestId('user-department')).toBeVisible();
  expect(await onOneLine(header.getByTestId('user-name')), 'username on one line').toBe(true);
  for (const chip of await header.locator('.chip').all())
    expect(await onOneLine(chip), `role ${await chip.textContent()} on one line`).toBe(true);
  const department = header.getByTestId('user-department');
  expect(await onOneLine(department), 'department on one line').toBe(true);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width, 'page width').toBeLessThanOrEqual(320);
  for (const control of await header.getByRole('button').all()) {
    const box = await control.boundingBox();
    expect((box?.x ?? 0) + (box?.width ?? 0), 'header control on screen').toBeLessThanOrEqual(320);
  }
});
