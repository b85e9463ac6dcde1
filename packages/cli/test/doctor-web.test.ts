import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- serve.mjs is plain JavaScript with JSDoc types, outside the TS program.
import { startWebServer } from '../../web/serve.mjs';
import { terminal } from './support/run.js';
import { CLOSED_PORT, devRealm, freePort, type Stack, startStack } from './support/stack.js';

type WebServer = { url: string; close(): Promise<void> };

/** An address of this machine that is not loopback, for a web app opened from elsewhere. */
const outside = Object.values(networkInterfaces())
  .flat()
  .find((a) => a?.family === 'IPv4' && !a.internal)?.address;

/**
 * `todo doctor --web-origin`: the web app's own settings, read from its `/config.json` as the
 * browser reads them (the web app's real server), checked against the API's configuration and
 * against the dev IdP, which is sent the sign-in request the web app sends. The dev realm's
 * `todo-ui` has the first web app's origin among its redirect URIs; the others are mistakes an
 * operator makes: a client the provider does not have, an issuer off by a trailing slash, an
 * origin the client does not list.
 */
describe('todo doctor --web-origin reads the web app’s settings', () => {
  let stack: Stack;
  let dist: string;
  let registered: string;
  const webs: WebServer[] = [];
  let broken: Server;

  const web = async (
    config: Record<string, string>,
    port = 0,
    host = '127.0.0.1',
  ): Promise<string> => {
    const server = (await startWebServer({
      host,
      port,
      distDir: dist,
      config,
    })) as WebServer;
    webs.push(server);
    return server.url.replace(/\/$/, '');
  };

  beforeAll(async () => {
    dist = await mkdtemp(join(tmpdir(), 'todo-doctor-web-'));
    await writeFile(join(dist, 'index.html'), '<!doctype html><title>todo-sso</title>');
    const port = await freePort();
    registered = `http://127.0.0.1:${port}`;
    const realm = await devRealm();
    const ui = realm.clients?.find((c) => c.clientId === 'todo-ui');
    ui?.redirectUris?.push(`${registered}/*`);
    stack = await startStack({ realm, apiEnv: { CORS_ORIGINS: registered } });
    await web({ issuer: stack.issuer, clientId: 'todo-ui', apiUrl: stack.apiUrl }, port);
    broken = createServer((_, res) => res.end('{"issuer":"sso.example.com","clientId":"todo-ui"}'));
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const server of webs) await server.close();
    await new Promise((resolve) => broken?.close(resolve));
    await stack?.close();
    if (dist) await rm(dist, { recursive: true, force: true });
  });

  const doctor = (origin: string, env: Record<string, string> = {}) =>
    terminal({
      TODO_CONFIG_DIR: dist,
      TODO_API_URL: stack.apiUrl,
      TODO_TOKEN_STORE: 'file',
      OIDC_ISSUER: stack.issuer,
      CORS_ORIGINS: registered,
      ...env,
    }).run('doctor', '--web-origin', origin);

  it('finds nothing when the provider takes the web app’s sign-in and the API trusts it', async () => {
    const result = await doctor(registered);
    expect(result.out).toContain(
      `web       todo-ui at ${stack.issuer}, API ${stack.apiUrl} (${registered}/config.json); sign-in accepted by the provider\n`,
    );
    expect(result.out).toMatch(/No problems found: the API would accept this setup\.$/);
    expect(result.code).toBe(0);
  });

  it('names a client the provider does not have and an issuer the API does not trust', async () => {
    const origin = await web({
      issuer: `${stack.issuer}/`,
      clientId: 'todo-web',
      apiUrl: stack.apiUrl,
    });
    const result = await doctor(origin, { CORS_ORIGINS: `${registered},${origin}` });
    expect(result.code).toBe(1);
    expect(result.out).toContain('sign-in refused by the provider\n');
    expect(result.out).toContain(
      [
        '✗ web_client_refused (nobody can sign in to the web app)',
        `  The provider refuses the web app's sign-in as todo-web with redirect URI ${origin}/callback (HTTP 400): it has no client todo-web.`,
        "  fix (web app configuration): Set the web app's OIDC_CLIENT_ID to its client at the provider (todo-ui in the shipped realm and blueprint).",
      ].join('\n'),
    );
    expect(result.out).toContain(
      [
        '✗ web_issuer_untrusted (the API refuses every token of the web app)',
        `  The web app signs people in at ${stack.issuer}/, which the API does not trust (it trusts ${stack.issuer}; issuers are compared exactly, trailing slash included): every call of the web app is answered 401.`,
        `  fix (web app configuration): Set the web app's OIDC_ISSUER=${stack.issuer} (exactly as the API's), or add ${stack.issuer}/ to the API's issuers if the web app is meant to sign in there.`,
      ].join('\n'),
    );
    expect(result.out).toContain(
      'fix (API configuration): Set FIRST_PARTY_CLIENTS=todo-ui,todo-cli,todo-web',
    );
    expect(result.out).toContain(
      'fix (API configuration): Set OIDC_LOGOUT_AUDIENCE=todo-ui,todo-cli,todo-web',
    );
    expect(result.out).toContain('5 problems found');
  });

  it('names an origin the client has no redirect URI for, with the provider’s fix only', async () => {
    const origin = await web({ issuer: stack.issuer, clientId: 'todo-ui', apiUrl: stack.apiUrl });
    const result = await doctor(origin, { CORS_ORIGINS: `${registered},${origin}` });
    expect(result.code).toBe(1);
    expect(result.out).toContain(
      [
        '✗ web_client_refused (nobody can sign in to the web app)',
        `  The provider refuses the web app's sign-in as todo-ui with redirect URI ${origin}/callback (HTTP 400): ${origin}/callback is not one of the client's redirect URIs.`,
        `  fix (Keycloak):  Clients → todo-ui (Client authentication Off, Standard flow On, PKCE S256): Valid redirect URIs ${origin}/*, Valid post logout redirect URIs ${origin}/*, Web origins ${origin}.`,
      ].join('\n'),
    );
    expect(result.out).not.toContain('fix (web app configuration)');
  });

  it('names the API settings that leave the web app’s client out', async () => {
    const result = await doctor(registered, {
      FIRST_PARTY_CLIENTS: 'todo-cli',
      OIDC_LOGOUT_AUDIENCE: 'todo-cli',
    });
    expect(result.code).toBe(1);
    expect(result.out).toContain(
      "✗ web_client_not_first_party (the web app's people are treated as an agent)\n  The web app signs in as todo-ui, which FIRST_PARTY_CLIENTS (todo-cli) does not list",
    );
    expect(result.out).toContain(
      "✗ web_client_logout_refused (signing out at the provider leaves the web app's tokens accepted)",
    );
    expect(result.out).toContain('2 problems found');
  });

  it('with a provider that writes the client id into aud, names OIDC_AUDIENCE', async () => {
    const result = await doctor(registered, {
      OIDC_PROVIDER: 'authentik',
      OIDC_AUDIENCE: 'todo-cli',
    });
    expect(result.out).toContain(
      [
        '✗ web_client_audience (the API refuses every token of the web app)',
        `  The provider puts the client id in aud (as Authentik does), and the API accepts todo-cli for ${stack.issuer}, not todo-ui: every call of the web app is answered 401 (audience_mismatch).`,
        "  fix (API configuration): Add todo-ui to OIDC_AUDIENCE, or set the web app's OIDC_CLIENT_ID to the client it is registered as.",
      ].join('\n'),
    );
    const keycloak = await doctor(registered, { OIDC_AUDIENCE: 'todo-cli' });
    expect(keycloak.out).not.toContain('web_client_audience');
  });

  it('names an API_URL that is not the API’s public URL', async () => {
    const result = await doctor(registered, { API_PUBLIC_URL: 'https://api.todo.example.com/' });
    expect(result.out).toContain(
      [
        '✗ web_api_elsewhere (the web app calls another API)',
        `  The web app sends its calls to ${stack.apiUrl}, but the API's public URL (API_PUBLIC_URL) is https://api.todo.example.com.`,
        "  fix (web app configuration): Set the web app's API_URL=https://api.todo.example.com and restart it.",
      ].join('\n'),
    );
    expect(result.code).toBe(1);
  });

  it.skipIf(outside === undefined)(
    'names a loopback API_URL of a web app opened from elsewhere',
    async () => {
      const origin = await web(
        { issuer: stack.issuer, clientId: 'todo-ui', apiUrl: 'http://localhost:8000' },
        0,
        outside,
      );
      const result = await doctor(origin, { CORS_ORIGINS: `${registered},${origin}` });
      expect(result.out).toContain(
        `✗ web_api_loopback (every browser calls an API on its own machine)\n  The web app opened at ${origin} sends its calls to http://localhost:8000, a loopback address`,
      );
      const local = await doctor(registered);
      expect(local.out).not.toContain('web_api_loopback');
    },
  );

  it('says a /config.json the web app cannot use is a problem, and one out of reach is not', async () => {
    const { port } = broken.address() as { port: number };
    const origin = `http://127.0.0.1:${port}`;
    const result = await doctor(origin, { CORS_ORIGINS: `${registered},${origin}` });
    expect(result.out).toContain(
      `✗ web_config_invalid (the web app does not start)\n  ${origin}/config.json has no usable "issuer": the web app shows`,
    );
    const down = `http://127.0.0.1:${CLOSED_PORT}`;
    const unread = await doctor(down, { CORS_ORIGINS: `${registered},${down}` });
    expect(unread.out).toContain(
      `web       ${down}/config.json not read: it cannot be reached (connection refused: nothing listens there); the web app's sign-in settings were not checked\n`,
    );
    expect(unread.out).not.toContain('✗ web_');
  });
});
