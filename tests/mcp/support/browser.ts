/**
 * A person at a browser, over plain HTTP: follows the authorization redirect to the dev IdP's
 * login page, submits the login form, allows the consent page a registered client's first
 * sign-in shows, and stops at the client's redirect URI, returning the authorization code.
 */
export class SignInBrowser {
  readonly #cookies = new Map<string, string>();
  /** The consent page, when the sign-in showed one. */
  consentPage: string | undefined;

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.#cookies.size > 0)
      headers.set('cookie', [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const cookie of res.headers.getSetCookie()) {
      const pair = cookie.split(';')[0] ?? '';
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(cookie)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return res;
  }

  /** Follows redirects from `url` until a page, or a URL starting with `stopAt`. */
  async follow(url: string, stopAt: string, init?: RequestInit) {
    let current = url;
    let res = await this.fetch(current, init);
    for (let i = 0; i < 10 && res.status >= 300 && res.status < 400; i++) {
      current = new URL(res.headers.get('location') as string, current).href;
      if (current.startsWith(stopAt)) return { url: current, page: undefined };
      res = await this.fetch(current);
    }
    if (res.status !== 200) throw new Error(`sign-in stopped at ${res.status} ${current}`);
    return { url: current, page: await res.text() };
  }

  /** Posts a page's form with `fields` and follows on. */
  async submit(at: { url: string; page: string }, fields: Record<string, string>, stopAt: string) {
    const action = /<form[^>]*action="([^"]+)"/.exec(at.page)?.[1];
    if (!action) throw new Error(`no form at ${at.url}`);
    return this.follow(new URL(action.replace(/&#38;|&amp;/g, '&'), at.url).href, stopAt, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
  }

  /** Signs `username` in (password = username, the dev realm) and returns the code. */
  async signIn(authorization: URL, username: string, redirectUri: string): Promise<string> {
    let at = await this.follow(authorization.href, redirectUri);
    if (at.page !== undefined)
      at = await this.submit(
        at as { url: string; page: string },
        { username, password: username },
        redirectUri,
      );
    if (at.page?.includes('id="kc-consent-form"')) {
      this.consentPage = at.page;
      at = await this.submit(at as { url: string; page: string }, { accept: 'yes' }, redirectUri);
    }
    const code = new URL(at.url).searchParams.get('code');
    if (at.page !== undefined || !code)
      throw new Error(`sign-in did not return a code (${at.url})`);
    return code;
  }
}
