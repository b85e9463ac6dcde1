import type { APIRequestContext, Page } from '@playwright/test';
import {
  accessToken,
  apiGet,
  expect,
  passwordToken,
  signIn,
  skipWithoutChromium,
  test,
  type Urls,
} from './support/fixtures.js';

skipWithoutChromium();

// Named 98-: runs after every scenario that saves a README screenshot or counts another
// person's lists, so the people, lists and todos made here show in none of them.

/**
 * What the browser gets from the web app: the headers on everything the web server sends,
 * hostile text from the API shown as text, tokens never in a URL, and only what the docs say in
 * the browser's storage.
 */

/** A policy as directive → its values. */
function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...values]) => [name as string, values]),
  );
}

test('every response of the web server carries the security headers and a policy that runs only its own scripts', async ({
  request,
  urls,
}) => {
  const index = await (await request.get(`${urls.web}/`)).text();
  const script = /<script[^>]+src="([^"]+)"/.exec(index)?.[1];
  if (!script) throw new Error('no script in index.html');
  const responses = {
    'the app': await request.get(`${urls.web}/`),
    'a route of the app': await request.get(`${urls.web}/admin/audit`),
    'the configuration': await request.get(`${urls.web}/config.json`),
    'a script': await request.get(urls.web + script),
    'a missing file': await request.get(`${urls.web}/assets/missing.js`),
    'a POST': await request.post(`${urls.web}/`),
  };
  const origin = (url: string) => new URL(url).origin;
  for (const [what, response] of Object.entries(responses)) {
    const headers = response.headers();
    expect(headers['x-content-type-options'], what).toBe('nosniff');
    expect(headers['x-frame-options'], what).toBe('DENY');
    // The code in the callback URL never leaves in a Referer (RFC 9700 §4.2.4).
    expect(headers['referrer-policy'], what).toBe('no-referrer');
    expect(headers['cross-origin-opener-policy'], what).toBe('same-origin');
    const csp = directives(headers['content-security-policy'] ?? '');
    expect(csp.get('default-src'), what).toEqual(["'self'"]);
    // No inline script, no eval, no other host: an injected string cannot become code.
    expect(csp.get('script-src'), what).toEqual(["'self'"]);
    expect(csp.get('object-src'), what).toEqual(["'none'"]);
    expect(csp.get('base-uri'), what).toEqual(["'self'"]);
    expect(csp.get('frame-ancestors'), what).toEqual(["'none'"]);
    // Tokens go to the issuer and the API only.
    expect(new Set(csp.get('connect-src')), what).toEqual(
      new Set(["'self'", origin(urls.issuer), origin(urls.api)]),
    );
    expect(csp.get('form-action'), what).toEqual(["'self'", origin(urls.issuer)]);
  }
  expect(responses['the app'].headers()['cache-control']).toBe('no-store');
  expect(responses['the configuration'].headers()['cache-control']).toBe('no-store');
});

/** Markup, script and `javascript:` URLs, each of which must be shown as the text it is. */
const HOSTILE = {
  image: '<img src=x onerror="window.__hostile=(window.__hostile||0)+1">',
  script: '<script>window.__hostile=(window.__hostile||0)+1</script>',
  link: 'javascript:window.__hostile=(window.__hostile||0)+1',
  svg: '<svg onload="window.__hostile=(window.__hostile||0)+1"></svg>',
};

/** A person created at the dev IdP by its admin API with `username`, password `password`. */
async function createIdpUser(request: APIRequestContext, urls: Urls, username: string) {
  const service = await request.post(`${urls.issuer}/protocol/openid-connect/token`, {
    form: {
      grant_type: 'client_credentials',
      client_id: 'todo-api',
      client_secret: 'todo-api-secret',
    },
  });
  expect(service.status()).toBe(200);
  const token = ((await service.json()) as { access_token: string }).access_token;
  const admin = urls.issuer.replace('/realms/', '/admin/realms/');
  const headers = { Authorization: `Bearer ${token}` };
  const created = await request.post(`${admin}/users`, {
    headers,
    data: {
      username,
      enabled: true,
      credentials: [{ type: 'password', value: 'hostile-password', temporary: false }],
    },
  });
  expect(created.status()).toBe(201);
  // The realm role `user` (todos:read and todos:write), as the demo users have.
  const location = created.headers().location ?? '';
  const roles = (await (await request.get(`${admin}/roles`, { headers })).json()) as {
    name: string;
  }[];
  const granted = await request.post(`${location}/role-mappings/realm`, {
    headers,
    data: roles.filter((role) => role.name === 'user'),
  });
  expect(granted.status()).toBe(204);
}

