import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/http/logger.js';
import { PortInUseError, type RunningApi, startApi } from '../src/start.js';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { testConfig } from './support/harness.js';

describe('startApi', () => {
  let idp: TestIssuer;
  let database: TestDatabase;
  let api: RunningApi | undefined;
  beforeAll(async () => {
    idp = await startTestIssuer();
    database = sqliteDatabase();
  });
  afterAll(async () => {
    await api?.close();
    await idp.close();
    await database.drop();
  });

  it('listens, serves /healthz and /docs, and answers a CORS preflight from an allowed origin only', async () => {
    api = await startApi(testConfig(idp, database.config), { logger: createLogger('silent') });
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${api.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const docs = await fetch(`${api.url}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');

    const preflight = (origin: string) =>
      fetch(`${api?.url}/todos/`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const allowed = await preflight('http://localhost:3000');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    const refused = await preflight('https://evil.example');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets an in-flight request finish when closing, then refuses new connections', async () => {
    await api?.close();
    api = undefined;
    const running = await startApi(testConfig(idp, database.config), {
      logger: createLogger('silent'),
    });
    const token = await idp.accessToken(alice);
    // A request whose body is still arriving is certainly in flight when close() is called.
    // `Expect: 100-continue` makes the server say when it has read the headers and routed the
    // request (Node answers 100 Continue just before handing the request over), so close()
    // is called only then, however slowly this process is scheduled.
    const body = JSON.stringify({ title: 'written during shutdown' });
    const request = httpRequest(`${running.url}/todos/`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        expect: '100-continue',
      },
    });
    const routed = once(request, 'continue');
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      request.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      request.on('error', reject);
    });
    request.flushHeaders();
    await routed;
    request.write(body.slice(0, 10));
    const closing = running.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    request.end(body.slice(10));
    const answer = await response;
    await closing;
    expect(answer.status).toBe(201);
    expect(JSON.parse(answer.body).title).toBe('written during shutdown');
    await expect(fetch(`${running.url}/healthz`)).rejects.toThrow();
  });

  it('reports a port in use as PortInUseError', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const config = { ...testConfig(idp, database.config), port };
      await expect(startApi(config, { logger: createLogger('silent') })).rejects.toBeInstanceOf(
        PortInUseError,
      );
    } finally {
      blocker.close();
    }
  });
});

describe('server.ts (the built dist/server.js, as `npm run api` runs it)', () => {
  const distServer = new URL('../dist/server.js', import.meta.url).pathname;
  let idp: TestIssuer;
  let database: TestDatabase;
  beforeAll(async () => {
    idp = await startTestIssuer();
    database = sqliteDatabase();
  });
  afterAll(async () => {
    await idp.close();
    await database.drop();
  });

  const dataDir = () => (database.config.kind === 'sqlite' ? dirname(database.config.file) : '');

  function run(env: Record<string, string>) {
    const child = spawn(process.execPath, [distServer], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => {
      output.stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output.stderr += chunk.toString();
    });
    return { child, output };
  }

  it('stops with one line naming the variable when the configuration is bad', async () => {
    const { child, output } = run({ PORT: 'eighty' });
    const [code] = await once(child, 'exit');
    expect(code).toBe(78);
    expect(output.stderr.trim().split('\n')).toHaveLength(1);
    expect(output.stderr).toMatch(/^todo-api: configuration error: PORT: /);
  });

  it('writes a configuration error before loading the server and the database drivers, a database error before the server', async () => {
    // Node lists each CommonJS module it loads under NODE_DEBUG=module (fastify and pg are).
    const loaded = (stderr: string, name: string) =>
      [...stderr.matchAll(/load "([^"]+)"/g)].filter(([, path]) =>
        path?.includes(`/node_modules/${name}/`),
      );
    const bad = run({ PORT: 'eighty', NODE_DEBUG: 'module' });
    const [badCode] = await once(bad.child, 'exit');
    expect(badCode).toBe(78);
    expect(bad.output.stderr).toMatch(/^todo-api: configuration error: PORT: /m);
    expect(loaded(bad.output.stderr, 'fastify')).toEqual([]);
    expect(loaded(bad.output.stderr, 'pg')).toEqual([]);
    // A usable configuration loads the driver, and reports a database it cannot use (no
    // PostgreSQL on a closed port) before loading the server.
    const closed = run({
      NODE_DEBUG: 'module',
      PORT: '0',
      HOST: '127.0.0.1',
      OIDC_ISSUER: idp.issuer,
      DATABASE_URL: 'postgres://todo:todo@127.0.0.1:1/todo',
    });
    const [closedCode] = await once(closed.child, 'exit');
    expect(closedCode).toBe(1);
    expect(closed.output.stderr).toMatch(
      /^todo-api: failed to start: the database in DATABASE_URL/m,
    );
    expect(loaded(closed.output.stderr, 'pg')).not.toEqual([]);
    expect(loaded(closed.output.stderr, 'fastify')).toEqual([]);
  });

  it('starts from the environment, serves, and exits 0 after draining on SIGTERM', async () => {
    const { child, output } = run({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir(),
      OIDC_ISSUER: idp.issuer,
    });
    while (!/listening on (\S+)/.test(output.stdout) && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const url = /listening on (\S+)/.exec(output.stdout)?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ready = await fetch(`${url}/readyz`);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(output.stdout).toContain('SIGTERM received, draining requests');
  });

  it('reports a port in use as one clear line', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = String((blocker.address() as AddressInfo).port);
    try {
      const { child, output } = run({
        PORT: port,
        HOST: '127.0.0.1',
        DATA_DIR: dataDir(),
        OIDC_ISSUER: idp.issuer,
      });
      const [code] = await once(child, 'exit');
      expect(code).toBe(1);
      expect(output.stderr).toBe(
        `todo-api: port ${port} on 127.0.0.1 is already in use; set PORT to use another one\n`,
      );
    } finally {
      blocker.close();
    }
  });
});
