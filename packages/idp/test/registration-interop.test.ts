import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerConsent, Browser, form, formAction, startTestIdp, type TestIdp } from './helpers.js';
import { ADMIN_OTP_SECRET, totpCode } from './step-up-helpers.js';

/**
 * Registration, resource indicators and step-up as panva's `openid-client` (an independent,
 * certified relying-party library) does them: it registers itself (RFC 7591), signs in with PKCE
 * and a `resource` (RFC 8707), and validates the ID tokens it gets.
 */
const CALLBACK = 'http://127.0.0.1:4599/callback';
const RESOURCE = 'http://127.0.0.1:4600/mcp';
let idp: TestIdp;

beforeAll(async () => {
  idp = await startTestIdp();
});
afterAll(async () => {
  await idp.close();
});

/**
 * Follows the authorization URL: submits the login form, then each of `codes` on the OTP page
 * (shown in answer to the password, 200), until the redirect to the callback.
 */
async function signIn(url: URL, username: string, codes: string[] = []): Promise<URL> {
  const browser = new Browser();
  const first = await browser.follow(url.href, CALLBACK);
  const at = first.url;
  let html = await first.res.text();
  let values: Record<string, string> = { username, password: username };
  for (;;) {
    const posted = await browser.fetch(formAction(html, at), form(values));
    if (posted.status !== 200) {
      // A registered client's first sign-in asks for consent: allowed here.
      const done = await answerConsent(
        browser,
        await browser.follow(new URL(posted.headers.get('location') as string, at).href, CALLBACK),
        CALLBACK,
      );
      return new URL(done.url);
    }
    html = await posted.text();
    if (html.includes('id="input-error"') || codes.length === 0)
      throw new Error('the sign-in was refused');
    values = { otp: codes.shift() as string };
  }
}

describe('openid-client registers itself and signs in for a resource', { timeout: 30_000 }, () => {
  it('registers a public client, signs alice in with PKCE for a resource, and gets a token for it alone', async () => {
    const config = await oidc.dynamicClientRegistration(
      new URL(idp.issuer),
      {
        redirect_uris: [CALLBACK],
        client_name: 'interop agent',
        token_endpoint_auth_method: 'none',
      },
      oidc.None(),
      { execute: [oidc.allowInsecureRequests] },
    );
    expect(config.clientMetadata().client_id).toEqual(expect.any(String));
    expect(config.clientMetadata().client_secret).toBeUndefined();

    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      resource: RESOURCE,
    });
    const tokens = await oidc.authorizationCodeGrant(
      config,
      await signIn(url, 'alice'),
      { pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: true },
      { resource: RESOURCE },
    );
    expect(tokens.claims()?.preferred_username).toBe('alice');
    const [, payload] = tokens.access_token.split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString('utf8'));
    expect(claims.aud).toBe(RESOURCE);
    expect(claims.azp).toBe(config.clientMetadata().client_id);
  });

  it('asks for the second factor on acr_values=mfa and returns a validated ID token with acr mfa', async () => {
    const config = await oidc.dynamicClientRegistration(
      new URL(idp.issuer),
      { redirect_uris: [CALLBACK], token_endpoint_auth_method: 'none' },
      oidc.None(),
      { execute: [oidc.allowInsecureRequests] },
    );
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      acr_values: 'mfa',
      max_age: '0',
    });
    const code = totpCode(Buffer.from(ADMIN_OTP_SECRET, 'utf8'));
    const tokens = await oidc.authorizationCodeGrant(config, await signIn(url, 'admin', [code]), {
      pkceCodeVerifier: verifier,
      idTokenExpected: true,
      maxAge: 0,
    });
    expect(tokens.claims()).toMatchObject({ acr: 'mfa', amr: ['pwd', 'otp'] });
  });
});
