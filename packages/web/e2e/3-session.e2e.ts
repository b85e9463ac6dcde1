import {
  accessToken,
  apiGet,
  expect,
  screenshot,
  signIn,
  skipWithoutChromium,
  test,
  urlsOf,
} from './support/fixtures.js';
import { SHORT_ACCESS_TOKEN_LIFESPAN, type Stack, startStack } from './support/stack.js';

skipWithoutChromium();

test('sign-out returns to the signed-out page, Back reveals nothing, the old token is revoked', async ({
  page,
  urls,
  request,
}) => {
  await signIn(page, urls, 'alice');
  await page.getByLabel('New todo').fill('Visible only while signed in');
  await page.getByLabel('New todo').press('Enter');
  await expect(page.getByText('Visible only while signed in')).toBeVisible();
  await expect(page.getByRole('checkbox', { name: 'Visible only while signed in' })).toBeEnabled();
  const token = await accessToken(page);
  expect((await apiGet(request, urls, '/todos/', token)).status()).toBe(200);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${urls.web}/signed-out`);
  await expect(page.getByRole('heading', { name: 'You have signed out' })).toBeVisible();
  await screenshot(page, 'signed-out');

  await page.goBack();
  await expect(page.getByRole('button', { name: /Sign in/ })).toBeVisible();
  await expect(page.getByText('Visible only while signed in')).toHaveCount(0);
  await expect(page.getByTestId('user-name')).toHaveCount(0);

  // The IdP ended the session and told the API over back-channel logout: the unexpired token
  // the page held is refused (OpenID Connect Back-Channel Logout 1.0).
  const started = Date.now();
  let response = await apiGet(request, urls, '/todos/', token);
  while (response.status() !== 401 && Date.now() - started < 2000) {
    await new Promise((r) => setTimeout(r, 100));
    response = await apiGet(request, urls, '/todos/', token);
  }
  expect(response.status()).toBe(401);
  expect(response.headers()['www-authenticate']).toContain('error="invalid_token"');
  expect(((await response.json()) as { code?: string }).code).toBe('token_revoked');
});

test.describe('with 10-second access tokens (SHORT_ACCESS_TOKEN_LIFESPAN)', () => {
  let stack: Stack;
  test.beforeAll(async () => {
    stack = await startStack({ accessTokenLifespan: SHORT_ACCESS_TOKEN_LIFESPAN });
  });
  test.afterAll(async () => {
    await stack?.close();
  });

  test('a session outlasting the access-token lifespan keeps working through silent renewal', async ({
    page,
  }) => {
    const urls = urlsOf(stack);
    const refreshes: string[] = [];
    page.on('request', (req) => {
      if (req.method() === 'POST' && req.url().startsWith(urls.issuer)) {
        const grant = new URLSearchParams(req.postData() ?? '').get('grant_type');
        if (grant) refreshes.push(grant);
      }
    });
    const refused: string[] = [];
    page.on('response', (res) => {
      if (res.url().startsWith(urls.api) && res.status() === 401) refused.push(res.url());
    });
    await signIn(page, urls, 'testuser');
    const first = await accessToken(page);
    await page.getByLabel('New todo').fill('Before the token expires');
    await page.getByLabel('New todo').press('Enter');
    await expect(page.getByText('Before the token expires')).toBeVisible();

    // Outlast the first token, then keep working.
    await page.waitForTimeout((SHORT_ACCESS_TOKEN_LIFESPAN + 2) * 1000);
    await page.getByLabel('New todo').fill('After the first token expired');
    // The todo shows at once (optimistically) while its POST may still wait for the renewed
    // token; reloading before the API answered would drop the request, and the page rightly
    // puts the text back into the field instead. So the reload waits for the API's 201.
    const created = page.waitForResponse(
      (res) => res.request().method() === 'POST' && res.url().startsWith(`${urls.api}/todos`),
    );
    await page.getByLabel('New todo').press('Enter');
    await expect(page.getByText('After the first token expired')).toBeVisible();
    expect((await created).status()).toBe(201);
    await page.reload();
    // Exact: when the reload came before the page took in the 201, the page also says (rightly)
    // that the todo was saved before the reload.
    await expect(page.getByText('After the first token expired', { exact: true })).toBeVisible();
    expect(new URL(page.url()).origin).toBe(new URL(urls.web).origin);
    expect(await accessToken(page)).not.toBe(first);
    expect(refreshes).toContain('refresh_token');
    // Renewed ahead of expiry: the API never had to refuse an expired token.
    expect(refused).toEqual([]);
  });
});
