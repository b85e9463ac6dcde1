import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DEFAULT_REALM_FILE,
  type IdpOptions,
  type Profile,
  type RunningIdp,
  startIdp,
} from '@todo-sso/idp';
import { seededDataDir } from './seed-keys.js';

export type RealmJson = Record<string, unknown> & {
  clients: (Record<string, unknown> & {
    clientId: string;
    attributes?: Record<string, string>;
    redirectUris?: string[];
    webOrigins?: string[];
  })[];
  users: (Record<string, unknown> & { username: string })[];
};

/**
 * A fresh, patchable copy of the repository's realm file, with `todo-ui` as a bearer client: the
 * suites about sessions, logout and the code flow redeem its codes without a DPoP proof. The
 * realm file requires DPoP for `todo-ui` (`dpop.bound.access.tokens`); dpop-bound-tokens.test.ts
 * runs that realm as it is, and the web app's end-to-end tests sign in through it.
 */
export function realmJson(): RealmJson {
  const realm = JSON.parse(readFileSync(DEFAULT_REALM_FILE, 'utf8')) as RealmJson;
  const ui = realm.clients.find((c) => c.clientId === 'todo-ui');
  if (ui?.attributes) delete ui.attributes['dpop.bound.access.tokens'];
  return realm;
}

export function clientOf(realm: RealmJson, clientId: string) {
  const client = realm.clients.find((c) => c.clientId === clientId);
  if (!client) throw new Error(`no client ${clientId}`);
  return client;
}

/**
 * The realm each profile's suites run by default: the Keycloak suites take the bearer copy above;
 * the Authentik profile has no DPoP, so it runs the realm file as it is.
 */
const DEFAULT_REALM: Readonly<Record<Profile, (() => RealmJson) | undefined>> = {
  keycloak: realmJson,
  authentik: undefined,
};

export interface TestIdp extends RunningIdp {
  discovery: Record<string, string>;
  dataDir: string;
}

export { seededDataDir } from './seed-keys.js';

/**
 * Starts the dev IdP on 127.0.0.1, an ephemeral port and a temporary data directory (its keys
 * seeded, see {@link seededDataDir}) unless `options.dataDir` names one.
 */
