import type { Page } from '@playwright/test';
import {
  accessToken,
  confirmIdentity,
  createTodo,
  expect,
  passwordToken,
  signIn,
  skipWithoutChromium,
  test,
  urlsOf,
} from './support/fixtures.js';
import { nextAdminCode } from './support/otp.js';
import { type Stack, startStack } from './support/stack.js';

skipWithoutChromium();

/** The claims of a JWT access token (the test reads what the API will read). */
function claimsOf(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

test('admin signs in with a password, is asked to confirm on Admin, enters the code and lands on Admin with the audit log', async ({
  page,
  shortTokenUrls: urls,
  request,
}) => {
  // Something for the audit log to show.
  await createTodo(request, urls, await passwordToken(request, urls, 'alice'), 'Audit me');
  await signIn(page, urls, 'admin');
  expect(claimsOf(await accessToken(page))).toMatchObject({ acr: 'pwd', amr: ['pwd'] });

  await page.getByRole('link', { name: 'Admin' }).click();
  await expect(page.getByRole('heading', { name: 'Confirm it’s you' })).toBeVisible();
  await expect(page.getByText(/one-time code from your authenticator app/)).toBeVisible();
  await expect(page.getByText(/within the last 15 minutes/)).toBeVisible();
  await confirmIdentity(page, urls, { screenshot: 'step-up-confirm' });

  await expect(page).toHaveURL(`${urls.web}/admin`);
  await expect(page.getByRole('heading', { name: 'Admin' })).toBeVisible();
  await page.getByRole('tab', { name: 'Audit log' }).click();
  await expect(page.getByRole('table', { name: 'Audit log' })).toContainText('todo.create');
  const stepped = await accessToken(page);
  const claims = claimsOf(stepped);
  expect(claims).toMatchObject({ acr: 'mfa', amr: ['pwd', 'otp'] });

  // Silent renewal (refresh token; tokens live 10 s here) keeps the stronger sign-in: the
  // renewed token is still at mfa with the step-up's auth_time, and Admin asks nothing again.
  await expect.poll(() => accessToken(page), { timeout: 30_000 }).not.toBe(stepped);
  expect(claimsOf(await accessToken(page))).toMatchObject({
    acr: 'mfa',
    amr: ['pwd', 'otp'],
    auth_time: claims.auth_time,
  });
  await page.getByRole('tab', { name: 'All todos' }).click();
  await expect(page.getByRole('table', { name: 'All todos' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Confirm it’s you' })).toHaveCount(0);
});

test.describe('a sign-in older than STEP_UP_MAX_AGE_SECONDS (10 s here)', () => {
  let stack: Stack;
  test.beforeAll(async () => {
    stack = await startStack({ apiEnv: { STEP_UP_MAX_AGE_SECONDS: '10' } });
  });
  test.afterAll(async () => {
    await stack?.close();
  });

  test('is asked again with max_age; the password and code bring back the typed form', async ({
    page,
  }) => {
    const urls = urlsOf(stack);
    await signIn(page, urls, 'admin');
    await page.getByRole('link', { name: 'Admin' }).click();
    await confirmIdentity(page, urls);
    const form = page.getByRole('form', { name: 'Create a user' });
    await form.getByLabel('Username').fill('draftperson');
    await form.getByLabel('Department').fill('sales');

    // The step-up grows older than 10 s; the screen's next requests are refused (max_age).
    // Waited for from the step-up's auth_time (a whole second past it, the claim being in whole
    // seconds), so the time the form took to fill is not waited for again.
    const { auth_time } = claimsOf(await accessToken(page));
    expect(typeof auth_time).toBe('number');
    await page.waitForTimeout(Math.max(0, (Number(auth_time) + 11) * 1000 - Date.now()));
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Confirm it’s you' })).toBeVisible();
    await expect(page.getByText(/within the last 10 seconds/)).toBeVisible();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.href.startsWith(urls.issuer));
    // max_age: the IdP asks for the password again (OpenID Connect Core §3.1.2.1), then the code.
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('admin');
    await page.getByRole('button', { name: 'Sign In' }).click();
    await page.getByLabel('One-time code').fill(await nextAdminCode(urls.issuer));
    await page.getByRole('button', { name: 'Sign In' }).click();
    await page.waitForURL(`${urls.web}/admin`);

    await expect(form.getByLabel('Username')).toHaveValue('draftperson');
    await expect(form.getByLabel('Department')).toHaveValue('sales');
    await form.getByRole('button', { name: 'Create user' }).click();
    const confirmBar = page.getByRole('alertdialog', { name: 'Confirm the change' });
    await confirmBar.getByRole('button', { name: 'Confirm' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Created' })).toHaveText(
      'Created draftperson.',
    );
  });
});

/** Counts the authorization requests the page sends to the IdP. */
function countAuthorizationRequests(page: Page, issuer: string): () => number {
  let count = 0;
  page.on('request', (request) => {
    if (request.url().startsWith(`${issuer}/protocol/openid-connect/auth`)) count++;
  });
  return () => count;
}

test.describe('a level the identity provider never issues (STEP_UP_ACR=hwk)', () => {
  let stack: Stack;
  test.beforeAll(async () => {
    stack = await startStack({
      apiEnv: { OIDC_ACR_LEVELS: 'pwd,mfa,hwk', STEP_UP_ACR: 'hwk' },
    });
  });
  test.afterAll(async () => {
    await stack?.close();
  });

  test('one round trip, then an explanation instead of a loop', async ({ page }) => {
    const urls = urlsOf(stack);
    await signIn(page, urls, 'admin');
    const authorizations = countAuthorizationRequests(page, urls.issuer);
    await page.getByRole('link', { name: 'Admin' }).click();
    await expect(page.getByRole('heading', { name: 'Confirm it’s you' })).toBeVisible();
    await expect(page.getByText(/the sign-in level “hwk”/)).toBeVisible();
    await page.getByRole('button', { name: 'Continue' }).click();

    // The IdP ignores a level it does not know (as Keycloak does) and answers at once.
    await expect(
      page.getByRole('heading', { name: 'Your sign-in is still not strong enough' }),
    ).toBeVisible({ timeout: 15_000 });
    await expect(page).toHaveURL(`${urls.web}/admin`);
    await expect(page.getByRole('alert').filter({ hasText: 'level “pwd”' })).toBeVisible();
    // Stays put: no further redirect to the IdP.
    await page.waitForTimeout(3_000);
    expect(authorizations()).toBe(1);
    await expect(page).toHaveURL(`${urls.web}/admin`);

    await page.getByRole('button', { name: 'Back to your todos' }).click();
    await expect(page).toHaveURL(`${urls.web}/`);
    await expect(page.getByLabel('New todo')).toBeVisible();
  });
});
