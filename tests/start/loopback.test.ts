/**
 * `npm start` is the stack on a laptop: demo users whose password is their name, `/metrics` and
 * `/docs` without a token. Every server it starts listens on loopback only, so none of it is
 * offered to the network the laptop is on (a café's, an office's).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const scratch = mkdtempSync(join(tmpdir(), 'todo-sso-loopback-'));

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    socket.setTimeout(2_000);
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
    socket.once('timeout', () => {
      socket.destroy();
      done(false);
    });
  });
}

const ports = { IDP_PORT: 0, API_PORT: 0, WEB_PORT: 0 };
let stack: ChildProcess | undefined;

beforeAll(async () => {
  ports.IDP_PORT = await freePort();
  ports.API_PORT = await freePort();
  ports.WEB_PORT = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    DATA_DIR: join(scratch, 'data'),
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
  };
  const child = spawn(process.execPath, [join(root, 'scripts/start.mjs')], { cwd: root, env });
  stack = child;
  let output = '';
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`npm start not ready in 60 s:\n${output}`)),
      60_000,
    );
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('is ready in')) {
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`npm start exited with ${code}:\n${output}`));
    });
  });
}, 70_000);

afterAll(async () => {
  if (stack && stack.exitCode === null) {
    const exited = new Promise((done) => stack?.once('exit', done));
    stack.kill('SIGTERM');
    await exited;
  }
  rmSync(scratch, { recursive: true, force: true });
});

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
    const authorize = (redirectUri: string) =>
      fetch(
        `${issuer()}/protocol/openid-connect/auth?${new URLSearchParams({
          client_id: 'todo-ui',
          response_type: 'code',
          scope: 'openid',
          redirect_uri: redirectUri,
          state: 'state-1',
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          code_challenge_method: 'S256',
        })}`,
        { redirect: 'manual' },
      );
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
    const tokenEndpoint = `${issuer()}/protocol/openid-connect/token`;
    const grant = await fetch(tokenEndpoint, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'todo-cli',
        username: 'alice',
        password: 'alice',
        scope: 'openid',
      }),
    });
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
    const logout = await fetch(`${issuer()}/protocol/openid-connect/logout`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: 'todo-cli', refresh_token }),
    });
    expect(logout.status).toBeLessThan(300);
    // OpenID Connect Back-Channel Logout 1.0 §2.5: the API revokes the session it was told of.
    const after = await fetch(`${api}/me`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(after.status).toBe(401);
    expect(((await after.json()) as { code: string }).code).toBe('token_revoked');
  });
});
