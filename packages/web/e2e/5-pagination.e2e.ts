import {
  apiGet,
  createTodo,
  expect,
  passwordToken,
  signIn,
  skipWithoutChromium,
  test,
} from './support/fixtures.js';

skipWithoutChromium();

test('"Load more" pages through the API with its cursor', async ({ page, urls, request }) => {
  const token = await passwordToken(request, urls, 'testuser');
  for (let i = 1; i <= 23; i++) {
    await createTodo(request, urls, token, `Paged todo ${String(i).padStart(2, '0')}`);
  }
  await signIn(page, urls, 'testuser');
  await expect(page.getByRole('checkbox')).toHaveCount(20);
  await expect(page.getByText('Paged todo 23')).toBeVisible();
  const all = await apiGet(request, urls, '/todos/?limit=100', token);
  const total = ((await all.json()) as { items: unknown[] }).items.length;
  expect(total).toBeGreaterThanOrEqual(23);
  expect(total).toBeLessThanOrEqual(40);
  await page.getByRole('button', { name: 'Load more' }).click();
  await expect(page.getByRole('checkbox')).toHaveCount(total);
  await expect(page.getByText('Paged todo 01')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Load more' })).toHaveCount(0);
});
