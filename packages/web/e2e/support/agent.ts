import { createHash, randomBytes } from 'node:crypto';
import { type APIRequestContext, expect, type Page } from '@playwright/test';
import type { Urls } from './fixtures.js';

/** An agent's loopback callback; nothing listens there, the test reads the redirect itself. */
export const AGENT_CALLBACK = 'http://127.0.0.1:47999/callback';

/** The tokens an agent holds after signing a person in. */
export interface AgentTokens {
  clientId: string;
  accessToken: string;
  refreshToken: string;
}

function formAction(html: string, base: string): string {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error('no form on the page');
  return new URL(action.replace(/&amp;|&#38;/g, '&'), base).href;
}

/**
 * Follows redirects by hand (the request context keeps the cookies) until a page or the
 * agent's callback; returns where it stopped.
 */
async function follow(
  request: APIRequestContext,
  url: string,
): Promise<{ url: string; html: string }> {
  let current = url;
  for (let hop = 0; hop < 10; hop++) {
    if (current.startsWith(AGENT_CALLBACK)) return { url: current, html: '' };
    const response = await request.get(current, { maxRedirects: 0 });
    const location = response.headers().location;
    if (response.status() >= 300 && response.status() < 400 && location) {
      current = new URL(location, current).href;
      continue;
    }
    return { url: current, html: await response.text() };
  }
  throw new Error(`too many redirects from ${url}`);
}

async function post(request: APIRequestContext, url: string, form: Record<string, string>) {
  const response = await request.post(url, { form, maxRedirects: 0 });
  const location = response.headers().location;
  if (!location) throw new Error(`no redirect after posting to ${url} (${response.status()})`);
  return new URL(location, url).href;
}

/**
 * What an agent (an MCP client, say) does with the dev IdP over HTTP, no browser: registers
 * itself (RFC 7591), signs `username` in with PKCE for the API's MCP resource (RFC 8707),
 * submitting the login form and allowing it on the consent page, and redeems the code.
 * `request` must be a context of its own (its cookies are the agent's browser session).
 */
export async function agentSignIn(
  request: APIRequestContext,
  urls: Urls,
  username: string,
  clientName: string,
): Promise<AgentTokens> {
  const registered = await request.post(`${urls.issuer}/clients-registrations/openid-connect`, {
    data: { client_name: clientName, redirect_uris: [AGENT_CALLBACK] },
  });
  expect(registered.status()).toBe(201);
  const clientId = ((await registered.json()) as { client_id: string }).client_id;
  const verifier = randomBytes(32).toString('base64url');
  const resource = `${urls.api}/mcp`;
  const params = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: AGENT_CALLBACK,
    scope: 'openid',
    state: 'agent-state',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    resource,
  });
  const login = await follow(request, `${urls.issuer}/protocol/openid-connect/auth?${params}`);
  const afterLogin = await post(request, formAction(login.html, login.url), {
    username,
    password: username,
  });
  const consent = await follow(request, afterLogin);
  expect(consent.html).toContain('Grant access to');
  const done = await follow(
    request,
    await post(request, formAction(consent.html, consent.url), { accept: 'yes' }),
  );
  const code = new URL(done.url).searchParams.get('code');
  if (!code) throw new Error(`no code at ${done.url}`);
  const token = await request.post(`${urls.issuer}/protocol/openid-connect/token`, {
    form: {
      grant_type: 'authorization_code',
      client_id: clientId,
      code,
      redirect_uri: AGENT_CALLBACK,
      code_verifier: verifier,
      resource,
    },
  });
  expect(token.status()).toBe(200);
  const body = (await token.json()) as { access_token: string; refresh_token: string };
  return { clientId, accessToken: body.access_token, refreshToken: body.refresh_token };
}

/**
 * Adds an agent the person allowed, `clientId`, to every `/me/agents` list the page loads from
 * now on (the provider picks client ids, so a scenario that needs a particular one adds it here).
 */
export async function listAgentToo(page: Page, urls: Urls, clientId: string): Promise<void> {
  const now = new Date().toISOString();
  await page.route(`${urls.api}/me/agents`, async (route) => {
    try {
      const response = await route.fetch();
      const body = (await response.json()) as { items: unknown[] };
      body.items.push({ clientId, firstUsedAt: now, lastUsedAt: now });
      await route.fulfill({ response, json: body });
    } catch {
      // The page gave this request up (a reload or a refetch replaced it); the one that replaced
      // it is answered, and the scenario's checks rely on that one.
    }
  });
}
