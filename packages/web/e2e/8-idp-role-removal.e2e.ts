import {
  accessToken,
  apiGet,
  expect,
  passwordToken,
  runName,
  signIn,
  skipWithoutChromium,
  test,
} from './support/fixtures.js';

skipWithoutChromium();

/** Until the next whole second: a token the provider issues from then has an `iat` after now. */
async function nextSecond(): Promise<void> {
  const second = Math.floor(Date.now() / 1000);
  while (Math.floor(Date.now() / 1000) === second) await new Promise((r) => setTimeout(r, 20));
}

test('a permission removed by an admin holds at once: the person’s app renews its token, without it, and is not sent to sign in again', async ({
  page,
  request,
  urls,
}) => {
  const person = runName('role-removed', '-');
  const admin = await passwordToken(request, urls, 'admin', { otp: true });
  const headers = { Authorization: `Bearer ${admin}` };
  const created = await request.post(`${urls.api}/admin/idp/users`, {
    headers,
    data: {
      username: person,
      password: person,
      temporaryPassword: false,
      department: 'engineering',
    },
  });
  expect(created.status()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  for (const role of ['user', 'reports:generate'])
    expect(
      (await request.put(`${urls.api}/admin/idp/users/${id}/roles/${role}`, { headers })).status(),
    ).toBe(200);

  await signIn(page, urls, person);
  await page.getByRole('link', { name: 'Reports' }).click();
  await expect(page.getByTestId('report-department')).toHaveText('engineering');
  const before = await accessToken(page);

  const removed = await request.delete(`${urls.api}/admin/idp/users/${id}/roles/reports:generate`, {
    headers,
  });
  expect(removed.status()).toBe(200);
  // The token the page holds, which still carries the permission, is refused at once.
  expect((await apiGet(request, urls, '/reports/summary', before)).status()).toBe(401);

  // The page never goes back to the provider's sign-in: it renews in the background.
  const visited: string[] = [];
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) visited.push(frame.url());
  });
  await nextSecond();
  await page.reload();
  await expect(
    page.getByRole('heading', { name: "You don't have access to Reports" }),
  ).toBeVisible();
  await expect(page.getByTestId('user-name')).toHaveText(person);
  expect(visited.filter((url) => url.startsWith(urls.issuer))).toEqual([]);
  const after = await accessToken(page);
  expect(after).not.toBe(before);
  expect((await apiGet(request, urls, '/todos/', after)).status()).toBe(200);
});
