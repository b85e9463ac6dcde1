import { admin, alice, carol } from '@todo-sso/auth/testing';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { useStepUpHarness } from './support/step-up.js';

/**
 * The Bearer challenge of a response; a DPoP challenge (RFC 9449 §7.1) may follow it. Its last
 * parameter names the API's protected resource metadata (RFC 9728 §5.1), checked here and left
 * out of the comparison.
 */
const bearerChallenge = (header: unknown) => {
  const bearer = String(header).split(', DPoP ')[0] ?? '';
  const metadata = ', resource_metadata="http://localhost/.well-known/oauth-protected-resource"';
  expect(bearer.endsWith(metadata)).toBe(true);
  return bearer.slice(0, -metadata.length);
};

const CHALLENGE =
  'Bearer realm="todo-api", error="insufficient_user_authentication", error_description="This needs a stronger sign-in (mfa)", acr_values="mfa", max_age="900"';

describe('admin step-up (RFC 9470) through the API', () => {
  const h = useStepUpHarness();
  const now = () => Math.floor(Date.now() / 1000);
  const call = async (token: string, url = '/admin/audit') =>
    h.app.inject({ url, headers: { authorization: `Bearer ${token}` } });

  it('answers an admin token with acr pwd with 401 and the exact RFC 9470 challenge', async () => {
    const token = await h.idp.accessToken(admin, { claims: { acr: 'pwd', auth_time: now() } });
    const res = await call(token);
    expect(res.statusCode).toBe(401);
    expect(bearerChallenge(res.headers['www-authenticate'])).toBe(CHALLENGE);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 401, code: 'authentication_too_weak' });
  });

  it('answers an admin token without any acr the same way (fails closed)', async () => {
    const res = await call(await h.idp.accessToken(admin));
    expect(res.statusCode).toBe(401);
    expect(bearerChallenge(res.headers['www-authenticate'])).toBe(CHALLENGE);
  });

  it('answers mfa older than the limit with 401 authentication_too_old and max_age', async () => {
    const token = await h.idp.accessToken(admin, {
      claims: { acr: 'mfa', amr: ['pwd', 'otp'], auth_time: now() - 901 },
    });
    const res = await call(token, '/admin/todos');
    expect(res.statusCode).toBe(401);
    expect(bearerChallenge(res.headers['www-authenticate'])).toBe(
      'Bearer realm="todo-api", error="insufficient_user_authentication", error_description="This needs a sign-in within the last 900 seconds", acr_values="mfa", max_age="900"',
    );
    expect(res.json()).toMatchObject({ code: 'authentication_too_old' });
  });

  it('serves a fresh mfa admin token on every admin route, revoke included', async () => {
    const token = await h.idp.accessToken(admin, {
      claims: { acr: 'mfa', amr: ['pwd', 'otp'], auth_time: now() - 60 },
    });
    for (const url of ['/admin/audit', '/admin/todos', '/admin/users'])
      expect((await call(token, url)).statusCode, url).toBe(200);
    const revoke = await h.app.inject({
      method: 'POST',
      url: '/admin/sessions/revoke',
      headers: { authorization: `Bearer ${token}` },
      payload: { sub: 'departed-employee' },
    });
    expect(revoke.statusCode).toBe(200);
  });

  it('leaves non-admin routes unaffected: a pwd token reads todos, reports and /me', async () => {
    const pwd = { claims: { acr: 'pwd', auth_time: now() - 5000 } };
    expect((await call(await h.idp.accessToken(alice, pwd), '/todos/')).statusCode).toBe(200);
    expect((await call(await h.idp.accessToken(carol, pwd), '/reports/summary')).statusCode).toBe(
      200,
    );
    expect((await call(h.tokens.alice, '/me')).statusCode).toBe(200);
  });

  it('refuses a non-admin on an admin route with 403, not a step-up it could not satisfy', async () => {
    const token = await h.idp.accessToken(alice, { claims: { acr: 'mfa', auth_time: now() } });
    const res = await call(token);
    expect(res.statusCode).toBe(403);
    expect(res.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
  });

  it('shows acr, amr and auth_time on /me', async () => {
    const authTime = now() - 30;
    const token = await h.idp.accessToken(alice, {
      claims: { acr: 'mfa', amr: ['pwd', 'otp'], auth_time: authTime },
    });
    expect((await call(token, '/me')).json()).toMatchObject({
      acr: 'mfa',
      amr: ['pwd', 'otp'],
      authTime,
    });
    const plain = (await call(h.tokens.bob, '/me')).json();
    expect(plain).not.toHaveProperty('acr');
    expect(plain).not.toHaveProperty('amr');
    expect(plain).not.toHaveProperty('authTime');
  });
});

describe('step-up configuration', () => {
  const base = { OIDC_ISSUER: 'http://idp.test/realms/todo-app', OIDC_AUDIENCE: 'todo-api' };
  it('defaults to mfa within 900 seconds over the levels pwd,mfa', () => {
    const config = loadConfig(base);
    expect(config.acrLevels).toEqual(['pwd', 'mfa']);
    expect(config.stepUp).toEqual({ acr: 'mfa', maxAge: 900 });
  });
  it('turns each part off when its variable is set empty', () => {
    expect(loadConfig({ ...base, STEP_UP_ACR: '' }).stepUp).toEqual({ maxAge: 900 });
    expect(loadConfig({ ...base, STEP_UP_MAX_AGE_SECONDS: '' }).stepUp).toEqual({ acr: 'mfa' });
  });
  it('refuses a level outside OIDC_ACR_LEVELS, naming the variable', () => {
    expect(() => loadConfig({ ...base, STEP_UP_ACR: 'gold' })).toThrow(/^STEP_UP_ACR: /);
    expect(() => loadConfig({ ...base, OIDC_ACR_LEVELS: 'pwd,pwd' })).toThrow(/^OIDC_ACR_LEVELS: /);
    expect(
      loadConfig({ ...base, OIDC_ACR_LEVELS: 'pwd,otp,hwk', STEP_UP_ACR: 'hwk' }).stepUp,
    ).toEqual({ acr: 'hwk', maxAge: 900 });
  });
});
