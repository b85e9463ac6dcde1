import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { dpopKeys } from './support/dpop.js';
import { expect, signIn, skipWithoutChromium, test } from './support/fixtures.js';

skipWithoutChromium();

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A DPoP proof (RFC 9449 §4.2) by a key an attacker made up, for the token endpoint. */
function attackerProof(url: string): string {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const input = `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicKey.export({ format: 'jwk' }) })}.${b64(
    { jti: randomUUID(), htm: 'POST', htu: url, iat: Math.floor(Date.now() / 1000) },
  )}`;
  const signature = sign('sha256', Buffer.from(input), {
    key: privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${signature.toString('base64url')}`;
}

/**
 * What script injected into the page could take: the tokens in sessionStorage can be read, so
 * they must be useless elsewhere — the refresh token bound to the page's DPoP key (RFC 9449 §5,
 * public clients) — and the key itself must not leave the browser (a non-extractable WebCrypto
 * key in IndexedDB). After sign-out the key is gone.
 */
test('a refresh token read by script is refused without the page’s key, and the key cannot be exported', async ({
  page,
  urls,
  request,
}) => {
  await signIn(page, urls, 'alice');
  const stolen = await page.evaluate(() => {
    const key = Object.keys(sessionStorage).find((k) => k.startsWith('oidc.user:')) ?? '';
    return JSON.parse(sessionStorage.getItem(key) ?? '{}') as { refresh_token?: string };
  });
  expect(stolen.refresh_token).toBeTruthy();
  const tokenEndpoint = `${urls.issuer}/protocol/openid-connect/token`;
  const form = {
    grant_type: 'refresh_token',
    client_id: 'todo-ui',
    refresh_token: stolen.refresh_token as string,
  };
  const bare = await request.post(tokenEndpoint, { form, headers: { origin: urls.web } });
  expect(bare.status()).toBe(400);
  const withOtherKey = await request.post(tokenEndpoint, {
    form,
    headers: { origin: urls.web, dpop: attackerProof(tokenEndpoint) },
  });
  expect(withOtherKey.status()).toBe(400);
  expect(((await withOtherKey.json()) as { error?: string }).error).toMatch(
    /invalid_(grant|dpop_proof)/,
  );

  const exported = () =>
    page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const open = indexedDB.open('oidc');
          open.onsuccess = () => {
            const db = open.result;
            if (!db.objectStoreNames.contains('dpop')) return resolve('no store');
            const get = db.transaction('dpop').objectStore('dpop').getAll();
            get.onsuccess = async () => {
              const pair = (get.result as { keys?: CryptoKeyPair }[])[0]?.keys;
              if (!pair?.privateKey) return resolve('no key');
              try {
                await crypto.subtle.exportKey('jwk', pair.privateKey);
                resolve('exported');
              } catch (e) {
                resolve(
                  `refused: ${(e as Error).name}; extractable ${pair.privateKey.extractable}`,
                );
              }
            };
          };
        }),
    );
  expect(await exported()).toBe('refused: InvalidAccessError; extractable false');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${urls.web}/signed-out`);
  expect(await exported()).toMatch(/^no (key|store)$/);
});

/**
 * The key goes when the tab signs out, before the browser leaves for the identity provider's
 * end-session endpoint: a provider that never sends the browser back (its page closed, an
 * error there) must not leave the key behind in the profile.
 */
test('sign-out deletes the DPoP key before leaving for the identity provider', async ({
  page,
  urls,
}) => {
  await signIn(page, urls, 'alice');
  expect(await dpopKeys(page)).toEqual(['todo-ui']);
  // The provider's end-session page answers, but never sends the browser back to the app.
  await page.route(`${urls.issuer}/protocol/openid-connect/logout**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<p>Goodbye</p>' }),
  );
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/protocol\/openid-connect\/logout/);
  // A page of the app's origin that runs none of its code (the icon) reads the profile's store.
  await page.goto(`${urls.web}/favicon.svg`);
  expect(await dpopKeys(page)).toEqual([]);
});
