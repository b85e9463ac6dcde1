import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { type Browser, chromium } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientOf, decodeJwt, realmJson, startTestIdp, type TestIdp } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.REQUIRE_BROWSER === '1') {
  throw new Error(`REQUIRE_BROWSER=1 but ${CHROMIUM} is missing`);
}

const require = createRequire(import.meta.url);
const KEYCLOAK_JS = join(dirname(require.resolve('keycloak-js')), 'keycloak.js');
const OIDC_CLIENT_TS = join(
  dirname(require.resolve('oidc-client-ts')),
  '..',
  'browser',
  'oidc-client-ts.min.js',
);

/** The two single-page apps under test, each a few lines on top of its library. */
function pages(idp: TestIdp): Record<string, [string, string]> {
  const keycloakPage = `<!doctype html><meta charset="utf-8"><title>kc</title>
<script type="module">
import Keycloak from '/keycloak.js';
const kc = new Keycloak({ url: ${JSON.stringify(idp.url)}, realm: 'todo-app', clientId: 'todo-ui' });
kc.init({ onLoad: 'login-required', pkceMethod: 'S256' }).then(async (ok) => {
  const profile = ok ? await kc.loadUserProfile().catch((e) => ({ error: String(e) })) : null;
  const info = ok ? await kc.loadUserInfo() : null;
  window.result = { ok, token: kc.token, refresh: Boolean(kc.refreshToken), info, profile };
}, (e) => { window.result = { error: String(e && (e.error || e.message) || e) }; });
</script>`;
  const oidcPage = `<!doctype html><meta charset="utf-8"><title>oc</title>
<script src="/oidc-client-ts.js"></script>
<script>
const mgr = new oidc.UserManager({ authority: ${JSON.stringify(idp.issuer)}, client_id: 'todo-ui',
  redirect_uri: location.origin + '/oc.html', response_type: 'code', scope: 'openid profile email',
  loadUserInfo: true });
(location.search.includes('code=') ? mgr.signinRedirectCallback().then((user) => {
  window.result = { ok: true, token: user.access_token, profile: user.profile, refresh: Boolean(user.refresh_token) };
}) : mgr.signinRedirect()).catch((e) => { window.result = { error: String(e && e.message || e) }; });
</script>`;
  return {
    '/kc.html': ['text/html', keycloakPage],
    '/oc.html': ['text/html', oidcPage],
    '/keycloak.js': ['text/javascript', readFileSync(KEYCLOAK_JS, 'utf8')],
    '/oidc-client-ts.js': ['text/javascript', readFileSync(OIDC_CLIENT_TS, 'utf8')],
  };
}

describe.skipIf(!hasChromium)('real browser sign-in against the dev IdP (Debian Chromium)', () => {
  let idp: TestIdp;
  let app: Server;
  let appUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    app = createServer();
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    const realm = realmJson();
    const ui = clientOf(realm, 'todo-ui');
    ui.redirectUris = [`${appUrl}/*`];
    ui.webOrigins = [appUrl];
    idp = await startTestIdp({ realm });
    const served = pages(idp);
    app.on('request', (req, res) => {
      const page = served[new URL(req.url ?? '/', appUrl).pathname];
      if (!page) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': page[0] }).end(page[1]);
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-gpu',
        '--no-first-run',
      ],
    });
    // A first Chromium start on a fresh machine, beside the other suites' workers, has taken
    // over 30 s (font and profile caches built cold); the sign-ins themselves stay bounded.
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await idp?.close();
    await new Promise<void>((r) => {
      app?.close(() => r());
      app?.closeAllConnections();
    });
  });

  async function signIn(path: string, username: string) {
    const context = await browser.newContext();
    const page = await context.newPage();
    if (process.env.DEBUG_BROWSER) {
      page.on('console', (m) => console.log('console:', m.text()));
      page.on('framenavigated', (f) => console.log('nav:', f.url()));
    }
    try {
      await page.goto(`${appUrl}${path}`);
      await page.waitForURL(/\/login-actions\/authenticate\//, { timeout: 10_000 });
      expect(await page.textContent('.dev')).toContain('Development only');
      await page.fill('#username', username);
      await page.fill('#password', username);
      await page.click('#kc-login');
      await page.waitForFunction(
        () => (globalThis as { result?: unknown }).result !== undefined,
        null,
        {
          timeout: 10_000,
        },
      );
      return (await page.evaluate(() => (globalThis as { result?: unknown }).result)) as {
        ok?: boolean;
        error?: string;
        token?: string;
        refresh?: boolean;
        info?: Record<string, unknown>;
        profile?: Record<string, unknown>;
      };
    } finally {
      await context.close();
    }
  }

  it('keycloak-js (the official adapter) completes a login with PKCE and loads userinfo', async () => {
    const result = await signIn('/kc.html', 'alice');
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.refresh).toBe(true);
    expect(decodeJwt(result.token as string).payload).toMatchObject({
      iss: idp.issuer,
      azp: 'todo-ui',
      aud: 'todo-api',
      preferred_username: 'alice',
      realm_access: { roles: ['user'] },
    });
    expect(result.info).toMatchObject({ preferred_username: 'alice', department: 'engineering' });
  }, 30_000);

  it('oidc-client-ts completes a login (discovery, PKCE, token, userinfo)', async () => {
    const result = await signIn('/oc.html', 'carol');
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.refresh).toBe(true);
    expect(result.profile).toMatchObject({ preferred_username: 'carol', typ: 'ID' });
    expect(decodeJwt(result.token as string).payload).toMatchObject({
      azp: 'todo-ui',
      aud: 'todo-api',
      resource_access: { 'todo-api': { roles: ['reports:generate', 'todos:read', 'todos:write'] } },
    });
  }, 30_000);
});
