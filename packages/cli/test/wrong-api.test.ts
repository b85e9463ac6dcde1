import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { runTodo, writeSession } from './support/run.js';
import { devRealm } from './support/stack.js';

/**
 * TODO_API_URL pointing at something that is not the API — a web server's welcome page, the
 * identity provider, a proxy's error page — as a real HTTP server answering HTML: every command
 * says so in one sentence and exits 1, never "unexpected error" with a JSON parser's complaint.
 */
const ISSUER = 'https://idp.example/realms/todo-app';
let server: Server;
let api: string;
let dir: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<html><body>Welcome to nginx!</body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'todo-wrong-api-'));
  const session = {
    issuer: ISSUER,
    clientId: 'todo-cli',
    accessToken: 'access-token',
    expiresAt: Date.now() + 3_600_000,
  };
  writeSession(dir, session);
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

function run(...args: string[]) {
  return runTodo(
    { TODO_CONFIG_DIR: dir, TODO_ISSUER: ISSUER, TODO_API_URL: api, TODO_TOKEN_STORE: 'file' },
    args,
    'skip',
  );
}

describe('an API URL that is not the API', () => {
  it('is named as such by every command', async () => {
    for (const args of [['ls'], ['whoami'], ['add', 'milk'], ['lists']]) {
      const result = await run(...args);
      expect(result).toEqual({
        code: 1,
        out: '',
        err: `todo ${args[0]}: ${api} answered HTTP 200 with text/html, not the API's JSON; is --api (TODO_API_URL) the todo-sso API?`,
      });
    }
  });
});

describe('an API URL that is the identity provider (its port mistaken for the API’s)', () => {
  it('is named as such, not reported as the API’s "Not Found"', async () => {
    const idpDir = await mkdtemp(join(tmpdir(), 'todo-wrong-api-idp-'));
    const idp = await startIdp({
      host: '127.0.0.1',
      port: 0,
      realm: await devRealm(),
      dataDir: seedKeys(join(idpDir, 'idp')),
    });
    try {
      const origin = new URL(idp.issuer).origin;
      writeSession(idpDir, {
        issuer: idp.issuer,
        clientId: 'todo-cli',
        accessToken: 'access-token',
        expiresAt: Date.now() + 3_600_000,
      });
      // The provider answers the API's paths 404 in JSON, but not with the API's problem
      // details (application/problem+json, RFC 9457), which every refusal of the API is.
      for (const args of [['ls'], ['whoami'], ['add', 'milk']]) {
        const result = await runTodo(
          {
            TODO_CONFIG_DIR: idpDir,
            TODO_ISSUER: idp.issuer,
            TODO_API_URL: origin,
            TODO_TOKEN_STORE: 'file',
          },
          args,
          'skip',
        );
        expect(result).toEqual({
          code: 1,
          out: '',
          err: `todo ${args[0]}: ${origin} answered HTTP 404 with application/json, not the API's problem details (application/problem+json); is --api (TODO_API_URL) the todo-sso API?`,
        });
      }
    } finally {
      await idp.close();
      await rm(idpDir, { recursive: true, force: true });
    }
  });
});
