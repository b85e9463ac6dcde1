import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTodo, writeSession } from './support/run.js';

/**
 * `todo logout` while another `todo` command is renewing the session (a script in the
 * background, another terminal): the refresh's answer, rotated tokens, arrives after the sign-out
 * and must not bring the session back, and the refresh token revoked must be the one still valid.
 * The provider is a real HTTP server whose token endpoint takes a second to answer.
 */
let server: Server;
let issuer: string;
let dir: string;
const revoked: string[] = [];
/** Resolved when the token endpoint has a refresh to answer. */
let refreshArrived: () => void = () => {};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const path = new URL(req.url ?? '/', issuer).pathname;
      const form = new URLSearchParams(body);
      const json = (value: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (path === '/.well-known/openid-configuration')
        json({
          issuer,
          token_endpoint: `${issuer}/token`,
          revocation_endpoint: `${issuer}/revoke`,
        });
      else if (path === '/token') {
        refreshArrived();
        setTimeout(
          () =>
            json({
              access_token: 'new-access',
              token_type: 'Bearer',
              expires_in: 300,
              refresh_token: `${form.get('refresh_token')}-rotated`,
            }),
          1000,
        );
      } else if (path === '/revoke') {
        revoked.push(form.get('token') ?? '');
        res.writeHead(200);
        res.end();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'todo-logout-race-'));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

function run(...args: string[]) {
  return runTodo(
    {
      TODO_CONFIG_DIR: dir,
      TODO_ISSUER: issuer,
      TODO_API_URL: 'http://127.0.0.1:9',
      TODO_TOKEN_STORE: 'file',
    },
    args,
  );
}

describe('todo logout during a refresh', () => {
  it('leaves no session behind and revokes the refresh token the refresh brought', async () => {
    const session = {
      issuer,
      clientId: 'todo-cli',
      accessToken: 'old-access',
      refreshToken: 'refresh-1',
      expiresAt: Date.now() - 1000,
    };
    writeSession(dir, session);
    const arrived = new Promise<void>((resolve) => {
      refreshArrived = resolve;
    });
    const refreshing = run('token');
    // The sign-out starts once the refresh is at the provider, however slow the machine.
    await arrived;
    const logout = await run('logout');
    expect(logout.code, logout.err).toBe(0);
    await refreshing;
    const file = join(dir, 'sessions.json');
    const left = existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as object) : {};
    expect(left).toEqual({});
    expect(revoked).toEqual(['refresh-1-rotated']);
  });
});
