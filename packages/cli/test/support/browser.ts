/**
 * A browser over HTTP: a cookie jar and manual redirects. `go` fetches with the jar's cookies
 * and keeps those set; `post` sends a form.
 */
export function browser() {
  const cookies = new Map<string, string>();
  const go = async (target: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (cookies.size > 0)
      headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const eq = pair.indexOf('=');
      cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  };
  const post = (target: string, fields: Record<string, string>) =>
    go(target, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  return { go, post };
}

/**
 * A person approving a device code in a browser, over HTTP: a cookie jar, manual redirects,
 * the verification page's form (code confirmation) and the login form.
 */
export async function approveDeviceCode(url: string, username: string, password = username) {
  const { go, post } = browser();
  let current = url;
  let res = await go(current);
  for (let step = 0; step < 10; step++) {
    if (res.status >= 300 && res.status < 400) {
      current = new URL(res.headers.get('location') as string, current).href;
      res = await go(current);
      continue;
    }
    const html = await res.text();
    if (!html.includes('<form')) return html;
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1] as string;
    const hidden: Record<string, string> = {};
    for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
      hidden[m[1] as string] = m[2] as string;
    const target = new URL(action.replace(/&#38;/g, '&'), current).href;
    res = html.includes('name="password"')
      ? await post(target, { username, password })
      : await post(target, { ...hidden, confirm: 'yes' });
  }
  throw new Error('the device approval did not finish');
}
