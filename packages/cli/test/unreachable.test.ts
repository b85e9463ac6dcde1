import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { runTodo, writeSession } from './support/run.js';
import { CLOSED_PORT } from './support/stack.js';

/**
 * A provider or an API that does not answer: the message says why (nothing listening, a
 * certificate this machine does not trust, plain http where https was asked for) and which
 * setting to check, since each calls for another fix.
 */
const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function listen(server: Server | HttpsServer): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

describe('a provider or an API that cannot be reached', () => {
  let dir: string;
  let plain: Server;
  let plainPort: number;
  let tls: HttpsServer | undefined;
  let tlsPort = 0;
  const env = () => ({ TODO_CONFIG_DIR: join(dir, 'config'), TODO_TOKEN_STORE: 'file' });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'todo-unreachable-'));
    plain = createServer((_req, res) => res.end('{}'));
    plainPort = await listen(plain);
    if (hasOpenssl) {
      const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
        ].concat(['-keyout', key, '-out', cert]),
        { stdio: 'ignore' },
      );
      tls = createHttpsServer(
        { key: await readFile(key), cert: await readFile(cert) },
        (_req, res) => res.end('{}'),
      );
      tlsPort = await listen(tls);
    }
  });
  afterAll(async () => {
    plain?.close();
    tls?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a provider nothing listens for: connection refused, and --issuer to check', async () => {
    const issuer = `http://127.0.0.1:${CLOSED_PORT}/realms/todo-app`;
    const result = await runTodo(env(), ['login', '--issuer', issuer]);
    expect(result).toMatchObject({
      code: 1,
      out: '',
      err: `todo login: The identity provider at ${issuer} cannot be reached (connection refused: nothing listens there); is it running, and is --issuer (TODO_ISSUER) right?`,
    });
  });

  it('a provider on a port fetch refuses (6000, a "bad port"): another port, not whether it runs', async () => {
    // The Fetch Standard's port blocking (§2.9): Node's fetch never connects to 6000 (X11).
    const issuer = 'http://127.0.0.1:6000/realms/todo-app';
    const result = await runTodo(env(), ['login', '--issuer', issuer]);
    expect(result).toMatchObject({
      code: 1,
      out: '',
      err: `todo login: The identity provider at ${issuer} cannot be reached (its port is one that browsers and Node's fetch refuse to connect to, so nothing was sent); serve the identity provider on another port and set --issuer (TODO_ISSUER) to it`,
    });
    const doctor = await runTodo(
      { ...env(), OIDC_ISSUER: issuer, DATA_DIR: join(dir, 'data-blocked') },
      ['doctor', '--login'],
    );
    expect(doctor.err).toBe(
      `No sign-in, so no token to check: the identity provider at ${issuer} cannot be reached (its port is one that browsers and Node's fetch refuse to connect to, so nothing was sent); serve the identity provider on another port and set OIDC_ISSUER to it`,
    );
  });

  it('plain http where https was asked for', async () => {
    const issuer = `https://127.0.0.1:${plainPort}/realms/todo-app`;
    const result = await runTodo(env(), ['login', '--issuer', issuer]);
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      `todo login: The identity provider at ${issuer} cannot be reached (plain http answers where https was asked for: check the scheme and the port); is it running, and is --issuer (TODO_ISSUER) right?`,
    );
  });

  it.skipIf(!hasOpenssl)(
    'a certificate this machine does not trust: TLS, and NODE_EXTRA_CA_CERTS',
    async () => {
      const issuer = `https://localhost:${tlsPort}/realms/todo-app`;
      const result = await runTodo(env(), ['login', '--issuer', issuer]);
      expect(result.code).toBe(1);
      expect(result.err).toMatch(
        /cannot be reached \(TLS: self[- ]signed certificate, DEPTH_ZERO_SELF_SIGNED_CERT; for a certificate of your own CA, give Node that CA with NODE_EXTRA_CA_CERTS=\/path\/to\/ca\.pem\); is it running/,
      );
    },
  );

  it('an API nothing listens for: connection refused, and --api to check', async () => {
    const issuer = 'https://sso.example/realms/todo-app';
    const config = join(dir, 'signed-in');
    await mkdir(config, { mode: 0o700 });
    writeSession(config, {
      issuer,
      clientId: 'todo-cli',
      accessToken: 'not-sent-anywhere-that-answers',
      expiresAt: Date.now() + 600_000,
    });
    const api = `http://127.0.0.1:${CLOSED_PORT}`;
    const result = await runTodo({ TODO_CONFIG_DIR: config, TODO_TOKEN_STORE: 'file' }, [
      'ls',
      '--issuer',
      issuer,
      '--api',
      api,
    ]);
    expect(result).toMatchObject({
      code: 1,
      out: '',
      err: `todo ls: The API at ${api} cannot be reached (connection refused: nothing listens there); is it running, and is --api (TODO_API_URL) right?`,
    });
  });

  it('an API that accepts the connection and never answers is given up at the deadline', async () => {
    const issuer = 'https://sso.example/realms/todo-app';
    const config = join(dir, 'silent');
    await mkdir(config, { mode: 0o700 });
    writeSession(config, {
      issuer,
      clientId: 'todo-cli',
      accessToken: 'not-answered',
      expiresAt: Date.now() + 600_000,
    });
    const silent = createServer(() => {});
    const api = `http://127.0.0.1:${await listen(silent)}`;
    const err: string[] = [];
    try {
      const code = await main(['ls', '--issuer', issuer, '--api', api], {
        out: () => {},
        err: (text) => err.push(text),
        env: { TODO_CONFIG_DIR: config, TODO_TOKEN_STORE: 'file' },
        fetch: (...a) => globalThis.fetch(...a),
        now: Date.now,
        sleep: async () => {},
        openBrowser: async () => false,
        requestTimeoutMs: 300,
      });
      expect({ code, err }).toEqual({
        code: 1,
        err: [
          `todo ls: The API at ${api} cannot be reached (no answer within 0.3 s); is it running, and is --api (TODO_API_URL) right?`,
        ],
      });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('todo doctor --login at an issuer nothing listens for names the API setting, not TODO_ISSUER', async () => {
    const issuer = `http://127.0.0.1:${CLOSED_PORT}/realms/todo-app`;
    const result = await runTodo(
      { ...env(), OIDC_ISSUER: issuer, DATA_DIR: join(dir, 'data-login') },
      ['doctor', '--login'],
    );
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      `No sign-in, so no token to check: the identity provider at ${issuer} cannot be reached (connection refused: nothing listens there); is it running, and is OIDC_ISSUER right?`,
    );
    expect(result.out).toContain('✗ discovery_unreachable');
  });

  it('todo doctor without OIDC_ISSUER says the API would trust its default issuer', async () => {
    const result = await runTodo({ ...env(), DATA_DIR: join(dir, 'data-default') }, ['doctor']);
    expect(result.out).toMatch(
      /^Checked the API configuration in this environment; neither OIDC_ISSUER nor OIDC_ISSUERS is set, so the API would trust its default issuer, http:\/\/localhost:8080\/realms\/todo-app \(the dev IdP on this machine\): set OIDC_ISSUER to your provider's issuer\.\n/,
    );
  });
});
