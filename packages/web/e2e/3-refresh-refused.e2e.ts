import { expect, signIn, skipWithoutChromium, test } from './support/fixtures.js';
import { SHORT_ACCESS_TOKEN_LIFESPAN } from './support/stack.js';

skipWithoutChromium();

test('a refresh token the provider refuses (session ended there) ends the tab’s session: sign-in page, no tokens or DPoP key left, one refresh attempt', async ({
  page,
  shortTokenUrls: urls,
}) => {
  test.setTimeout(90_000);
  const refreshes: number[] = [];
  page.on('request', (request) => {
    const grant = new URLSearchParams(request.postData() ?? '').get('grant_type');
    if (request.url().startsWith(urls.issuer) && grant === 'refresh_token')
      refreshes.push(Date.now());
  });
  // The tab renews 7.5 s after its sign-in (10-second tokens): a renewal sent before the
  // provider ended the session below (a slow machine) reaches the provider only after it did.
  let endedAtProvider = () => {};
  const providerEnded = new Promise<void>((resolve) => {
    endedAtProvider = resolve;
  });
  await page.route(`${urls.issuer}/protocol/openid-connect/token`, async (route) => {
    const grant = new URLSearchParams(route.request().postData() ?? '').get('grant_type');
    if (grant === 'refresh_token') await providerEnded;
    await route.continue();
  });
  await signIn(page, urls, 'carol');
  await page.getByLabel('New todo').fill('Typed before the provider ended the session');

  // The session ends at the provider (Keycloak's logout endpoint with the refresh token, as a
  // revocation or an administrator would end it); this tab is not told.
  const refreshToken = await page.evaluate(() => {
    const key = Object.keys(sessionStorage).find((k) => k.startsWith('oidc.user:')) ?? '';
    return (JSON.parse(sessionStorage.getItem(key) ?? '{}') as { refresh_token?: string })
      .refresh_token;
  });
  const ended = await page.request.post(`${urls.issuer}/protocol/openid-connect/logout`, {
    form: { client_id: 'todo-ui', refresh_token: refreshToken ?? '' },
  });
  expect(ended.status()).toBe(204);
  endedAtProvider();

  // Silent renewal (at three quarters of the token's life) is refused: the tab says so.
  await expect(page.getByRole('alert')).toHaveText(
    'Your session ended at your identity provider (you signed out elsewhere, or it expired). Sign in again to carry on.',
    { timeout: 2 * SHORT_ACCESS_TOKEN_LIFESPAN * 1000 },
  );
  await expect(page.getByTestId('user-name')).toHaveCount(0);
  const left = await page.evaluate(async () => {
    const keys = await new Promise<string[]>((resolve) => {
      const open = indexedDB.open('oidc');
      open.onsuccess = () => {
        const db = open.result;
        if (!db.objectStoreNames.contains('dpop')) return resolve([]);
        const all = db.transaction('dpop').objectStore('dpop').getAllKeys();
        all.onsuccess = () => resolve(all.result.map(String));
      };
    });
    return { storage: Object.keys(sessionStorage), dpopKeys: keys };
  });
  expect(left.storage.filter((key) => key.startsWith('oidc.'))).toEqual([]);
  expect(left.dpopKeys).toEqual([]);

  // No loop of token requests: one refused refresh, then quiet.
  await page.waitForTimeout(5000);
  expect(refreshes).toHaveLength(1);

  // Signing in again brings back what was typed.
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Username').fill('carol');
  await page.getByLabel('Password').fill('carol');
  await page.getByRole('button', { name: 'Sign In' }).click();
  await expect(page.getByTestId('user-name')).toHaveText('carol');
  await expect(page.getByLabel('New todo')).toHaveValue(
    'Typed before the provider ended the session',
  );
});
