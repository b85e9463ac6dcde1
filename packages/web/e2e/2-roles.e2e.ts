import {
  accessToken,
  apiGet,
  confirmIdentity,
  createTodo,
  expect,
  passwordToken,
  screenshot,
  signIn,
  skipWithoutChromium,
  test,
} from './support/fixtures.js';

skipWithoutChromium();

test('carol sees Reports for engineering only', async ({ page, urls, request }) => {
  await signIn(page, urls, 'carol');
  await page.getByLabel('New todo').fill('Prepare the quarterly report');
  await page.getByLabel('New todo').press('Enter');
  await expect(page.getByText('Prepare the quarterly report')).toBeVisible();
  // Shown at once; saved once its checkbox is enabled (the page navigates away below).
  await expect(page.getByRole('checkbox', { name: 'Prepare the quarterly report' })).toBeEnabled();
  await expect(page.getByTestId('user-roles')).toContainText('reports:generate');

  await page.getByRole('link', { name: 'Reports' }).click();
  await expect(page).toHaveURL(/\/reports$/);
  await expect(page.getByTestId('report-department')).toHaveText('engineering');
  await expect(page.getByLabel('Department')).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Admin' })).toHaveCount(0);
  await screenshot(page, 'reports');

  const token = await accessToken(page);
  const sales = await apiGet(request, urls, '/reports/summary?department=sales', token);
  expect(sales.status()).toBe(403);

  await page.goto(`${urls.web}/admin`);
  await expect(page.getByRole('heading', { name: "You don't have access to Admin" })).toBeVisible();
  await screenshot(page, 'forbidden');
});

test('alice is told Reports needs a permission she lacks', async ({ page, urls }) => {
  await signIn(page, urls, 'alice');
  // The links follow what /me says she may do: absent proves nothing before it answered.
  await expect(page.getByTestId('user-department')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Reports' })).toHaveCount(0);
  await page.goto(`${urls.web}/reports`);
  await expect(
    page.getByRole('heading', { name: "You don't have access to Reports" }),
  ).toBeVisible();
});

test('admin sees Admin: users with counts, all todos and the audit log', async ({
  page,
  urls,
  request,
}) => {
  const bob = await passwordToken(request, urls, 'bob');
  await createTodo(request, urls, bob, 'Call the Hamburg lead back');
  // A denial for the audit log: bob asks for the admin list.
  expect((await apiGet(request, urls, '/admin/users', bob)).status()).toBe(403);

  await signIn(page, urls, 'admin');
  await page.getByRole('link', { name: 'Admin' }).click();
  await confirmIdentity(page, urls);
  await expect(page.getByRole('heading', { name: 'Admin' })).toBeVisible();
  const users = page.getByRole('table', { name: 'Users and their todos' });
  await expect(users.getByRole('row', { name: /bob/ })).toBeVisible();
  // People (the accounts at the IdP) come first: this screen shows the todo owners below them.
  await page.getByRole('heading', { name: 'Todo owners' }).evaluate((h) => h.scrollIntoView());
  await screenshot(page, 'admin-users');

  // Keyboard: the tabs are one tab stop, arrow keys move between them.
  await page.getByRole('tab', { name: 'Users' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'All todos' })).toBeFocused();
  await expect(page.getByRole('tab', { name: 'All todos' })).toHaveAttribute(
    'aria-selected',
    'true',
  );
  await expect(page.getByRole('table', { name: 'All todos' })).toContainText(
    'Call the Hamburg lead back',
  );
  await screenshot(page, 'admin-todos');

  await page.getByRole('tab', { name: 'Audit log' }).click();
  await expect(page.getByRole('table', { name: 'Audit log' })).toContainText('denied');
  await screenshot(page, 'admin-audit');

  // Administrators may report on any department: all of them first, then a known one.
  await page.getByRole('link', { name: 'Reports' }).click();
  await expect(page.getByTestId('report-department')).toHaveText('every department');
  await page.getByLabel('Department').selectOption('sales');
  await expect(page.getByTestId('report-department')).toHaveText('sales');
});
