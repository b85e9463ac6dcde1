import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import type { StoredSession } from '../src/store/types.js';
import { browser } from './support/browser.js';
import { type Stack, startStack } from './support/stack.js';

/**
 * `todo login --browser`: the authorization code grant through a loopback redirect (RFC 8252)
 * against the real dev IdP, with a real HTTP client as the browser (cookies, redirects, the
 * login form). The browser stops before the redirect to the CLI's listener, so a test can send
 * what an attacker on this machine would, or change the response on its way.
 */

interface Browsed {
  /** The redirect to the CLI's listener, as the provider sent it. */
  callback: string;
}

/** A person signing in at `url` in a browser; stops at the redirect to 127.0.0.1. */
async function signInAt(url: string, username: string): Promise<Browsed> {
  const redirectUri = new URL(url).searchParams.get('redirect_uri') as string;
  const { go, post } = browser();
  let current = url;
  let res = await go(current);
  for (let step = 0; step < 12; step++) {
    if (res.status >= 300 && res.status < 400) {
      current = new URL(res.headers.get('location') as string, current).href;
      if (current.startsWith(`${redirectUri}?`)) return { callback: current };
      res = await go(current);
      continue;
    }
    const html = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (action === undefined) throw new Error(`no form on ${current}: ${html.slice(0, 300)}`);
    const hidden: Record<string, string> = {};
    for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
      hidden[m[1] as string] = m[2] as string;
    const target = new URL(action.replace(/&#38;/g, '&'), current).href;
    const fields: Record<string, string> = html.includes('name="password"')
      ? { username, password: username }
      : { ...hidden, confirm: 'yes' };
    res = await post(target, fields);
  }
  throw new Error('the sign-in did not come back to the loopback redirect');
}

interface Visit {
  status: number;
  headers: Headers;
  body: string;
}

async function visit(url: string): Promise<Visit> {
  const res = await fetch(url, { redirect: 'manual' });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** Whether anything still listens at `url`'s port. */
async function listening(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

interface TokenRequest {
  url: string;
  form: URLSearchParams;
  dpop: string | null;
}

let stack: Stack;
const dirs: string[] = [];

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/**
 * Runs `todo login --browser` in-process; `browser` gets the URL the CLI opens. With `virtualWait`
 * the CLI's waits pass at once on a clock of their own (for the timeout).
 */
async function login(browser: (url: string) => void, virtualWait = false) {
  const dir = await mkdtemp(join(tmpdir(), 'todo-cli-loopback-'));
  dirs.push(dir);
  const tokenRequests: TokenRequest[] = [];
  const out: string[] = [];
  const err: string[] = [];
  let offset = 0;
  const code = await main(['login', '--browser'], {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: {
      TODO_CONFIG_DIR: dir,
      TODO_ISSUER: stack.issuer,
      TODO_API_URL: stack.apiUrl,
      TODO_TOKEN_STORE: 'file',
      // Bound tokens even though this API accepts bearer ones: the proof path of the code grant.
      TODO_DPOP: 'on',
    },
    fetch: async (input, init) => {
      const request = new Request(input, init);
      if (request.url.endsWith('/token'))
        tokenRequests.push({
          url: request.url,
          form: new URLSearchParams(await request.clone().text()),
          dpop: request.headers.get('dpop'),
        });
      return globalThis.fetch(request);
    },
    now: () => Date.now() + offset,
    sleep: virtualWait
      ? async (ms) => {
          offset += ms;
          await new Promise((resolve) => setImmediate(resolve));
        }
      : (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    openBrowser: async (url) => {
      browser(url);
      return true;
    },
  });
  const sessionsFile = join(dir, 'sessions.json');
  const stored = existsSync(sessionsFile)
    ? (Object.values(JSON.parse(await readFile(sessionsFile, 'utf8')))[0] as StoredSession)
    : undefined;
  return { code, out: out.join('\n'), err: err.join('\n'), tokenRequests, stored };
}

/** The authorization request's parameters. */
const paramsOf = (url: string) => Object.fromEntries(new URL(url).searchParams);

describe('todo login --browser (RFC 8252) against the dev IdP', () => {
  it('signs in through 127.0.0.1 at an ephemeral port with PKCE S256; the page tells nothing; the port closes', async () => {
    let opened = '';
    let page: Promise<Visit> | undefined;
    const result = await login((url) => {
      opened = url;
      page = signInAt(url, 'alice').then(({ callback }) => visit(callback));
    });
    expect(result.err).not.toContain('refused');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^Signed in as alice at /);

    const request = paramsOf(opened);
    // §7.3 and §8.3: the loopback IP literal, not localhost, at a port the system chose.
    expect(request.redirect_uri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(request).toMatchObject({ response_type: 'code', client_id: 'todo-cli' });
    // §8.1 and RFC 7636 §4.2: S256, never plain.
    expect(request.code_challenge_method).toBe('S256');
    expect(request.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(request.state?.length).toBeGreaterThanOrEqual(43);
    expect(request.dpop_jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // The code is redeemed once, with the verifier of that challenge (RFC 7636 §4.1, §4.5).
    expect(result.tokenRequests).toHaveLength(1);
    const { form, dpop } = result.tokenRequests[0] as TokenRequest;
    expect(form.get('grant_type')).toBe('authorization_code');
    expect(form.get('redirect_uri')).toBe(request.redirect_uri);
    const verifier = form.get('code_verifier') as string;
    expect(verifier).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(request.code_challenge);
    expect(dpop).toBeTruthy();
    expect(result.stored?.dpopKey).toBeDefined();

    // The page after the redirect repeats nothing of it, is not cached and loads nothing.
    const shown = await (page as Promise<Visit>);
    expect(shown.status).toBe(200);
    expect(shown.body).toContain('signed in');
    const callback = new URL(request.redirect_uri as string);
    for (const secret of [form.get('code') as string, request.state as string])
      expect(shown.body).not.toContain(secret);
    expect(shown.headers.get('cache-control')).toBe('no-store');
    expect(shown.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(shown.headers.get('referrer-policy')).toBe('no-referrer');
    // One redirect, then the listener is gone.
    expect(await listening(callback.href)).toBe(false);
  });

  it('listens on 127.0.0.1 alone, not on every interface (RFC 8252 §8.3)', async () => {
    let reachable: Promise<{ own: boolean; other: boolean }> | undefined;
    const result = await login((url) => {
      const redirect = new URL(paramsOf(url).redirect_uri as string);
      // Another loopback address reaches a socket bound to every interface, not this one.
      const other = new URL(redirect.href);
      other.hostname = '127.0.0.2';
      reachable = (async () => {
        const found = { own: await listening(redirect.href), other: await listening(other.href) };
        await visit((await signInAt(url, 'alice')).callback);
        return found;
      })();
    });
    expect(result.code).toBe(0);
    expect(await reachable).toEqual({ own: true, other: false });
  });

  it('goes on waiting when something else on this machine calls the port first with another state', async () => {
    const attempts: Visit[] = [];
    const result = await login((url) => {
      const redirect = paramsOf(url).redirect_uri as string;
      void (async () => {
        // Before the person has signed in: a code of the attacker's, with a guessed state,
        // without one, with two, at another path, by POST.
        attempts.push(
          await visit(
            `${redirect}?code=attacker-code&state=guessed&iss=${encodeURIComponent(stack.issuer)}`,
          ),
        );
        attempts.push(await visit(`${redirect}?code=attacker-code`));
        attempts.push(await visit(`${redirect}?code=attacker-code&state=a&state=b`));
        attempts.push(await visit(`${new URL(redirect).origin}/?code=attacker-code`));
        const posted = await fetch(redirect, { method: 'POST', body: 'code=attacker-code' });
        attempts.push({
          status: posted.status,
          headers: posted.headers,
          body: await posted.text(),
        });
        const { callback } = await signInAt(url, 'alice');
        await visit(callback);
      })();
    });
    expect(result.err).not.toContain('refused');
    expect(result.code).toBe(0);
    expect(attempts.map((a) => a.status)).toEqual([400, 400, 400, 400, 400]);
    for (const a of attempts) expect(a.body).not.toContain('attacker-code');
    expect(result.tokenRequests).toHaveLength(1);
    expect(result.tokenRequests[0]?.form.get('code')).not.toBe('attacker-code');
    expect(result.stored?.accessToken).toBeTruthy();
  });

  it('refuses a response that names another issuer, or none, and redeems nothing (RFC 9207)', async () => {
    for (const change of ['another', 'none'] as const) {
      let shown: Promise<Visit> | undefined;
      const result = await login((url) => {
        shown = signInAt(url, 'alice').then(({ callback }) => {
          const changed = new URL(callback);
          expect(changed.searchParams.get('iss')).toBe(stack.issuer);
          if (change === 'another') changed.searchParams.set('iss', 'https://idp.example.org');
          else changed.searchParams.delete('iss');
          return visit(changed.href);
        });
      });
      expect(result.code).toBe(1);
      expect(result.err).toMatch(
        change === 'another'
          ? /names the issuer https:\/\/idp\.example\.org, not http:\/\/127\.0\.0\.1:\d+\/realms\/todo-app \(RFC 9207\)/
          : /has no iss, which the provider says it sends \(RFC 9207\)/,
      );
      expect(result.tokenRequests).toHaveLength(0);
      expect(result.stored).toBeUndefined();
      expect((await (shown as Promise<Visit>)).status).toBe(400);
    }
  });

  it('refuses a response that repeats code, state, iss or error, tells the page, and redeems nothing (RFC 6749 §3.1)', async () => {
    for (const name of ['code', 'state', 'iss', 'error'] as const) {
      let shown: Promise<Visit> | undefined;
      const result = await login((url) => {
        const { state } = paramsOf(url);
        shown = signInAt(url, 'alice').then(({ callback }) => {
          const changed = new URL(callback);
          const again = { code: 'attacker-code', state, iss: stack.issuer, error: 'access_denied' };
          if (name === 'error') changed.searchParams.append('error', 'access_denied');
          changed.searchParams.append(name, again[name] as string);
          return visit(changed.href);
        });
      });
      expect(result.code, name).toBe(1);
      expect(result.err, name).toContain(
        `The authorization response sends ${name} more than once (RFC 6749 §3.1); nothing was redeemed`,
      );
      expect(result.tokenRequests, name).toHaveLength(0);
      expect(result.stored, name).toBeUndefined();
      const page = await (shown as Promise<Visit>);
      expect(page.status, name).toBe(400);
      expect(page.body, name).toContain('more than once');
      expect(page.body, name).toContain('Nothing was redeemed');
      expect(page.body, name).not.toContain('attacker-code');
    }
  });

  it('ends with the provider’s error, which the page does not repeat', async () => {
    let shown: Promise<Visit> | undefined;
    const result = await login((url) => {
      const { redirect_uri, state } = paramsOf(url);
      const error = new URL(redirect_uri as string);
      error.searchParams.set('error', 'access_denied');
      error.searchParams.set('error_description', 'The person said no <b>here</b>');
      error.searchParams.set('state', state as string);
      error.searchParams.set('iss', stack.issuer);
      shown = visit(error.href);
    });
    expect(result.code).toBe(1);
    expect(result.err).toContain(
      'todo login: The sign-in was refused: access_denied: The person said no <b>here</b>',
    );
    const page = await (shown as Promise<Visit>);
    expect(page.status).toBe(400);
    expect(page.body).not.toContain('said no');
    expect(result.tokenRequests).toHaveLength(0);
  });

  it('gives up after five minutes without the browser, and closes the port', async () => {
    let redirect = '';
    const result = await login((url) => {
      redirect = paramsOf(url).redirect_uri as string;
    }, true);
    expect(result).toMatchObject({ code: 1 });
    expect(result.err).toContain('No answer from the browser within 5 minutes');
    expect(await listening(redirect)).toBe(false);
  });
});
