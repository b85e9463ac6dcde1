import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTodo, writeSession } from './support/run.js';
import { CLOSED_PORT, freePort } from './support/stack.js';

/**
 * `todo doctor` and `todo` with no issuer or API configured follow IDP_PORT and API_PORT, as
 * `npm start` does for the ports of the dev IdP and the API: the dev IdP runs here on a port of
 * its own, on localhost as `npm start` runs it, and is found over HTTP through IDP_PORT.
 */
let idp: RunningIdp;
let dir: string;
const env = (more: Record<string, string>) => ({
  TODO_CONFIG_DIR: join(dir, 'config'),
  TODO_TOKEN_STORE: 'file',
  DATA_DIR: join(dir, 'data'),
  ...more,
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'todo-dev-ports-'));
  idp = await startIdp({ host: 'localhost', port: await freePort(), dataDir: join(dir, 'idp') });
});

afterAll(async () => {
  await idp?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the dev stack on the ports of IDP_PORT and API_PORT', () => {
  it('todo doctor checks the dev IdP on IDP_PORT when no issuer is configured', async () => {
    const port = new URL(idp.issuer).port;
    expect(idp.issuer).toBe(`http://localhost:${port}/realms/todo-app`);
    const result = await runTodo(env({ IDP_PORT: port }), ['doctor']);
    expect(result.out).toContain(
      `so the API would trust its default issuer, ${idp.issuer} (the dev IdP on this machine, on IDP_PORT)`,
    );
    expect(result.out).toContain(`discovery ok (${idp.issuer}/.well-known/openid-configuration)`);
    expect(result.out).not.toContain('discovery_unreachable');
    expect(result.out).not.toContain('nothing answers');
    expect(
      JSON.parse((await runTodo(env({ IDP_PORT: port }), ['doctor', '--json'])).out),
    ).not.toHaveProperty('warnings');
  });

  /** The line `discovery unreachable` of a report whose dev IdP is not on `port`. */
  const noDevIdp = (port: number | string) =>
    `  discovery unreachable (no dev IdP on port ${port}: npm start runs it on IDP_PORT, 8080 when unset, and the API on API_PORT, 8000 when unset; run the doctor with the same IDP_PORT and API_PORT as npm start, or set OIDC_ISSUER to your provider's issuer)\n`;

  it('todo doctor names IDP_PORT and API_PORT when nothing answers at the dev IdP', async () => {
    const result = await runTodo(env({ IDP_PORT: String(CLOSED_PORT) }), ['doctor']);
    expect(result.code).toBe(1);
    expect(result.out).toContain('✗ discovery_unreachable');
    expect(result.out).toContain(noDevIdp(CLOSED_PORT));
  });

  it('todo doctor does not say nothing answers when another server answers on IDP_PORT', async () => {
    const other = createServer((_req, res) => res.writeHead(404).end('Not Found'));
    await new Promise<void>((resolve) => other.listen(0, 'localhost', resolve));
    try {
      const { port } = other.address() as AddressInfo;
      const result = await runTodo(env({ IDP_PORT: String(port) }), ['doctor']);
      expect(result.code).toBe(1);
      expect(result.out).toContain('answered HTTP 404');
      expect(result.out).toContain(noDevIdp(port));
      expect(result.out).not.toContain('nothing answers');
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it('todo sends its requests to the API on API_PORT, and refuses a port npm start refuses', async () => {
    const issuer = `http://localhost:${CLOSED_PORT}/realms/todo-app`;
    await mkdir(join(dir, 'config'), { mode: 0o700 });
    writeSession(join(dir, 'config'), {
      issuer,
      clientId: 'todo-cli',
      accessToken: 'unused',
      expiresAt: Date.now() + 60_000,
    });
    const ls = await runTodo(
      env({ IDP_PORT: String(CLOSED_PORT), API_PORT: String(CLOSED_PORT) }),
      ['ls'],
    );
    expect(ls.code).toBe(1);
    expect(ls.err).toMatch(
      new RegExp(`^todo ls: The API at http://localhost:${CLOSED_PORT} cannot be reached`),
    );
    const refused = await runTodo(env({ API_PORT: '80800' }), ['ls']);
    expect(refused).toMatchObject({
      code: 2,
      err: 'todo ls: API_PORT must be a port number from 1 to 65535, got "80800"',
    });
  });
});
