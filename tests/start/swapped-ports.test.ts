/**
 * `npm start` with the API on the web app's default port (3000) and the web app on the API's
 * (8000): the dev realm's URLs must each move once, to their own server's port. Replaced one after
 * the other, the API's URLs (back-channel logout, the docs' redirect URI) would come back to 8000,
 * the web app, so a sign-out would never reach the API. Skipped when either port is taken.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accepts,
  authorize as authorizeAt,
  endSession,
  freePort,
  passwordGrant,
  type Stack,
  startStackOn,
} from './support.js';

const ports = { IDP_PORT: 0, API_PORT: 3000, WEB_PORT: 8000 };
const busy = (await accepts('localhost', 3000)) || (await accepts('localhost', 8000));
let stack: Stack | undefined;

beforeAll(async () => {
  if (busy) return;
  const started = await startStackOn(async () => ({ ...ports, IDP_PORT: await freePort() }));
  stack = started.stack;
  Object.assign(ports, started.ports);
}, 200_000);

afterAll(() => stack?.stop());

describe.skipIf(busy)('npm start with API_PORT=3000 and WEB_PORT=8000', () => {
  const issuer = () => `http://localhost:${ports.IDP_PORT}/realms/todo-app`;

  it("registers the API docs' redirect URI on the API's port", async () => {
    const authorize = (redirectUri: string) => authorizeAt(issuer(), redirectUri);
    expect((await authorize('http://localhost:8000/')).status).toBe(303);
    expect((await authorize('http://localhost:3000/docs/static/oauth2-redirect.html')).status).toBe(
      303,
    );
    // RFC 6749 §3.1.2.2: the web app's page on the API's port is not a registered redirect URI.
    expect((await authorize('http://localhost:3000/')).status).toBe(400);
  });

  it('sends the back-channel logout to the API, which then refuses the session’s tokens', async () => {
    const grant = await passwordGrant(issuer());
    expect(grant.status).toBe(200);
    const { access_token, refresh_token } = (await grant.json()) as {
      access_token: string;
      refresh_token: string;
    };
    const me = () =>
      fetch('http://localhost:3000/me', { headers: { authorization: `Bearer ${access_token}` } });
    expect((await me()).status).toBe(200);
    const logout = await endSession(issuer(), refresh_token);
    expect(logout.status).toBeLessThan(300);
    // OpenID Connect Back-Channel Logout 1.0 §2.5: the API revokes the session it was told of.
    const after = await me();
    expect(after.status).toBe(401);
    expect(((await after.json()) as { code: string }).code).toBe('token_revoked');
  });
});
