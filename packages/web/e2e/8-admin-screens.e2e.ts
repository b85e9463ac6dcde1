import {
  confirmIdentity,
  expect,
  makeKnown,
  passwordToken,
  signIn,
  skipWithoutChromium,
  test,
} from './support/fixtures.js';

skipWithoutChromium();

test('the audit log names every person, with the subject id on hover', async ({
  page,
  urls,
  request,
}) => {
  // An administrator who never wrote a todo revokes a session: the API knows them by name.
  const admin = await passwordToken(request, urls, 'admin', { otp: true });
  const revoked = await request.post(`${urls.api}/admin/sessions/revoke`, {
    headers: { Authorization: `Bearer ${admin}` },
    data: { sub: '00000000-0000-0000-0000-00000000dead' },
  });
  expect(revoked.status()).toBe(200);

  await signIn(page, urls, 'admin');
  await page.goto(`${urls.web}/admin/audit`);
  await confirmIdentity(page, urls);
  const row = page.getByRole('row').filter({ hasText: 'session.revoke' }).first();
  const who = row.getByRole('cell').nth(1);
  await expect(who).toHaveText('admin');
  expect(await who.getAttribute('title')).toMatch(/^[0-9a-f-]{36}$/);
});

test('admin tabs have addresses: Back returns to the previous tab, links open a tab', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'admin');
  await page.getByRole('link', { name: 'Admin' }).click();
  await confirmIdentity(page, urls);
  await expect(page.getByRole('tab', { name: 'Users' })).toHaveAttribute('aria-selected', 'true');
  await page.getByRole('tab', { name: 'All todos' }).click();
  await expect(page).toHaveURL(`${urls.web}/admin/todos`);
  await page.getByRole('tab', { name: 'Audit log' }).click();
  await expect(page).toHaveURL(`${urls.web}/admin/audit`);
  await expect(page.getByRole('table', { name: 'Audit log' })).toBeVisible();

  await page.goBack();
  await expect(page).toHaveURL(`${urls.web}/admin/todos`);
  await expect(page.getByRole('tab', { name: 'All todos' })).toHaveAttribute(
    'aria-selected',
    'true',
  );

  await page.goto(`${urls.web}/admin/audit`);
  await expect(page.getByRole('tab', { name: 'Audit log' })).toHaveAttribute(
    'aria-selected',
    'true',
  );
  await expect(page).toHaveTitle(/Audit log/);
});

test('at 375 px the audit log stacks each entry as a card, every field on screen', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'admin');
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto(`${urls.web}/admin/audit`);
  await confirmIdentity(page, urls);
  const row = page.getByRole('table', { name: 'Audit log' }).locator('tbody tr').first();
  await expect(row).toBeVisible();
  for (const label of ['When', 'Who', 'Action', 'Outcome', 'Resource']) {
    const cell = row.locator(`[data-label="${label}"]`);
    const box = await cell.boundingBox();
    if (!box) throw new Error(`no ${label} cell`);
    // Inside the screen, and wide enough that an id does not break one character per line.
    expect(box.x + box.width, label).toBeLessThanOrEqual(375);
    expect(box.width, label).toBeGreaterThan(200);
  }
});

test('Reports for an administrator shows every department first and offers the known ones', async ({
  page,
  urls,
  request,
}) => {
  // The picker offers the departments of the people the API knows: carol (engineering) is made
  // known here rather than relied on from an earlier file, so the scenario passes alone.
  await makeKnown(request, urls, 'carol');
  await signIn(page, urls, 'admin');
  await page.goto(`${urls.web}/reports`);
  // The known departments come from /admin/users, which needs the step-up.
  await confirmIdentity(page, urls);
  await expect(page.getByTestId('report-department')).toHaveText('every department');
  const picker = page.getByLabel('Department');
  await expect(picker.locator('option')).toContainText(['All departments']);
  await expect(picker.locator('option', { hasText: 'engineering' })).toHaveCount(1);
  await picker.selectOption('engineering');
  await expect(page.getByTestId('report-department')).toHaveText('engineering');
});
