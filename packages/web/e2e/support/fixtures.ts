import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type APIRequestContext,
  type Browser,
  test as base,
  expect,
  type Locator,
  type Page,
} from '@playwright/test';
import { hasChromium } from './chromium.js';
import { keepPageKey, pageProof } from './dpop.js';
import { nextAdminCode } from './otp.js';
import { SHORT_ACCESS_TOKEN_LIFESPAN, type Stack, type StackOptions, startStack } from './stack.js';

/**
 * The URLs of a running stack (the worker's, or one a file started), and helpers every
 * scenario uses.
 */
export interface Urls {
  web: string;
  api: string;
  issuer: string;
}

/** The URLs of a stack a file started for itself (`startStack`). */
export const urlsOf = (stack: Stack): Urls => ({
  web: stack.webUrl,
  api: stack.apiUrl,
  issuer: stack.issuer,
});

const screenshotDir = fileURLToPath(new URL('../../../../docs/screenshots/', import.meta.url));
/** Set by `npm run screenshots`; without it `screenshot()` writes nothing. */
export const screenshotsRequested = process.env.SCREENSHOTS === '1';

/**
 * A worker fixture: a stack started with `options` on the worker's first use, its URLs handed
 * to the scenarios, and stopped when the worker ends.
 */
function workerStack(options?: StackOptions) {
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads fixture dependencies from this destructuring; none are needed.
  return async ({}, use: (urls: Urls) => Promise<void>) => {
    const stack = await startStack(options);
    try {
      await use(urlsOf(stack));
    } finally {
      await stack.close();
    }
  };
}

export const test = base.extend<{ page: Page }, { urls: Urls; shortTokenUrls: Urls }>({
  // Every page fails its test if the app trips its own Content-Security-Policy, Trusted Types
  // included (Chromium words those as "This document requires 'TrustedHTML' assignment").
  page: async ({ page }, use) => {
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|requires 'Trusted/.test(message.text()))
        violations.push(message.text());
    });
    await use(page);
    expect(violations, 'CSP violations').toEqual([]);
  },
  /**
   * The stack this worker's scenarios share: the IdP, the API on a database of its own and the
   * web server, started on the worker's first scenario and kept for its life. Each worker has
   * its own, so two workers never share people, todos or the IdP's used one-time-code steps; the
   * files one worker runs still run in name order against it.
   */
  urls: [workerStack(), { scope: 'worker' }],
  /**
   * A stack of its own whose access tokens live {@link SHORT_ACCESS_TOKEN_LIFESPAN} seconds, for
   * the scenarios that wait for a silent renewal (at three quarters of the lifetime: 7.5 s rather
   * than the shared stack's 15 s). Started on first use and kept for the worker's life, so the
   * run pays for one more start-up (seconds on a loaded machine) rather than one per file.
   */
  shortTokenUrls: [
    workerStack({ accessTokenLifespan: SHORT_ACCESS_TOKEN_LIFESPAN }),
    { scope: 'worker' },
  ],
});

/**
 * Skips the calling file when Chromium is missing: the global setup then built nothing (and
 * failed the run under REQUIRE_BROWSER=1). Called at the top of every test file, because a
 * module-level skip would only reach the first file that imports this module.
 */
export function skipWithoutChromium(): void {
  test.skip(!hasChromium, 'Debian Chromium (/usr/bin/chromium) is not installed');
}

export { expect };

/** Signs `username` in through the IdP's login page (password = username in the dev realm). */
export async function signIn(
  page: Page,
  urls: Urls,
  username: string,
  options: { screenshot?: string } = {},
): Promise<void> {
  await page.goto(urls.web);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.href.startsWith(urls.issuer));
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(username);
  if (options.screenshot) await screenshot(page, options.screenshot);
  await page.getByRole('button', { name: 'Sign In' }).click();
  await page
    .waitForURL((url) => url.href.startsWith(urls.web), { timeout: 15_000 })
    .catch(() => {
      throw new Error(`sign-in did not return to the app; stuck at ${page.url()}`);
    });
  await expect(page.getByTestId('user-name')).toHaveText(username);
}

/**
 * What the todos screen shows once its read of the todos has answered: the todos, or that there
 * are none (under any filter). After a load, a todo's absence proves something only once this
 * shows: while the todos are still loading, every todo is absent.
 */
export function todosShown(page: Page): Locator {
  return page
    .getByRole('list', { name: /^(all|open|done) todos$/ })
    .or(page.getByText(/^(Nothing to do yet|All done|Nothing completed yet)$/));
}

/** A person signed in in a browser context of their own (their own cookies and storage). */
export async function personIn(browser: Browser, urls: Urls, username: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, urls, username);
  return page;
}

/** A second tab of the same browser, signed in through the identity provider's session. */
export async function secondTab(page: Page, urls: Urls, username: string): Promise<Page> {
  const other = await page.context().newPage();
  await other.goto(urls.web);
  await other.getByRole('button', { name: 'Sign in' }).click();
  await expect(other.getByTestId('user-name')).toHaveText(username, { timeout: 15_000 });
  return other;
}

