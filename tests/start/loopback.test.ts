/**
 * `npm start` is the stack on a laptop: demo users whose password is their name, `/metrics` and
 * `/docs` without a token. Every server it starts listens on loopback only, so none of it is
 * offered to the network the laptop is on (a café's, an office's).
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

const ports = { IDP_PORT: 0, API_PORT: 0, WEB_PORT: 0 };
let stack: Stack | undefined;

beforeAll(async () => {
  const started = await startStackOn(async () => ({
    IDP_PORT: await freePort(),
    API_PORT: await freePort(),
    WEB_PORT: await freePort(),
  }));
  stack = started.stack;
  Object.assign(ports, started.ports);
}, 200_000);

afterAll(() => stack?.stop());

describe('npm start listens on loopback only', () => {
  it.each([
    ['identity provider', 'IDP_PORT', '/realms/todo-app/.well-known/openid-configuration'],
    ['API', 'API_PORT', '/healthz'],
    ['web app', 'WEB_PORT', '/'],
  ] as const)(
    'the %s answers on localhost and refuses any other address',
    async (_, port, path) => {
      const answer = await fetch(`http://localhost:${ports[port]}${path}`);
      expect(answer.status).toBe(200);
      // 127.0.0.2 is loopback too, but a socket bound to 127.0.0.1 (or ::1) does not take it; one
      // bound to every interface (0.0.0.0) does, as it would take the laptop's network address.
      expect(await accepts('127.0.0.2', ports[port])).toBe(false);
    },
  );
});

/**
 * The ports above are never 8080, 8000 and 3000, the ones the dev realm file names: the realm's
 * redirect URIs, web origins and back-channel logout URLs must follow the ports chosen, or the
 * web app cannot sign in and a sign-out never reaches the API.
 */
describe('npm start on ports other than the defaults', () => {
  const issuer = () => `http://localhost:${ports.IDP_PORT}/realms/todo-app`;

  it("accepts the web app's and the API docs' redirect URIs on the ports chosen", async () => {
    const authorize = (redirectUri: string) => authorizeAt(issuer(), redirectUri);
    // A redirect URI the client does not list is a 400 page (RFC 6749 §4.1.2.1), never a redirect.
    const web = await authorize(`http://localhost:${ports.WEB_PORT}/`);
    expect(web.status).toBe(303);
    expect(web.headers.get('location')).toContain('/login-actions/');
    const docs = await authorize(
      `http://localhost:${ports.API_PORT}/docs/static/oauth2-redirect.html`,
    );
    expect(docs.status).toBe(303);
    expect((await authorize('http://localhost:3000/')).status).toBe(400);
  });

  it("sends the back-channel logout to the API's port, which then refuses the session's tokens", async () => {
    const grant = await passwordGrant(issuer());
    expect(grant.status).toBe(200);
    const { access_token, refresh_token } = (await grant.json()) as {
      access_token: string;
      refresh_token: string;
    };
    const api = `http://localhost:${ports.API_PORT}`;
    const before = await fetch(`${api}/me`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(before.status).toBe(200);
    const logout = await endSession(issuer(), refresh_token);
    expect(logout.status).toBeLessThan(300);
    // OpenID Connect Back-Channel Logout 1.0 §2.5: the API revokes the session it was told of.
    const after = await fetch(`${api}/me`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(after.status).toBe(401);
    expect(((await after.json()) as { code: string }).code).toBe('token_revoked');
  });
});
