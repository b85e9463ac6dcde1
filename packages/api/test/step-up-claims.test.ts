import { admin } from '@todo-sso/auth/testing';
import { describe, expect, it } from 'vitest';
import { useStepUpHarness } from './support/step-up.js';

/**
 * The claims step-up decides on (RFC 9470 §3, OpenID Connect Core §2) as real signed tokens of
 * the test issuer reach them: levels compared exactly, `auth_time` that cannot be trusted
 * failing closed, and a cached token growing too old while it is cached.
 */
describe('admin step-up: acr and auth_time as the tokens carry them', () => {
  const h = useStepUpHarness();
  const now = () => Math.floor(Date.now() / 1000);
  const call = async (token: string, url = '/admin/audit') =>
    h.app.inject({ url, headers: { authorization: `Bearer ${token}` } });
  const adminWith = (claims: Record<string, unknown>) =>
    h.idp.accessToken(admin, { claims: { amr: ['pwd', 'otp'], ...claims } });

  it('compares acr values exactly: no case folding, no prefix, no list, no padding', async () => {
    for (const acr of ['MFA', 'mfa ', ' mfa', 'mf', 'mfa2', 'pwd mfa', 'mfa pwd', 'urn:mfa']) {
      const res = await call(await adminWith({ acr, auth_time: now() }));
      expect(res.statusCode, acr).toBe(401);
      expect(res.json(), acr).toMatchObject({ code: 'authentication_too_weak' });
    }
    const list = await call(await adminWith({ acr: ['mfa'], auth_time: now() }));
    expect(list.statusCode).toBe(401);
    expect(list.json()).toMatchObject({ code: 'authentication_too_weak' });
  });

  it('takes an auth_time that is not a number as unknown: too old for any max_age', async () => {
    for (const authTime of [String(now()), null, true, { t: now() }]) {
      const res = await call(await adminWith({ acr: 'mfa', auth_time: authTime }));
      expect(res.statusCode, JSON.stringify(authTime)).toBe(401);
      expect(res.json()).toMatchObject({ code: 'authentication_too_old' });
      expect(String(res.headers['www-authenticate'])).toMatch(
        /error="insufficient_user_authentication".*max_age="900"/,
      );
    }
  });

  it('refuses an auth_time in the future beyond the clock tolerance: never "fresh" forever', async () => {
    // Signed an hour ahead, such a token would pass every max_age until long after it was issued.
    const ahead = await adminWith({ acr: 'mfa', auth_time: now() + 3600 });
    const res = await call(ahead);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'token_not_yet_valid' });
    // The same token is refused on every route, not only the admin ones.
    expect((await call(ahead, '/me')).statusCode).toBe(401);
  });

  it('accepts an auth_time a few seconds ahead, within the clock tolerance (30 s)', async () => {
    const res = await call(await adminWith({ acr: 'mfa', auth_time: now() + 20 }));
    expect(res.statusCode).toBe(200);
  });

  it('decides the age again on every request: a cached token grows too old for admin work', async () => {
    const token = await adminWith({ acr: 'mfa', auth_time: now() - 880 });
    try {
      expect((await call(token)).statusCode).toBe(200);
      expect((await call(token)).statusCode).toBe(200); // served from the token cache
      h.setClockOffset(30_000);
      const res = await call(token);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'authentication_too_old' });
      // Still good for everything else, its /me body included.
      expect((await call(token, '/me')).statusCode).toBe(200);
    } finally {
      h.setClockOffset(0);
    }
  });
});