/**
 * Answers the app's "Confirm it's you" (the API asked for a step-up, RFC 9470) as `admin`:
 * continues to the IdP, enters the authenticator code computed from the development secret and
 * waits until the app is back.
 */
export async function confirmIdentity(
  page: Page,
  urls: Urls,
  options: { screenshot?: string } = {},
): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Confirm it’s you' })).toBeVisible();
  if (options.screenshot) await screenshot(page, options.screenshot);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL((url) => url.href.startsWith(urls.issuer));
  await page.getByLabel('One-time code').fill(await nextAdminCode(urls.issuer));
  await page.getByRole('button', { name: 'Sign In' }).click();
  await page
    .waitForURL((url) => url.href.startsWith(urls.web) && !url.pathname.startsWith('/callback'), {
      timeout: 15_000,
    })
    .catch(() => {
      throw new Error(`the step-up did not return to the app; stuck at ${page.url()}`);
    });
}

/** The access token the page holds (oidc-client-ts keeps the user in sessionStorage). */
export async function accessToken(page: Page): Promise<string> {
  const token = await page.evaluate(() => {
    for (const key of Object.keys(sessionStorage)) {
      if (key.startsWith('oidc.user:')) {
        return (JSON.parse(sessionStorage.getItem(key) ?? '{}') as { access_token?: string })
          .access_token;
      }
    }
    return undefined;
  });
  if (!token) throw new Error('no access token in sessionStorage');
  // A DPoP-bound token is only usable with proofs by the page's key: keep it for `apiGet`.
  if (await keepPageKey(page, token)) pagesOfTokens.set(token, page);
  return token;
}

/** Pages whose DPoP key signs proofs for a token they handed out (see `accessToken`). */
const pagesOfTokens = new Map<string, Page>();

/**
 * `GET path` on the API with `token`, from the test runner (not the page): a DPoP-bound token
 * from `accessToken(page)` goes with a proof by the page's key (RFC 9449 §7.1), any other as a
 * bearer token.
 */
export async function apiGet(request: APIRequestContext, urls: Urls, path: string, token: string) {
  const page = pagesOfTokens.get(token);
  const proof = page ? await pageProof(page, token, 'GET', urls.api + path) : undefined;
  const headers: Record<string, string> = proof
    ? { Authorization: `DPoP ${token}`, DPoP: proof }
    : { Authorization: `Bearer ${token}` };
  return request.get(urls.api + path, { headers });
}

/**
 * An access token for `username` from the password grant of `todo-cli` (scripts' client). With
 * `otp`, `admin` also sends the current one-time code (Keycloak's direct-grant `otp`
 * parameter): a token at `acr` mfa, as admin work needs.
 */
export async function passwordToken(
  request: APIRequestContext,
  urls: Urls,
  username: string,
  { otp = false }: { otp?: boolean } = {},
): Promise<string> {
  const response = await request.post(`${urls.issuer}/protocol/openid-connect/token`, {
    form: {
      grant_type: 'password',
      client_id: 'todo-cli',
      username,
      password: username,
      ...(otp && { otp: await nextAdminCode(urls.issuer) }),
    },
  });
  expect(response.status()).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

/**
 * The status of the app's next `method` request to the API path `path` (a prefix). The app shows
 * a write at once (optimistically), before the API has answered it, so a scenario that reloads
 * right after seeing the change could cancel the request: it awaits this first. Call it before
 * the action that sends the request.
 */
export function apiAnswer(page: Page, urls: Urls, method: string, path: string): Promise<number> {
  return page
    .waitForResponse(
      (res) => res.request().method() === method && res.url().startsWith(`${urls.api}${path}`),
    )
    .then((res) => res.status());
}

/**
 * Makes `username` known to the API, as sharing with them needs: they have read their lists
 * once (signing in alone is not enough).
 */
export async function makeKnown(
  request: APIRequestContext,
  urls: Urls,
  username: string,
): Promise<void> {
  const token = await passwordToken(request, urls, username);
  const lists = await request.get(`${urls.api}/lists/`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(lists.status()).toBe(200);
}

/** Creates a todo for the owner of `token` through the API. */
export async function createTodo(
  request: APIRequestContext,
  urls: Urls,
  token: string,
  title: string,
): Promise<void> {
  const response = await request.post(`${urls.api}/todos/`, {
    headers: { Authorization: `Bearer ${token}` },
    data: { title },
  });
  expect(response.status()).toBe(201);
}

/**
 * Writes a README screenshot to `docs/screenshots/<name>.png`, only when asked for
 * (`npm run screenshots` sets `SCREENSHOTS=1`): a plain test run leaves tracked files alone.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!screenshotsRequested) return;
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`) });
}

/**
 * The name of something a scenario creates (a list, a person), unique to this run so that the
 * scenario passes again against the same stack (`--repeat-each`): `base` and a suffix. Under
 * `SCREENSHOTS=1` (one pass on a fresh stack) it is `base` alone, so the screenshots show the
 * same names from one regeneration to the next.
 */
export function runName(base: string, separator = ' '): string {
  return screenshotsRequested ? base : `${base}${separator}${Date.now().toString(36)}`;
}