async function expectInert(page: Page): Promise<void> {
  expect(await page.evaluate(() => (window as { __hostile?: number }).__hostile)).toBeUndefined();
  expect(await page.locator('main img, main svg:not([aria-hidden]), main script').count()).toBe(0);
  // No data became a link.
  for (const link of await page.locator('main a').all()) {
    expect(await link.getAttribute('href')).not.toMatch(/^\s*javascript:/i);
  }
}

test('todo titles, notes, list names and member names with markup or javascript: are shown as text', async ({
  page,
  urls,
  request,
}) => {
  // A person whose username is markup: the dev IdP takes any username of 3 to 255 characters.
  const hostileName = `<img src=x onerror="window.__hostile=1">${Date.now()}`.toLowerCase();
  await createIdpUser(request, urls, hostileName);
  const member = await request.post(`${urls.issuer}/protocol/openid-connect/token`, {
    form: {
      grant_type: 'password',
      client_id: 'todo-cli',
      username: hostileName,
      password: 'hostile-password',
    },
  });
  expect(member.status()).toBe(200);
  const memberToken = ((await member.json()) as { access_token: string }).access_token;
  // Known to the API once they have called it.
  expect((await apiGet(request, urls, '/lists/', memberToken)).status()).toBe(200);

  const alice = await passwordToken(request, urls, 'alice');
  const auth = { Authorization: `Bearer ${alice}` };
  const list = await request.post(`${urls.api}/lists/`, {
    headers: auth,
    data: { name: HOSTILE.image },
  });
  expect(list.status()).toBe(201);
  const listId = ((await list.json()) as { id: string }).id;
  for (const [title, description] of [
    [HOSTILE.script, HOSTILE.svg],
    [HOSTILE.link, HOSTILE.link],
    [HOSTILE.svg, HOSTILE.image],
  ] as const) {
    const todo = await request.post(`${urls.api}/lists/${listId}/todos/`, {
      headers: auth,
      data: { title, description },
    });
    expect(todo.status()).toBe(201);
  }
  const shared = await request.put(
    `${urls.api}/lists/${listId}/members/${encodeURIComponent(hostileName)}`,
    { headers: auth, data: { relation: 'viewer' } },
  );
  expect(shared.status()).toBe(200);

  await signIn(page, urls, 'alice');
  const sidebar = page.getByRole('navigation', { name: 'Lists' });
  await sidebar
    .getByRole('button', { name: new RegExp(`^${escapeRegExp(HOSTILE.image)}`) })
    .click();
  const head = page.locator('.list-head');
  await expect(head.getByRole('heading', { level: 1 })).toHaveText(HOSTILE.image);
  for (const title of [HOSTILE.script, HOSTILE.link, HOSTILE.svg]) {
    await expect(page.getByRole('checkbox', { name: title, exact: true })).toBeVisible();
  }
  await expect(page.getByText(HOSTILE.image, { exact: true }).last()).toBeVisible();
  await expectInert(page);

  await head.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByLabel(`Role of ${hostileName}`)).toHaveValue('viewer');
  await expect(dialog.getByText(hostileName, { exact: true })).toBeVisible();
  await expectInert(page);
  expect(await dialog.locator('img').count()).toBe(0);
  // A failed share names what was typed, as text.
  await dialog.getByLabel('Username or email').fill(HOSTILE.svg);
  await dialog.getByRole('button', { name: 'Share', exact: true }).click();
  await expect(dialog.getByRole('alert')).toContainText(HOSTILE.svg);
  await expectInert(page);
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('tokens never appear in a URL, and the browser keeps them only where the docs say', async ({
  page,
  shortTokenUrls: urls,
}) => {
  const requested: string[] = [];
  const tokens = { access: new Set<string>(), refresh: new Set<string>(), id: new Set<string>() };
  const context = page.context();
  context.on('request', (request) => {
    requested.push(request.url());
    const redirected = request.redirectedFrom();
    if (redirected) requested.push(redirected.url());
  });
  context.on('response', async (response) => {
    if (!response.url().startsWith(`${urls.issuer}/protocol/openid-connect/token`)) return;
    const body = (await response.json().catch(() => ({}))) as Record<string, string>;
    if (body.access_token) tokens.access.add(body.access_token);
    if (body.refresh_token) tokens.refresh.add(body.refresh_token);
    if (body.id_token) tokens.id.add(body.id_token);
  });

  await signIn(page, urls, 'bob');
  await page.getByLabel('New todo').fill('Check the locks');
  await page.getByLabel('New todo').press('Enter');
  await expect(page.getByRole('checkbox', { name: 'Check the locks' })).toBeEnabled();
  const first = await accessToken(page);
  // Silent renewal (the refresh token grant; tokens live 10 s on this stack).
  await expect.poll(() => accessToken(page), { timeout: 30_000 }).not.toBe(first);
  await page.reload();
  await expect(page.getByRole('checkbox', { name: 'Check the locks' })).toBeVisible();

  // What the docs say (packages/web/README.md, docs/threat-model.md): the tokens are in this
  // tab's sessionStorage; nothing at all in localStorage; the DPoP key in IndexedDB, not
  // extractable (docs/dpop.md).
  const stored = await page.evaluate(() => ({
    local: Object.keys(localStorage),
    session: Object.keys(sessionStorage),
    cookies: document.cookie,
  }));
  expect(stored.local).toEqual([]);
  expect(stored.cookies).toBe('');
  expect(stored.session.some((key) => key.startsWith('oidc.user:'))).toBe(true);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('button', { name: 'Sign in again' })).toBeVisible({
    timeout: 15_000,
  });
  const afterSignOut = await page.evaluate(() => ({
    local: Object.keys(localStorage),
    session: Object.entries(sessionStorage),
  }));
  expect(afterSignOut.local).toEqual([]);
  for (const [key, value] of afterSignOut.session) {
    expect(`${key}=${value}`).not.toMatch(/access_token|refresh_token|id_token/);
  }

  expect(tokens.access.size).toBeGreaterThanOrEqual(2);
  expect(tokens.refresh.size).toBeGreaterThanOrEqual(1);
  const endSession = `${urls.issuer}/protocol/openid-connect/logout`;
  for (const url of requested) {
    for (const token of [...tokens.access, ...tokens.refresh]) {
      expect(url.includes(token), `an access or refresh token in ${url.slice(0, 80)}…`).toBe(false);
    }
    for (const token of tokens.id) {
      if (!url.includes(token)) continue;
      // The one place an ID token may travel in a URL: the `id_token_hint` of the sign-out
      // request (OpenID Connect RP-Initiated Logout 1.0 §2), to the issuer only.
      expect(url.startsWith(`${endSession}?`), `an ID token in ${url.slice(0, 80)}…`).toBe(true);
      expect(new URL(url).searchParams.get('id_token_hint')).toBe(token);
    }
  }
});

