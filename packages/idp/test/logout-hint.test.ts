import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, type BrowserContext, chromium, type Page } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientOf,
  decodeJwt,
  passwordGrant,
  pkce,
  realmJson,
  redeemCode,
  startTestIdp,
  type TestIdp,
} from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.REQUIRE_BROWSER === '1') {
  throw new Error(`REQUIRE_BROWSER=1 but ${CHROMIUM} is missing`);
}

/**
 * RP-Initiated Logout 1.0 §2 and §6: a logout request signs the browser out without asking only
 * when its id_token_hint belongs to the browser's own session. Any other valid ID token — another
 * user's, an old session's, expired — that a third-party site puts in a link must not sign the
 * victim out; the IdP asks instead.
 */
describe.skipIf(!hasChromium)(
  'forced sign-out from another site (Chromium)',
  { timeout: 60_000 },
  () => {
    let idp: TestIdp;
    let app: Server;
    let appUrl: string;
    let browser: Browser;

    beforeAll(async () => {
      app = createServer((req, res) => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        if (path === '/attack') {
          // The attacker's page: a top-level navigation to the IdP's logout with a hint it holds.
          const target = new URL(req.url ?? '/', 'http://x').searchParams.get('to') ?? '';
          res.writeHead(200, { 'content-type': 'text/html' });
          res.end(`<!doctype html><script>location.href=${JSON.stringify(target)}</script>`);
          return;
        }
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><p>app</p>');
      });
      await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
      appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
      const realm = realmJson();
      const ui = clientOf(realm, 'todo-ui');
      ui.redirectUris = [`${appUrl}/*`];
      ui.webOrigins = [appUrl];
      ui.attributes = { ...ui.attributes, 'post.logout.redirect.uris': `${appUrl}/*` };
      idp = await startTestIdp({ realm });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    });
    afterAll(async () => {
      await browser?.close();
      await idp?.close();
      await new Promise<void>((r) => (app ? app.close(() => r()) : r()));
    });

    function authUrl(challenge: string): string {
      return `${idp.discovery.authorization_endpoint}?${new URLSearchParams({
        client_id: 'todo-ui',
        response_type: 'code',
        redirect_uri: `${appUrl}/callback`,
        scope: 'openid',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      })}`;
    }

    /** Signs `username` in through the login page; returns their ID token of this session. */
    async function signIn(page: Page, username: string): Promise<string> {
      const { verifier, challenge } = pkce();
      await page.goto(authUrl(challenge));
      await page.fill('#username', username);
      await page.fill('#password', username);
      await Promise.all([page.waitForURL(`${appUrl}/callback**`), page.click('#kc-login')]);
      const code = new URL(page.url()).searchParams.get('code') ?? undefined;
      const { body } = await redeemCode(idp, code, verifier, `${appUrl}/callback`);
      return body.id_token as string;
    }

    /** Whether the browser still has an IdP session: a new authorization needs no login page. */
    async function stillSignedIn(page: Page): Promise<boolean> {
      await page.goto(authUrl(pkce().challenge));
      return page.url().startsWith(`${appUrl}/callback`);
    }

    async function victim(): Promise<{ context: BrowserContext; page: Page; own: string }> {
      const context = await browser.newContext();
      const page = await context.newPage();
      const own = await signIn(page, 'alice');
      return { context, page, own };
    }

    function logoutUrl(hint: string, returnTo?: string): string {
      return `${idp.discovery.end_session_endpoint}?${new URLSearchParams({
        id_token_hint: hint,
        ...(returnTo ? { post_logout_redirect_uri: returnTo } : {}),
      })}`;
    }

    async function attack(page: Page, hint: string): Promise<void> {
      await page.goto(`${appUrl}/attack?${new URLSearchParams({ to: logoutUrl(hint) })}`);
      await page.waitForURL(`${idp.discovery.end_session_endpoint}**`);
      await page.waitForLoadState('networkidle');
    }

    it("another user's ID token shows the confirmation page and leaves the session alone", async () => {
      const { context, page } = await victim();
      const bobs = (await passwordGrant(idp, 'bob', 'bob', { scope: 'openid' })).body
        .id_token as string;
      await attack(page, bobs);
      expect(await page.textContent('h1')).toBe('Do you want to sign out?');
      expect(await stillSignedIn(page)).toBe(true);
      await context.close();
    });

    it("the same user's ID token from another session (another sid) asks too", async () => {
      const { context, page, own } = await victim();
      const other = (await passwordGrant(idp, 'alice', 'alice', { scope: 'openid' })).body
        .id_token as string;
      expect(decodeJwt(other).payload.sub).toBe(decodeJwt(own).payload.sub);
      expect(decodeJwt(other).payload.sid).not.toBe(decodeJwt(own).payload.sid);
      await attack(page, other);
      expect(await page.textContent('h1')).toBe('Do you want to sign out?');
      expect(await stillSignedIn(page)).toBe(true);
      await context.close();
    });

    it("the session's own ID token signs out without a question and returns to the app", async () => {
      const { context, page, own } = await victim();
      expect(decodeJwt(own).payload.sid).toEqual(expect.any(String));
      await page.goto(logoutUrl(own, `${appUrl}/signed-out`));
      await page.waitForURL(`${appUrl}/signed-out**`);
      expect(await stillSignedIn(page)).toBe(false);
      await context.close();
    });
  },
);
