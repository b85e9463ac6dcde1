import {
  apiAnswer,
  expect,
  screenshot,
  signIn,
  skipWithoutChromium,
  test,
} from './support/fixtures.js';

skipWithoutChromium();

test.describe.configure({ mode: 'serial' });

test('alice signs in through the IdP, manages todos, and still sees them after a reload', async ({
  page,
  urls,
}) => {
  await page.goto(urls.web);
  await expect(page.getByRole('heading', { name: 'todo-sso' })).toBeVisible();
  await screenshot(page, 'sign-in');

  await signIn(page, urls, 'alice', { screenshot: 'idp-login' });
  // The callback route leaves no code or state in the address bar.
  expect(new URL(page.url()).pathname).toBe('/');
  expect(page.url()).not.toContain('code=');
  await expect(page.getByText('Nothing to do yet')).toBeVisible();
  await screenshot(page, 'todos-empty');

  const newTodo = page.getByLabel('New todo');
  for (const title of [
    'Review the pull request for the JWKS cache',
    'Write the back-channel logout runbook',
    'Book the team offsite',
    'Rotate the staging signing keys',
  ]) {
    await newTodo.fill(title);
    await newTodo.press('Enter');
    await expect(page.getByText(title)).toBeVisible();
    // Shown at once; its checkbox is enabled only once the API's copy replaced the placeholder.
    await expect(page.getByRole('checkbox', { name: title })).toBeEnabled();
  }

  // Edit inline: title and notes.
  await page.getByRole('button', { name: 'Edit “Book the team offsite”' }).click();
  await page.getByLabel('Title').fill('Book the engineering offsite');
  await page.getByLabel('Notes').fill('Two days in March, 14 people.');
  await screenshot(page, 'todos-edit');
  // Edits and toggles show at once too (optimistically): each waits for its PATCH's answer, so
  // that the reload below finds them saved whatever order the requests were answered in.
  const edited = apiAnswer(page, urls, 'PATCH', '/todos/');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Two days in March, 14 people.')).toBeVisible();
  expect(await edited).toBe(200);

  // Complete one.
  const completed = apiAnswer(page, urls, 'PATCH', '/todos/');
  await page.getByRole('checkbox', { name: 'Review the pull request for the JWKS cache' }).check();
  await expect(
    page.getByRole('checkbox', { name: 'Review the pull request for the JWKS cache' }),
  ).toBeChecked();
  expect(await completed).toBe(200);
  await screenshot(page, 'todos');

  // Delete one; the undo toast offers it back, dismissing sends the delete.
  const deleted = apiAnswer(page, urls, 'DELETE', '/todos/');
  await page.getByRole('button', { name: 'Delete “Rotate the staging signing keys”' }).click();
  await expect(page.getByRole('status').getByText('Deleted')).toBeVisible();
  await screenshot(page, 'todos-undo');
  await page.getByRole('button', { name: 'Dismiss' }).click();
  await expect(page.getByText('Rotate the staging signing keys')).toHaveCount(0);

  // Filters.
  await page.getByRole('button', { name: 'Done', exact: true }).click();
  await expect(page.getByRole('checkbox')).toHaveCount(1);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByRole('checkbox')).toHaveCount(2);
  await page.getByRole('button', { name: 'All', exact: true }).click();

  // The page shows every change at once; the reload waits until the last one reached the API.
  expect(await deleted).toBe(204);
  await page.reload();
  // Exact: a reload that came before the page took in an answer also says the todo was saved.
  await expect(page.getByText('Book the engineering offsite', { exact: true })).toBeVisible();
  await expect(
    page.getByRole('checkbox', { name: 'Review the pull request for the JWKS cache' }),
  ).toBeChecked();
  await expect(
    page.getByText('Write the back-channel logout runbook', { exact: true }),
  ).toBeVisible();
  await expect(page.getByText('Rotate the staging signing keys')).toHaveCount(0);
  await expect(page.getByRole('checkbox')).toHaveCount(3);
});

test('bob never sees alice’s todos', async ({ page, urls }) => {
  await signIn(page, urls, 'bob');
  await expect(page.getByText('Nothing to do yet')).toBeVisible();
  await expect(page.getByText('Book the engineering offsite')).toHaveCount(0);
  await expect(page.getByTestId('user-department')).toHaveText('sales');
  await expect(page.getByRole('link', { name: 'Reports' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Admin' })).toHaveCount(0);
});

test('the layout works on a phone-sized screen', async ({ browser, urls }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 780 } });
  const page = await context.newPage();
  await signIn(page, urls, 'alice');
  await expect(page.getByText('Book the engineering offsite')).toBeVisible();
  await screenshot(page, 'todos-mobile');
  await context.close();
});

test('the app follows the system dark colour scheme', async ({ browser, urls }) => {
  const context = await browser.newContext({
    colorScheme: 'dark',
    viewport: { width: 1280, height: 800 },
  });
  const page = await context.newPage();
  await signIn(page, urls, 'alice');
  await expect(page.getByText('Book the engineering offsite')).toBeVisible();
  const background = await page.evaluate(
    () => getComputedStyle(document.documentElement).backgroundColor,
  );
  expect(background).toBe('rgb(15, 17, 21)');
  await screenshot(page, 'todos-dark');
  await context.close();
});