test('the page takes no HTML from a string: Trusted Types make every HTML and script sink throw', async ({
  browser,
  request,
  urls,
}) => {
  const csp = directives(
    (await request.get(`${urls.web}/`)).headers()['content-security-policy'] ?? '',
  );
  expect(csp.get('require-trusted-types-for')).toEqual(["'script'"]);
  // No policy may be created: nothing in the app turns a string into HTML or script.
  expect(csp.get('trusted-types')).toEqual(["'none'"]);

  // Not the `page` fixture: this test provokes violations on purpose.
  const page = await browser.newPage();
  try {
    await page.goto(urls.web);
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
    const outcome = await page.evaluate(() => {
      const tryIt = (sink: () => void) => {
        try {
          sink();
          return 'accepted';
        } catch (error) {
          return (error as Error).name;
        }
      };
      const element = document.createElement('div');
      return {
        innerHTML: tryIt(() => {
          element.innerHTML = '<img src=x>';
        }),
        insertAdjacentHTML: tryIt(() => element.insertAdjacentHTML('beforeend', '<b>x</b>')),
        scriptText: tryIt(() => {
          document.createElement('script').textContent = 'window.__ran = 1';
        }),
        policy: tryIt(() => {
          (
            window as unknown as { trustedTypes: { createPolicy(n: string, o: object): unknown } }
          ).trustedTypes.createPolicy('escape-hatch', { createHTML: (s: string) => s });
        }),
      };
    });
    expect(outcome).toEqual({
      innerHTML: 'TypeError',
      insertAdjacentHTML: 'TypeError',
      scriptText: 'TypeError',
      policy: 'TypeError',
    });
  } finally {
    await page.close();
  }
});
