/**
 * DPoP (RFC 9449) for the interactive docs. Swagger UI knows nothing of DPoP, and a client that
 * requires it (the shipped `todo-ui`) gets no token without a proof. This script, served with
 * the docs (`script-src 'self'`), wraps `fetch` in the docs page: it holds a non-extractable
 * ES256 key pair (WebCrypto) for the page's lifetime, adds a proof to every token request
 * (§5) and, when the access token is DPoP-bound (`cnf.jkt`, §6.1), sends it with the `DPoP`
 * scheme and a proof for each call (§7.1). Bearer tokens pass unchanged. Kept as a string: it
 * runs in the browser, outside the API's build.
 */
export const DOCS_DPOP_SCRIPT = `(() => {
  'use strict';
  const keys = crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const encoder = new TextEncoder();
  const b64 = (bytes) =>
    btoa(String.fromCharCode(...new Uint8Array(bytes)))
      .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  const json = (value) => b64(encoder.encode(JSON.stringify(value)));
  async function proof(method, url, token) {
    const { publicKey, privateKey } = await keys;
    const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', publicKey);
    const htu = new URL(url, location.href);
    htu.search = '';
    htu.hash = '';
    const claims = { jti: crypto.randomUUID(), htm: method, htu: htu.href, iat: Math.floor(Date.now() / 1000) };
    if (token) claims.ath = b64(await crypto.subtle.digest('SHA-256', encoder.encode(token)));
    const input = json({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } }) + '.' + json(claims);
    const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, encoder.encode(input));
    return input + '.' + b64(signature);
  }
  function bound(token) {
    try {
      const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      return typeof JSON.parse(atob(payload)).cnf?.jkt === 'string';
    } catch {
      return false;
    }
  }
  const original = window.fetch.bind(window);
  window.fetch = async (input, init = {}) => {
    const url = typeof input === 'string' ? input : input.url;
    const method = (init.method || 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    const body = typeof init.body === 'string' || init.body instanceof URLSearchParams ? String(init.body) : '';
    if (method === 'POST' && /(^|&)grant_type=/.test(body)) headers.set('DPoP', await proof('POST', url));
    const authorization = headers.get('Authorization') || '';
    // Swagger UI writes the token response's token_type as the scheme: DPoP for a bound token.
    const token = /^(Bearer|DPoP) /i.test(authorization) ? authorization.replace(/^\\S+ /, '') : '';
    if (token && bound(token)) {
      headers.set('Authorization', 'DPoP ' + token);
      headers.set('DPoP', await proof(method, url, token));
    }
    return original(input, { ...init, headers });
  };
})();
`;
