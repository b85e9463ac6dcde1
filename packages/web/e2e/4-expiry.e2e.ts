import {
  accessToken,
  apiAnswer,
  apiGet,
  expect,
  signIn,
  skipWithoutChromium,
  test,
} from './support/fixtures.js';

skipWithoutChromium();

test('an ended session sends the user to sign in again and keeps what they typed', async ({
  page,
  context,
  urls,
  request,
}) => {
  await signIn(page, urls, 'alice');
  const token = await accessToken(page);
  await page.getByLabel('New todo').fill('Typed before the session ended');

  // The same person signs out in another tab: the IdP session ends and the API is told.
  const other = await context.newPage();
  await other.goto(urls.web);
  await other.getByRole('button', { name: 'Sign in' }).click();
  await expect(other.getByTestId('user-name')).toHaveText('alice');
  await other.getByRole('button', { name: 'Sign out' }).click();
  await other.waitForURL(`${urls.web}/signed-out`);
  await expect
    .poll(async () => (await apiGet(request, urls, '/me', token)).status(), { timeout: 3000 })
    .toBe(401);

  // The first tab learns of it at once (it says so instead of failing on the next write), and
  // signing in again brings back the typed title.
  await expect(page.getByRole('heading', { name: 'You signed out in another tab' })).toBeVisible();
  await page.getByRole('button', { name: 'Sign in again' }).click();
  await page.waitForURL((url) => url.href.startsWith(urls.issuer));
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('alice');
  await page.getByRole('button', { name: 'Sign In' }).click();
  await expect(page.getByTestId('user-name')).toHaveText('alice');
  await expect(page.getByLabel('New todo')).toHaveValue('Typed before the session ended');
  const created = apiAnswer(page, urls, 'POST', '/todos');
  await page.getByLabel('New todo').press('Enter');
  await expect(page.getByText('Typed before the session ended')).toBeVisible();
  await expect(page.getByLabel('New todo')).toHaveValue('');
  expect(await created).toBe(201);
  await page.reload();
  // Exact: when the reload came before the page took in the 201, it also says the todo was saved.
  await expect(page.getByText('Typed before the session ended', { exact: true })).toBeVisible();
});
