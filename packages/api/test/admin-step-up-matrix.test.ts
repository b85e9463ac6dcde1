import { admin, bob } from '@todo-sso/auth/testing';
import { describe, expect, it } from 'vitest';
import { routePolicies } from '../src/authz/catalogue.js';
import { useStepUpHarness } from './support/step-up.js';

/** Every route under `/admin/`, as the routes declare themselves, with its parameters filled. */
const ADMIN_ROUTES = Object.keys(await routePolicies())
  .filter((route) => route.split(' ')[1]?.startsWith('/admin/'))
  .map((route) => {
    const [method, path] = route.split(' ') as [string, string];
    const url = path
      .replace(':id', '0b6a8d1e-4a52-4d2b-9f3e-5b1c2d3e4f50')
      .replace(':role', 'reports:generate');
    return { route, method, url };
  });

const WEAK =
  'Bearer realm="todo-api", error="insufficient_user_authentication", error_description="This needs a stronger sign-in (mfa)", acr_values="mfa", max_age="900"';
const OLD =
  'Bearer realm="todo-api", error="insufficient_user_authentication", error_description="This needs a sign-in within the last 900 seconds", acr_values="mfa", max_age="900"';

/**
 * docs/step-up.md: every route under `/admin/` needs `STEP_UP_ACR` reached within
 * `STEP_UP_MAX_AGE_SECONDS` (RFC 9470), asked last: whoever may not do the work at all is
 * refused with 403 first. Checked on each route the API registers, not on a hand-made list, so
 * a new admin route that forgets the step-up fails here.
 */
describe('step-up on every admin route', () => {
  const h = useStepUpHarness();
  const now = () => Math.floor(Date.now() / 1000);
  const call = async (token: string, method: string, url: string) =>
    h.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(method === 'GET' || method === 'DELETE' ? {} : { payload: {} }),
    });
  const challenge = (header: unknown) => String(header).split(', resource_metadata=')[0];

  it('finds the admin routes', () => {
    expect(ADMIN_ROUTES.length).toBeGreaterThanOrEqual(12);
  });

  it.each(ADMIN_ROUTES)('$route asks an admin at pwd for mfa', async ({ method, url }) => {
    const token = await h.idp.accessToken(admin, { claims: { acr: 'pwd', auth_time: now() } });
    const res = await call(token, method, url);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'authentication_too_weak' });
    expect(challenge(res.headers['www-authenticate'])).toBe(WEAK);
  });

  it.each(ADMIN_ROUTES)(
    '$route asks an admin at mfa for a fresh sign-in, auth_time old or missing',
    async ({ method, url }) => {
      for (const claims of [{ acr: 'mfa', auth_time: now() - 901 }, { acr: 'mfa' }]) {
        const res = await call(await h.idp.accessToken(admin, { claims }), method, url);
        expect(res.statusCode, JSON.stringify(claims)).toBe(401);
        expect(res.json()).toMatchObject({ code: 'authentication_too_old' });
        expect(challenge(res.headers['www-authenticate'])).toBe(OLD);
      }
    },
  );

  it.each(ADMIN_ROUTES)(
    '$route refuses a non-admin at mfa with 403, no step-up',
    async ({ method, url }) => {
      const token = await h.idp.accessToken(bob, { claims: { acr: 'mfa', auth_time: now() } });
      const res = await call(token, method, url);
      expect(res.statusCode).toBe(403);
      expect(String(res.headers['www-authenticate'])).toMatch(
        /^Bearer .*error="insufficient_scope"/,
      );
    },
  );

  it.each(ADMIN_ROUTES)(
    '$route lets a fresh mfa admin past the decision',
    async ({ method, url }) => {
      const token = await h.idp.accessToken(admin, {
        claims: { acr: 'mfa', auth_time: now() - 60 },
      });
      const res = await call(token, method, url);
      expect([401, 403], res.body).not.toContain(res.statusCode);
    },
  );

  it('asks a holder of users:manage for the step-up too, not only admins', async () => {
    const manager = { ...bob, permissions: [...bob.permissions, 'users:manage'] };
    const weak = await h.idp.accessToken(manager, { claims: { acr: 'pwd', auth_time: now() } });
    expect((await call(weak, 'GET', '/admin/users')).statusCode).toBe(401);
    const strong = await h.idp.accessToken(manager, { claims: { acr: 'mfa', auth_time: now() } });
    expect((await call(strong, 'GET', '/admin/users')).statusCode).toBe(200);
  });
});
