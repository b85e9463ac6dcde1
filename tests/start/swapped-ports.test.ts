/**
 * `npm start` with the API on the web app's default port (3000) and the web app on the API's
 * (8000): the dev realm's URLs must each move once, to their own server's port. Replaced one after
 * the other, the API's URLs (back-channel logout, the docs' redirect URI) would come back to 8000,
 * the web app, so a sign-out would never reach the API. Skipped when either port is taken.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const scratch = mkdtempSync(join(tmpdir(), 'todo-sso-swapped-'));

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

/** Whether something accepts connections on localhost:port. */
function taken(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: 'localhost', port });
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

const ports = { IDP_PORT: 0, API_PORT: 3000, WEB_PORT: 8000 };
const busy = (await taken(3000)) || (await taken(8000));
let stack: ChildProcess | undefined;

beforeAll(async () => {
  if (busy) return;
  ports.IDP_PORT = await freePort();
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

describe.skipIf(busy)('npm start with API_PORT=3000 and WEB_PORT=8000', () => {
  const issuer = () => `http://localhost:${ports.IDP_PORT}/realms/todo-app`;

  it("registers the API docs' redirect URI on the API's port", async () => {
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
    expect((await authorize('http://localhost:8000/')).status).toBe(303);
    expect((await authorize('http://localhost:3000/docs/static/oauth2-redirect.html')).status).toBe(
      303,
    );
    // RFC 6749 §3.1.2.2: the web app's page on the API's port is not a registered redirect URI.
    expect((await authorize('http://localhost:3000/')).status).toBe(400);
  });

  it('sends the back-channel logout to the API, which then refuses the session’s tokens', async () => {
    const grant = await fetch(`${issuer()}/protocol/openid-connect/token`, {
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
    const me = () =>
      fetch('http://localhost:3000/me', { headers: { authorization: `Bearer ${access_token}` } });
    expect((await me()).status).toBe(200);
    const logout = await fetch(`${issuer()}/protocol/openid-connect/logout`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: 'todo-cli', refresh_token }),
    });
    expect(logout.status).toBeLessThan(300);
    // OpenID Connect Back-Channel Logout 1.0 §2.5: the API revokes the session it was told of.
    const after = await me();
    expect(after.status).toBe(401);
    expect(((await after.json()) as { code: string }).code).toBe('token_revoked');
  });
});
