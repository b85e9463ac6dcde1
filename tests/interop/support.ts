/**
 * An OpenID provider nobody here configured for this product: panva's `oidc-provider` as it
 * ships (its own token formats, DPoP, introspection, device flow, back-channel logout and its
 * development sign-in pages), with none of the dev IdP's Keycloak imitation. Only what any
 * deployment must say is set: its clients, keys, accounts and the claims its access tokens carry.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';

export const HOST = '127.0.0.1';
/** Where the web app's sign-in comes back to (never served: the code is read from the URL). */
export const REDIRECT = 'http://localhost:3000/callback';
/** The RFC 8707 resource indicator of the API; its tokens carry the audience `todo-api`. */
export const RESOURCE = 'urn:todo-sso:api';
export const API_SECRET = 'todo-api-secret-of-the-stock-provider';
/** The claims of every person's access token: the generic profile's `roles` and `permissions`. */
export const PERSON_CLAIMS = { roles: ['user'], permissions: ['todos:read', 'todos:write'] };

export interface StockProviderOptions {
  /** The API's back-channel logout receiver, registered for `todo-ui` and `todo-cli`. */
  logoutUri: string;
  /** `jwt` (RFC 9068, verified against the JWKS) or `opaque` (RFC 7662 introspection). */
  accessTokenFormat: 'jwt' | 'opaque';
  /** Whether every DPoP proof must carry the provider's nonce (RFC 9449 §8). */
  requireDpopNonce?: boolean;
  /** Seconds an access token lives (default 300). */
  accessTokenTtl?: number;
}

export interface StockProvider {
  readonly issuer: string;
  readonly provider: Provider;
  /** Back-channel logouts oidc-provider reports it failed to deliver (its own event). */
  readonly deliveryErrors: string[];
  close(): Promise<void>;
}

