import type { Page } from '@playwright/test';
import {
  accessToken,
  expect,
  signIn,
  skipWithoutChromium,
  test,
  type Urls,
} from './support/fixtures.js';

skipWithoutChromium();

type Claims = Record<string, unknown>;
type Tamper = (claims: Claims) => Claims;

const ATTACKER_ISSUER = 'https://attacker.example/realms/todo-app';

/** `token` with its payload replaced by `tamper(payload)`; header and signature kept as they were. */
function rewrite(token: string, tamper: Tamper): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Claims;
  const changed = Buffer.from(JSON.stringify(tamper(claims))).toString('base64url');
  return `${header}.${changed}.${signature}`;
}

/**
 * A relay in front of the dev IdP's token endpoint: the page's token requests of `grant` go to
 * the IdP as they are, and its answers come back with the ID token's claims changed by
 * `tamper.current`. The signature no longer matches, which the app cannot see: it does not
 * verify ID token signatures (OpenID Connect Core §3.1.3.7 item 6, TLS instead), so the claims
 * are all it has. Returns the access tokens handed to the page this way.
 */
async function relayTokenEndpoint(
  page: Page,
  urls: Urls,
  grant: 'authorization_code' | 'refresh_token',
  tamper: { current: Tamper },
): Promise<string[]> {
  const handedOut: string[] = [];
  const tokenEndpoint = `${urls.issuer}/protocol/openid-connect/token`;
  await page.route(
    (url) => url.href === tokenEndpoint,
    async (route) => {
      const request = route.request();
      const params = new URLSearchParams(request.postData() ?? '');
      if (request.method() !== 'POST' || params.get('grant_type') !== grant) {
        await route.continue();
        return;
      }
      const response = await route.fetch();
      const body = (await response.json()) as Claims;
      if (typeof body.id_token === 'string') {
        body.id_token = rewrite(body.id_token, tamper.current);
        if (typeof body.access_token === 'string') handedOut.push(body.access_token);
      }
      await route.fulfill({ response, json: body });
    },
  );
  return handedOut;
}

/** The tokens oidc-client-ts stored for this tab, if any. */
function storedUser(page: Page) {
  return page.evaluate(() => {
    const key = Object.keys(sessionStorage).find((name) => name.startsWith('oidc.user:'));
    return key
      ? (JSON.parse(sessionStorage.getItem(key) ?? '{}') as { access_token?: string })
      : null;
  });
}

/** Clicks "Sign in" and, unless the IdP still has alice's session, signs alice in there. */
async function startSignIn(page: Page, urls: Urls): Promise<void> {
  await page.goto(urls.web);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const form = page.getByLabel('Username');
  const back = page.getByRole('alert').or(page.getByTestId('user-name'));
  await expect.poll(async () => (await form.isVisible()) || (await back.isVisible())).toBe(true);
  if (await form.isVisible()) {
    await form.fill('alice');
    await page.getByLabel('Password').fill('alice');
    await page.getByRole('button', { name: 'Sign In' }).click();
  }
}

/** Each tampered ID token, and what the refusal says about it. */
const tampered: [string, Tamper, RegExp][] = [
  ['another issuer', (c) => ({ ...c, iss: ATTACKER_ISSUER }), /was issued by https:\/\/attacker/],
  [
    'another audience',
    (c) => ({ ...c, aud: 'todo-cli', azp: 'todo-cli' }),
    /is meant for todo-cli, not for this app \(todo-ui\)/,
  ],
  [
    'several audiences and no authorized party',
    ({ azp: _azp, ...c }) => ({ ...c, aud: ['todo-ui', 'todo-api'] }),
    /names other audiences than this app/,
  ],
  [
    'expired an hour ago',
    (c) => ({ ...c, exp: Number(c.iat) - 3600, iat: Number(c.iat) - 3900 }),
    /expired at .* \(this device's clock says/,
  ],
  ['another nonce', (c) => ({ ...c, nonce: 'a-nonce-from-another-sign-in' }), /nonce/],
  ['no nonce', ({ nonce: _nonce, ...c }) => c, /nonce/],
];

test('an ID token from another issuer, for another client, expired or with another nonce is refused; the genuine one signs in (OpenID Connect Core §3.1.3.7)', async ({
  page,
  urls,
}) => {
  const tamper: { current: Tamper } = { current: (claims) => claims };
  const handedOut = await relayTokenEndpoint(page, urls, 'authorization_code', tamper);

  for (const [name, change, reason] of tampered) {
    tamper.current = change;
    const redeemed = handedOut.length;
    await startSignIn(page, urls);
    const alert = page.getByRole('alert');
    await expect(alert, name).toContainText('Sign-in did not complete:');
    await expect(alert, name).toContainText(reason);
    expect(handedOut.length, `${name}: the code was redeemed through the relay`).toBe(redeemed + 1);
    await expect(page).toHaveURL(`${urls.web}/callback`);
    await expect(page.getByTestId('user-name')).toHaveCount(0);
    expect(await storedUser(page), `${name}: nothing stored`).toBeNull();
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
  }

  // The same relay, handing the IdP's ID token on unchanged: alice is signed in.
  tamper.current = (claims) => claims;
  await startSignIn(page, urls);
  await expect(page.getByTestId('user-name')).toHaveText('alice');
  expect((await storedUser(page))?.access_token).toBe(handedOut.at(-1));
});

test('a renewal whose ID token names another issuer is refused: the tab keeps the session it had (OpenID Connect Core §12.2)', async ({
  page,
  shortTokenUrls: urls,
}) => {
  // In place before the sign-in: every renewal is relayed, however soon it comes.
  const tamper = { current: (claims: Claims) => ({ ...claims, iss: ATTACKER_ISSUER }) };
  const handedOut = await relayTokenEndpoint(page, urls, 'refresh_token', tamper);
  await signIn(page, urls, 'alice');
  const first = await accessToken(page);

  // Renewal at three quarters of the access token's lifetime (SHORT_ACCESS_TOKEN_LIFESPAN).
  await expect.poll(() => handedOut.length, { timeout: 40_000 }).toBeGreaterThan(0);
  await page.waitForTimeout(1000);
  const stored = (await storedUser(page))?.access_token;
  // Compared as booleans: a failure message then shows no token.
  expect(handedOut.includes(stored ?? ''), 'a refused renewal stored its tokens').toBe(false);
  expect(stored === first, 'the tab keeps the tokens it had').toBe(true);
});
