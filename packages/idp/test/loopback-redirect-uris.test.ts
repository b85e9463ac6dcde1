import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, type TestIdp } from './helpers.js';

/**
 * RFC 8252 §7.3: the shipped realm registers `todo-cli`'s redirect URIs as the loopback IP
 * literals without a port (`http://127.0.0.1/callback`, `http://[::1]/callback`), and the
 * authorization endpoint takes them at any port, as Keycloak does; everything but the port is
 * compared as registered, and `localhost` is not a loopback IP literal (§8.3).
 */
let idp: TestIdp;

beforeAll(async () => {
  idp = await startTestIdp();
});
afterAll(async () => {
  await idp?.close();
});

/** The authorization endpoint's answer to todo-cli with `redirectUri`. */
async function authorize(redirectUri: string): Promise<{ status: number; location: string }> {
  const url = new URL(idp.discovery.authorization_endpoint as string);
  for (const [name, value] of Object.entries({
    response_type: 'code',
    client_id: 'todo-cli',
    redirect_uri: redirectUri,
    scope: 'openid',
    state: 'state-of-the-test',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  }))
    url.searchParams.set(name, value);
  const res = await fetch(url, { redirect: 'manual' });
  await res.body?.cancel();
  return { status: res.status, location: res.headers.get('location') ?? '' };
}

describe('loopback redirect URIs at any port (RFC 8252 §7.3)', () => {
  it('takes 127.0.0.1 and [::1] at any port, and without one', async () => {
    for (const uri of [
      'http://127.0.0.1:53710/callback',
      'http://127.0.0.1:1/callback',
      'http://127.0.0.1:65535/callback',
      'http://127.0.0.1/callback',
      'http://[::1]:61234/callback',
    ]) {
      const answer = await authorize(uri);
      // On to the sign-in (an interaction), not the error page.
      expect({ uri, status: answer.status }).toEqual({ uri, status: 303 });
      expect(answer.location).not.toContain('error=');
    }
  });

  it('compares everything but the port: another path, host, scheme or a user part is refused', async () => {
    for (const uri of [
      'http://127.0.0.1:53710/callback/../admin',
      'http://127.0.0.1:53710/callbackx',
      'http://127.0.0.1:53710/other',
      'http://localhost:53710/callback',
      'https://127.0.0.1:53710/callback',
      'http://127.0.0.2:53710/callback',
      'http://127.0.0.1:53710@evil.example/callback',
      'http://127.0.0.1:53710.evil.example/callback',
      'http://127.0.0.1:/callback',
    ]) {
      const answer = await authorize(uri);
      // oidc-provider answers a redirect URI it does not take with its error page, never a
      // redirect to that URI.
      expect({ uri, status: answer.status }).toEqual({ uri, status: 400 });
    }
  });
});
