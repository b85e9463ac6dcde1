import { describe, expect, it } from 'vitest';
import { useDevIdp } from './support/dev-idp.js';
import { injectWithToken } from './support/harness.js';

/**
 * A temporary password set by an admin (usually because the account may be compromised) ends
 * the person's sessions at the identity provider and refuses their current access tokens here,
 * as "End sessions" does, in one audit record; `endSessions: false` leaves them. The dev IdP
 * over HTTP, a person created for each case with real tokens.
 */
describe('a temporary password set by an admin', () => {
  const suite = useDevIdp('idp-reset-password');
  const env = { OIDC_CLIENT_ID: 'todo-api', OIDC_CLIENT_SECRET: 'todo-api-secret' };

  async function tokenEndpoint(): Promise<string> {
    const discovery = (await (
      await fetch(`${suite.idp.issuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, string>;
    return discovery.token_endpoint as string;
  }

  async function grant(body: Record<string, string>) {
    const res = await fetch(await tokenEndpoint(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'todo-cli', ...body }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  }

  /** A new person at the provider, signed in: their id and tokens. */
  async function signedIn(api: Awaited<ReturnType<typeof suite.instance>>, username: string) {
    const created = await injectWithToken(api, suite.adminToken, 'POST', '/admin/idp/users', {
      username,
      password: `${username}-password`,
      temporaryPassword: false,
    });
    expect(created.statusCode, created.body).toBe(201);
    const tokens = await grant({
      grant_type: 'password',
      username,
      password: `${username}-password`,
      scope: 'openid offline_access',
    });
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(tokens.body.refresh_token).toBeTruthy();
    return {
      id: created.json().id as string,
      access: tokens.body.access_token as string,
      refresh: tokens.body.refresh_token as string,
    };
  }

  const audited = (api: Awaited<ReturnType<typeof suite.instance>>, id: string) =>
    api.context.db.kysely
      .selectFrom('audit_log')
      .select(['action', 'detail'])
      .where('resource', '=', `idp-user:${id}`)
      .execute();

  it('ends their sessions and refuses their current tokens by default, audited once', async () => {
    const api = await suite.instance(env);
    const person = await signedIn(api, 'reset-ends');
    expect((await injectWithToken(api, person.access, 'GET', '/me')).statusCode).toBe(200);

    const reset = await injectWithToken(
      api,
      suite.adminToken,
      'POST',
      `/admin/idp/users/${person.id}/reset-password`,
      { password: 'temporary-123' },
    );
    expect(reset.statusCode, reset.body).toBe(200);
    expect(reset.json()).toMatchObject({
      temporary: true,
      sessionsEnded: true,
      revoked: [expect.objectContaining({ issuer: suite.idp.issuer, sub: person.id })],
    });
    expect(reset.json().detail).toMatch(/^The temporary password was set, and every session/);
    // The access token they hold is refused here, and their refresh token at the provider.
    expect((await injectWithToken(api, person.access, 'GET', '/me')).statusCode).toBe(401);
    const refreshed = await grant({ grant_type: 'refresh_token', refresh_token: person.refresh });
    expect(refreshed.status).toBe(400);
    expect(await audited(api, person.id)).toEqual([
      expect.objectContaining({ action: 'idp.user.create' }),
      { action: 'idp.password.reset', detail: 'sessions ended' },
    ]);
  });

  it('with endSessions false leaves their sessions and tokens, and audits the password alone', async () => {
    const api = await suite.instance(env);
    const person = await signedIn(api, 'reset-keeps');
    const reset = await injectWithToken(
      api,
      suite.adminToken,
      'POST',
      `/admin/idp/users/${person.id}/reset-password`,
      { password: 'temporary-123', endSessions: false },
    );
    expect(reset.statusCode, reset.body).toBe(200);
    expect(reset.json()).toMatchObject({ temporary: true, sessionsEnded: false, revoked: [] });
    expect((await injectWithToken(api, person.access, 'GET', '/me')).statusCode).toBe(200);
    const refreshed = await grant({ grant_type: 'refresh_token', refresh_token: person.refresh });
    expect(refreshed.status).toBe(200);
    expect(await audited(api, person.id)).toEqual([
      expect.objectContaining({ action: 'idp.user.create' }),
      { action: 'idp.password.reset', detail: null },
    ]);
  });
});