export async function startTestIdp(options: IdpOptions = {}): Promise<TestIdp> {
  const dataDir = options.dataDir ?? seededDataDir();
  const realm = options.realm ?? DEFAULT_REALM[options.profile ?? 'keycloak']?.();
  const idp = await startIdp({
    host: '127.0.0.1',
    port: 0,
    ...options,
    ...(realm === undefined ? {} : { realm }),
    dataDir,
  });
  // OpenID Connect Discovery 1.0 §4: the issuer without its trailing slash, then the path.
  const discoveryUrl = `${idp.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const discovery = (await (await fetch(discoveryUrl)).json()) as Record<string, string>;
  return {
    ...idp,
    discovery,
    dataDir,
    async close() {
      await idp.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function decodeJwt(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h as string, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(p as string, 'base64url').toString('utf8')),
  };
}

export function form(values: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(values).toString(),
  };
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export async function passwordGrant(
  idp: TestIdp,
  username: string,
  password = username,
  extra: Record<string, string> = {},
) {
  const res = await fetch(
    idp.discovery.token_endpoint as string,
    form({ grant_type: 'password', client_id: 'todo-cli', username, password, ...extra }),
  );
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

/** A minimal browser: a cookie jar and manual redirects. */
export class Browser {
  readonly #cookies = new Map<string, string>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.#cookies.size > 0) {
      headers.set('cookie', [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = (pair as string).indexOf('=');
      const name = (pair as string).slice(0, eq);
      const value = (pair as string).slice(eq + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(cookie)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return res;
  }

  /** Follows redirects until a non-redirect or a URL starting with `stopAt`. */
  async follow(
    url: string,
    stopAt: string,
    init: RequestInit = {},
  ): Promise<{ url: string; res: Response }> {
    let current = url;
    let res = await this.fetch(current, init);
    for (let i = 0; i < 10 && res.status >= 300 && res.status < 400; i++) {
      current = new URL(res.headers.get('location') as string, current).href;
      if (current.startsWith(stopAt)) return { url: current, res };
      res = await this.fetch(current);
    }
    return { url: current, res };
  }
}

/** Extracts a form's action from an HTML page. */
export function formAction(html: string, base: string): string {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error('no form on the page');
  return new URL(action.replace(/&#38;/g, '&'), base).href;
}

export function hiddenInputs(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
    out[m[1] as string] = m[2] as string;
  }
  return out;
}

/** Whether a page is the consent page a registered client's first sign-in shows. */
export function isConsentPage(html: string): boolean {
  return html.includes('id="kc-consent-form"');
}

/**
 * Where a sign-in stopped (`follow`'s answer): when it is the consent page, answers it — Allow
 * (`accept`) by default, or Deny (`cancel`) — and follows on to `stopAt`. Otherwise returns it
 * as it is.
 */
export async function answerConsent(
  browser: Browser,
  at: { url: string; res: Response },
  stopAt: string,
  answer: 'accept' | 'cancel' = 'accept',
): Promise<{ url: string; res: Response; consentPage?: string }> {
  if (at.url.startsWith(stopAt) || at.res.status !== 200) return at;
  const html = await at.res.text();
  if (!isConsentPage(html)) throw new Error('the sign-in stopped at a page that is not consent');
  const posted = await browser.fetch(
    formAction(html, at.url),
    form({ [answer]: answer === 'accept' ? 'yes' : 'no' }),
  );
  const done = await browser.follow(
    new URL(posted.headers.get('location') as string, at.url).href,
    stopAt,
  );
  return { ...done, consentPage: html };
}

/** Signs in through the login page with the authorization code flow; returns the code and state. */
export async function authorizationCodeLogin(
  idp: TestIdp,
  browser: Browser,
  params: Record<string, string>,
  username: string,
  password = username,
): Promise<{ code?: string; loginPage?: string; callback?: URL }> {
  const authUrl = `${idp.discovery.authorization_endpoint}?${new URLSearchParams(params)}`;
  const redirectUri = params.redirect_uri as string;
  const first = await browser.follow(authUrl, redirectUri);
  if (first.url.startsWith(redirectUri)) {
    const callback = new URL(first.url);
    return { code: callback.searchParams.get('code') ?? undefined, callback };
  }
  const html = await first.res.text();
  const posted = await browser.fetch(formAction(html, first.url), form({ username, password }));
  if (posted.status === 200) return { loginPage: await posted.text() };
  const done = await browser.follow(
    new URL(posted.headers.get('location') as string, first.url).href,
    redirectUri,
  );
  const callback = new URL(done.url);
  return { code: callback.searchParams.get('code') ?? undefined, callback };
}

/**
 * Redeems an authorization code at the token endpoint with its PKCE verifier (RFC 6749 §4.1.3,
 * RFC 7636 §4.5), as the public client `todo-ui` does.
 */
export async function redeemCode(
  idp: TestIdp,
  code: string | undefined,
  verifier: string,
  redirectUri: string,
): Promise<{ status: number; body: Record<string, string> }> {
  const res = await fetch(
    idp.discovery.token_endpoint as string,
    form({
      grant_type: 'authorization_code',
      client_id: 'todo-ui',
      code: code as string,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    }),
  );
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

/** An HTTP server on 127.0.0.1 that records back-channel logout requests. */
export async function startLogoutReceiver(): Promise<{
  url: string;
  tokens: string[];
  waitFor(count: number, timeoutMs?: number): Promise<string[]>;
  close(): Promise<void>;
}> {
  const tokens: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token');
      if (token) tokens.push(token);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/auth/backchannel-logout`,
    tokens,
    async waitFor(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (tokens.length < count && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 25));
      }
      return tokens;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/**
 * Completes a device authorization (RFC 8628 §3.3) in `browser`: opens the verification URI,
 * confirms the user code and signs in. Returns the last page.
 */
export async function approveDevice(
  browser: Browser,
  device: Record<string, string>,
  username: string,
  password = username,
): Promise<string> {
  let url = device.verification_uri_complete as string;
  let res = await browser.fetch(url);
  let last = '';
  for (let step = 0; step < 8; step++) {
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location') as string, url).href;
      res = await browser.fetch(url);
      continue;
    }
    last = await res.text();
    if (!last.includes('<form')) break;
    const fields: Record<string, string> = last.includes('name="password"')
      ? { username, password }
      : { ...hiddenInputs(last), user_code: device.user_code as string, confirm: 'yes' };
    res = await browser.fetch(formAction(last, url), form(fields));
  }
  return last;
}

/** The device flow for `todo-cli` end to end: start, approve as `username`, poll for tokens. */
export async function deviceGrant(
  idp: TestIdp,
  username: string,
): Promise<{ status: number; body: Record<string, string> }> {
  const start = await fetch(
    idp.discovery.device_authorization_endpoint as string,
    form({ client_id: 'todo-cli', scope: 'openid' }),
  );
  const device = (await start.json()) as Record<string, string>;
  await approveDevice(new Browser(), device, username);
  const res = await fetch(
    idp.discovery.token_endpoint as string,
    form({
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: 'todo-cli',
      device_code: device.device_code as string,
    }),
  );
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

/** A refresh at the token endpoint as the public client `clientId`. */
export async function refresh(
  idp: TestIdp,
  refreshToken: string,
  clientId = 'todo-cli',
): Promise<{ status: number; body: Record<string, string> }> {
  const res = await fetch(
    idp.discovery.token_endpoint as string,
    form({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken }),
  );
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

/**
 * A request over node:http, for what fetch will not send (a forged `Host`, an oversized body
 * with a stated length) and what it would hide (every response header).
 */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