/** Starts oidc-provider on a free loopback port. */
export async function startStockProvider(options: StockProviderOptions): Promise<StockProvider> {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const issuer = `http://${HOST}:${(server.address() as AddressInfo).port}`;
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  const keys = [
    { ...(await exportJWK(rsa.privateKey)), kid: 'rs', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.privateKey)), kid: 'es', alg: 'ES256', use: 'sig' },
  ];
  const logout = {
    backchannel_logout_uri: options.logoutUri,
    backchannel_logout_session_required: true,
  };
  const html = (ctx: { type: string; body: unknown }, form: string) => {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html><body>${form}</body></html>`;
  };
  const configuration: Configuration = {
    clients: [
      {
        client_id: 'todo-ui',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [REDIRECT],
        ...logout,
      },
      {
        client_id: 'todo-cli',
        token_endpoint_auth_method: 'none',
        // A native app (RFC 8252 §7.3): its loopback redirect at whatever port it listens on.
        application_type: 'native',
        grant_types: [
          'urn:ietf:params:oauth:grant-type:device_code',
          'authorization_code',
          'refresh_token',
        ],
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/callback'],
        ...logout,
      },
      {
        client_id: 'todo-api',
        client_secret: API_SECRET,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    jwks: { keys },
    // The receiver is on loopback here: its SSRF guard (a dispatcher refusing such addresses)
    // dropped, as any deployment whose relying parties share its network must.
    fetch: (url, init) => {
      const { dispatcher: _guard, ...rest } = init as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(url, rest);
    },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    ttl: {
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      // oidc-provider's own default, without its notice: the resource server's lifetime.
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 3600,
      IdToken: 300,
      RefreshToken: 3600,
      DeviceCode: 600,
    },
    async findAccount(_ctx, sub) {
      return {
        accountId: sub,
        claims: async () => ({ sub, preferred_username: sub, email: `${sub}@example.com` }),
      };
    },
    // What a deployment maps into tokens: the person's roles and permissions (generic profile).
    extraTokenClaims: async (_ctx, token) =>
      'accountId' in token && token.accountId ? PERSON_CLAIMS : undefined,
    features: {
      devInteractions: { enabled: true },
      // RFC 7591, open: an MCP client registers itself.
      registration: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      backchannelLogout: { enabled: true },
      deviceFlow: {
        enabled: true,
        userCodeInputSource: (ctx, form) => html(ctx, form),
        userCodeConfirmSource: (ctx, form) => html(ctx, form),
        successSource: (ctx) => html(ctx, '<p>Signed in.</p>'),
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) =>
          html(ctx, `${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">`),
        postLogoutSuccessSource: (ctx) => html(ctx, '<p>Signed out.</p>'),
      },
      dPoP: {
        enabled: true,
        nonceSecret: randomBytes(32),
        requireNonce: () => options.requireDpopNonce === true,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        // RFC 8707 §2: the API under its own name; any other resource (`<api>/mcp`) as itself.
        getResourceServerInfo: (_ctx, resource) => ({
          scope: 'todos',
          audience: resource === RESOURCE ? 'todo-api' : resource,
          accessTokenFormat: options.accessTokenFormat,
          accessTokenTTL: options.accessTokenTtl ?? 300,
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  };
  const provider = new Provider(issuer, configuration);
  const deliveryErrors: string[] = [];
  provider.on('backchannel.error', (_ctx, error, client) =>
    deliveryErrors.push(`${client.clientId}: ${String(error)}`),
  );
  handler = provider.callback();
  return {
    issuer,
    provider,
    deliveryErrors,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A cookie jar that follows nothing on its own: each redirect is the caller's to take. */
export class Browser {
  readonly #cookies = new Map<string, string>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.#cookies.size > 0)
      headers.set('cookie', [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return res;
  }

  /** GETs `url` and its redirects until one leads to `stopAt` (returned) or a page (its HTML). */
  async follow(url: string, stopAt: string): Promise<{ url: string; res: Response }> {
    let at = url;
    for (let hops = 0; hops < 10; hops++) {
      if (at.startsWith(stopAt)) return { url: at, res: new Response(null, { status: 303 }) };
      const res = await this.fetch(at);
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || location === null) return { url: at, res };
      at = new URL(location, at).href;
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** Posts `values` as a form to `action` (relative to `base`) and follows its redirects. */
  async submit(base: string, action: string, values: Record<string, string>, stopAt: string) {
    const target = new URL(action.replaceAll('&amp;', '&'), base).href;
    const res = await this.fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(values).toString(),
    });
    const location = res.headers.get('location');
    if (location === null) return { url: target, res };
    return this.follow(new URL(location, target).href, stopAt);
  }
}

/** The `action` of the first form of `html` and its hidden inputs. */
export function formOf(html: string): { action: string; hidden: Record<string, string> } {
  const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1];
  if (action === undefined) throw new Error(`no form in ${html.slice(0, 500)}`);
  const hidden: Record<string, string> = {};
  for (const m of html.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(m[0])?.[1];
    const value = /value="([^"]*)"/.exec(m[0])?.[1];
    if (name !== undefined) hidden[name] = value ?? '';
  }
  return { action, hidden };
}

/**
 * Signs `login` in on oidc-provider's own development pages (any password) and consents, from
 * the page `start` led to, until a redirect to `stopAt` or a page without a form (returned).
 */
export async function signInAt(
  browser: Browser,
  start: { url: string; res: Response },
  login: string,
  stopAt: string,
): Promise<{ url: string; res: Response }> {
  let at = start;
  for (let step = 0; step < 6 && !at.url.startsWith(stopAt); step++) {
    const html = await at.res.text();
    if (!html.includes('<form')) return { url: at.url, res: new Response(html) };
    const { action, hidden } = formOf(html);
    const values = /name="login"/.test(html)
      ? { ...hidden, login, password: login }
      : { ...hidden, prompt: hidden.prompt ?? 'consent' };
    at = await browser.submit(at.url, action, values, stopAt);
  }
  return at;
}

/** Signs the person of `browser` out at the provider (RP-Initiated Logout 1.0 §2), confirmed. */
export async function signOut(idp: StockProvider, browser: Browser, idToken: string) {
  const end = new URL(`${idp.issuer}/session/end`);
  end.searchParams.set('id_token_hint', idToken);
  const page = await browser.follow(end.href, 'none:');
  if (page.res.status !== 200) throw new Error(`end session: HTTP ${page.res.status}`);
  const { action, hidden } = formOf(await page.res.text());
  const done = await browser.submit(page.url, action, { ...hidden, logout: 'yes' }, 'none:');
  if (done.res.status !== 200) throw new Error(`end session confirmed: HTTP ${done.res.status}`);
}
