import type { APIRequestContext, Page } from '@playwright/test';
import {
  apiGet,
  confirmIdentity,
  expect,
  passwordToken,
  runName,
  signIn,
  skipWithoutChromium,
  test,
  type Urls,
} from './support/fixtures.js';

skipWithoutChromium();

/** A person of this run's own with the `user` role, their password their username. */
async function newPerson(request: APIRequestContext, urls: Urls, base: string): Promise<string> {
  const person = runName(base, '-');
  const admin = await passwordToken(request, urls, 'admin', { otp: true });
  const headers = { Authorization: `Bearer ${admin}` };
  const created = await request.post(`${urls.api}/admin/idp/users`, {
    headers,
    data: { username: person, password: person, temporaryPassword: false },
  });
  expect(created.status()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const granted = await request.put(`${urls.api}/admin/idp/users/${id}/roles/user`, { headers });
  expect(granted.status()).toBe(200);
  return person;
}

/** The Admin screen's People, searched for `person`; their row's temporary password opened. */
async function openPasswordForm(page: Page, urls: Urls, person: string) {
  await signIn(page, urls, 'admin');
  await page.getByRole('link', { name: 'Admin' }).click();
  await confirmIdentity(page, urls);
  await page.getByLabel('Search users').fill(person);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const people = page.getByRole('table', { name: 'People at the identity provider' });
  await expect(people.getByRole('row')).toHaveCount(2); // header + the person
  const toggle = people.getByRole('button', { name: `Temporary password for ${person}` });
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  const form = people.getByRole('form', { name: `Temporary password for ${person}` });
  const field = form.getByLabel(`Temporary password for ${person}`);
  // The field has the focus, and says what "temporary" means.
  await expect(field).toBeFocused();
  await expect(field).toHaveAccessibleDescription(/Temporary: must change at next sign-in/);
  return { toggle, form, field };
}

test('a temporary password set on the Admin screen ends the person’s sessions, and they must change it at their next sign-in', async ({
  page,
  browser,
  request,
  urls,
}) => {
  const person = await newPerson(request, urls, 'temp-pw');
  const theirToken = await passwordToken(request, urls, person);
  expect((await apiGet(request, urls, '/me', theirToken)).status()).toBe(200);

  const { toggle, form, field } = await openPasswordForm(page, urls, person);
  const endSessions = form.getByLabel('Also end their sessions');
  await expect(endSessions).toBeChecked();
  const temporary = `Temp-${person}`;
  await field.fill(temporary);
  await form.getByRole('button', { name: 'Set temporary password' }).click();
  const confirmBar = page.getByRole('alertdialog', { name: 'Confirm the change' });
  await expect(confirmBar).toContainText(`Set a temporary password for ${person}?`);
  await expect(confirmBar).toContainText('Their sessions are ended too');
  await confirmBar.getByRole('button', { name: 'Confirm' }).click();
  const result = page.getByRole('status').filter({ hasNotText: 'Loading' });
  await expect(result).toContainText('The temporary password was set, and every session');
  await expect(result).toContainText(`${person} must change it at their next sign-in.`);
  // The form closed, and the focus is back on the button that opened it.
  await expect(form).toHaveCount(0);
  await expect(toggle).toBeFocused();

  // Their current access token is refused at once.
  expect((await apiGet(request, urls, '/me', theirToken)).status()).toBe(401);

  // They sign in with the temporary password and must choose a new one first.
  const theirs = await browser.newContext();
  try {
    const them = await theirs.newPage();
    await them.goto(urls.web);
    await them.getByRole('button', { name: 'Sign in' }).click();
    await them.waitForURL((url) => url.href.startsWith(urls.issuer));
    await them.getByLabel('Username').fill(person);
    await them.getByLabel('Password').fill(temporary);
    await them.getByRole('button', { name: 'Sign In' }).click();
    await expect(them.getByRole('heading', { name: 'Update password' })).toBeVisible();
    await them.getByLabel('New password').fill(`Own-${person}`);
    await them.getByLabel('Confirm password').fill(`Own-${person}`);
    await them.getByRole('button', { name: 'Submit' }).click();
    await expect(them.getByTestId('user-name')).toHaveText(person, { timeout: 15_000 });
  } finally {
    await theirs.close();
  }
});

test('a temporary password the provider refuses keeps the form, with its words beside the field', async ({
  page,
  request,
  urls,
}) => {
  const person = await newPerson(request, urls, 'temp-pw-refused');
  // What the API answers when the provider's password policy refuses the password (Keycloak's
  // 400 `invalidPasswordMinSpecialCharsMessage`, in its words): the dev IdP has no such policy.
  const refusal =
    'Setting the password: Invalid password: must contain at least 1 special characters.';
  await page.route(/\/admin\/idp\/users\/[^/]+\/reset-password$/, (route) =>
    route.fulfill({
      status: 400,
      contentType: 'application/problem+json',
      body: JSON.stringify({
        title: 'Bad Request',
        status: 400,
        code: 'invalid_request',
        detail: refusal,
      }),
    }),
  );
  const { form, field } = await openPasswordForm(page, urls, person);
  await form.getByLabel('Also end their sessions').uncheck();
  await field.fill('plainpassword');
  await form.getByRole('button', { name: 'Set temporary password' }).click();
  const confirmBar = page.getByRole('alertdialog', { name: 'Confirm the change' });
  await expect(confirmBar).toContainText('Their sessions are left as they are');
  await confirmBar.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('status').filter({ hasText: refusal })).toBeVisible();
  // The form stays, the field marked and described by the refusal, with the focus in it.
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  await expect(field).toHaveAccessibleDescription(new RegExp(refusal.replace(/[.]/g, '\\.')));
  await expect(field).toBeFocused();
  await expect(field).toHaveValue('plainpassword');
});

test('a temporary password set whose sessions could not be ended says so in the API’s words, without “try again”', async ({
  page,
  request,
  urls,
}) => {
  const person = await newPerson(request, urls, 'temp-pw-502');
  // The API's 502 when the provider set the password but refused to end the sessions.
  const notEnded =
    "The temporary password was set, but the person's sessions could not be ended (Ending the sessions: the identity provider refused the API's service account): end their sessions, or until their tokens expire they keep working";
  await page.route(/\/admin\/idp\/users\/[^/]+\/reset-password$/, (route) =>
    route.fulfill({
      status: 502,
      contentType: 'application/problem+json',
      body: JSON.stringify({
        title: 'Bad Gateway',
        status: 502,
        code: 'idp_refused',
        detail: notEnded,
      }),
    }),
  );
  const { toggle, form, field } = await openPasswordForm(page, urls, person);
  await field.fill(`Temp-${person}`);
  await form.getByRole('button', { name: 'Set temporary password' }).click();
  await page
    .getByRole('alertdialog', { name: 'Confirm the change' })
    .getByRole('button', { name: 'Confirm' })
    .click();
  // Setting it again would not help: the words say what to do instead.
  await expect(
    page.getByRole('status').filter({ hasText: 'The temporary password was set' }),
  ).toHaveText(notEnded);
  // The password was set: the form closes, and the focus is back on its button.
  await expect(form).toHaveCount(0);
  await expect(toggle).toBeFocused();
});
