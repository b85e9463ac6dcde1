import { createHash } from 'node:crypto';
import { expect, signIn, skipWithoutChromium, test } from './support/fixtures.js';

skipWithoutChromium();

/**
 * The authorization request the app sends and the code redemption that follows, as the IdP sees
 * them: PKCE with S256 and a verifier that hashes to the challenge (RFC 7636 §4.2, §4.5), an
 * unguessable `state` (RFC 6749 §10.12) and an OpenID Connect `nonce` (Core §3.1.2.1), each
 * fresh per sign-in, and no token or code in any address the app keeps.
 */
test('sign-in sends PKCE S256, state and nonce, each fresh, and redeems with the matching verifier', async ({
  page,
  urls,
}) => {
  const authorizations: URL[] = [];
  const redemptions: URLSearchParams[] = [];
  page.on('request', (req) => {
    if (req.url().startsWith(`${urls.issuer}/protocol/openid-connect/auth?`))
      authorizations.push(new URL(req.url()));
    if (req.method() === 'POST' && req.url().endsWith('/protocol/openid-connect/token')) {
      const form = new URLSearchParams(req.postData() ?? '');
      if (form.get('grant_type') === 'authorization_code') redemptions.push(form);
    }
  });
  await signIn(page, urls, 'alice');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${urls.web}/signed-out`);
  await signIn(page, urls, 'alice');

  expect(authorizations).toHaveLength(2);
  expect(redemptions).toHaveLength(2);
  for (const [i, request] of authorizations.entries()) {
    const q = request.searchParams;
    expect(q.get('response_type')).toBe('code');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')?.length).toBeGreaterThanOrEqual(22);
    expect(q.get('nonce')?.length ?? 0).toBeGreaterThanOrEqual(22);
    const verifier = redemptions[i]?.get('code_verifier') ?? '';
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(q.get('code_challenge'));
  }
  const [first, second] = authorizations.map((u) => u.searchParams);
  for (const name of ['state', 'nonce', 'code_challenge'])
    expect(first?.get(name)).not.toBe(second?.get(name));
  expect(page.url()).not.toMatch(/[?&](code|state|access_token|id_token)=/);
});
