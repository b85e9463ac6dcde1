import type { Page } from '@playwright/test';
import { heldBackResponse } from './support/callback.js';
import { dpopKeys } from './support/dpop.js';
import { expect, signIn, skipWithoutChromium, test, type Urls } from './support/fixtures.js';

skipWithoutChromium();

/**
 * A sign-in that ends without a session leaves nothing of itself behind: no DPoP key pair in
 * IndexedDB (oidc-client-ts keeps it in `oidc` → `dpop`, keyed by client id) and no pending
 * authorization request (`state`, PKCE `code_verifier`) in sessionStorage. A key a session in
 * another tab still signs with is kept.
 */

/** A key pair under `todo-ui`, as oidc-client-ts stores it. */
function leaveKeyBehind(page: Page): Promise<void> {
  return page.evaluate(async () => {
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ]);
    await new Promise<void>((resolve, reject) => {
      const open = indexedDB.open('oidc');
      open.onupgradeneeded = () => open.result.createObjectStore('dpop');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const tx = open.result.transaction('dpop', 'readwrite');
        tx.objectStore('dpop').put({ keys }, 'todo-ui');
        tx.oncomplete = () => {
          open.result.close();
          resolve();
        };
        tx.onerror = () => reject(tx.error);
      };
    });
  });
}

/** The oidc-client-ts entries of the tab's sessionStorage (pending sign-ins, the user). */
function pendingSignIns(page: Page): Promise<string[]> {
  return page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('oidc.')));
}

/** Starts a sign-in and answers its callback as a provider refusing it (RFC 6749 §4.1.2.1). */
async function refusedSignIn(
  page: Page,
  urls: Urls,
  atProvider: () => Promise<void> = async () => undefined,
): Promise<void> {
  // The provider's page stands still, whatever session it has: the person is deciding.
  const atAuthorize = (url: URL) =>
    url.href.startsWith(`${urls.issuer}/protocol/openid-connect/auth?`);
  await page.route(atAuthorize, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<p>Allow todo-sso?</p>' }),
  );
  await page.goto(urls.web);
  const authorize = page.waitForRequest((request) => atAuthorize(new URL(request.url())));
  await page.getByRole('button', { name: 'Sign in' }).click();
  const state = new URL((await authorize).url()).searchParams.get('state');
  await page.waitForURL((url) => url.href.startsWith(urls.issuer));
  await page.unroute(atAuthorize);
  await atProvider();
  await page.goto(
    `${urls.web}/callback?error=access_denied&error_description=The+user+refused&state=${state}&iss=${encodeURIComponent(urls.issuer)}`,
  );
  await expect(page.getByRole('alert')).toContainText('Sign-in did not complete');
}

test('a sign-in whose code exchange fails leaves no DPoP key and no pending request behind', async ({
  page,
  urls,
}) => {
  const response = await heldBackResponse(page, urls);
  const spoiled = new URL(response);
  spoiled.searchParams.set('code', `${response.searchParams.get('code')}-spoiled`);
  const exchanged = page.waitForResponse((r) => r.url().endsWith('/protocol/openid-connect/token'));
  await page.goto(spoiled.href);
  expect((await exchanged).status()).toBe(400);
  await expect(page.getByRole('alert')).toContainText('Sign-in did not complete');
  await expect(page.getByTestId('user-name')).toHaveCount(0);
  await expect.poll(() => dpopKeys(page)).toEqual([]);
  await expect.poll(() => pendingSignIns(page)).toEqual([]);
});

test('a refused sign-in deletes the DPoP key it would have signed with', async ({ page, urls }) => {
  await refusedSignIn(page, urls, async () => {
    // While the person is at the provider, a key is there (as one an earlier session of a
    // closed tab left): planted from a page of the app's origin that runs none of its code.
    const planter = await page.context().newPage();
    await planter.goto(`${urls.web}/favicon.svg`);
    await leaveKeyBehind(planter);
    expect(await dpopKeys(planter)).toEqual(['todo-ui']);
    await planter.close();
  });
  await expect.poll(() => dpopKeys(page)).toEqual([]);
  await expect.poll(() => pendingSignIns(page)).toEqual([]);
});

test('a refused sign-in in a second tab keeps the key the first tab’s session signs with', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'alice');
  await expect(page.getByTestId('user-name')).toHaveText('alice');
  expect(await dpopKeys(page)).toEqual(['todo-ui']);

  const second = await page.context().newPage();
  await refusedSignIn(second, urls);
  // Give a deletion the time it would take, then check the first tab still works.
  await second.waitForTimeout(500);
  expect(await dpopKeys(second)).toEqual(['todo-ui']);
  await second.close();

  const me = page.waitForResponse((r) => r.url() === `${urls.api}/me`);
  await page.reload();
  expect((await me).status()).toBe(200);
  await expect(page.getByTestId('user-name')).toHaveText('alice');
});
