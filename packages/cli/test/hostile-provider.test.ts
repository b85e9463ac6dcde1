import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runTodo, writeSession } from './support/run.js';

/**
 * An identity provider that misbehaves, as a real HTTP server: an HTML page for its discovery
 * document, a token endpoint that answers with an endless body, breaks off its answer, or
 * redirects the request (with the device code or refresh token in its body) elsewhere, and
 * metadata naming a token endpoint over plain http on another machine. Each ends in one clear
 * sentence and exit 1, never "unexpected error", a hang or a secret sent where it must not go.
 */
type Mode =
  | 'html-discovery'
  | 'no-discovery'
  | 'http-endpoint'
  | 'endless'
  | 'cut-short'
  | 'redirect'
  | 'refresh-redirect';
let mode: Mode;
let provider: Server;
let sink: Server;
let issuer: string;
let sinkUrl: string;
let dir: string;
/** Bodies the other server received: a secret there has leaked. */
const leaked: string[] = [];

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

beforeAll(async () => {
  sink = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      leaked.push(body);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  sinkUrl = await listen(sink);
  provider = createServer((req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (path === '/.well-known/openid-configuration') {
      if (mode === 'html-discovery') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><title>Sign in</title>');
        return;
      }
      // Keycloak's answer for a realm it does not have.
      if (mode === 'no-discovery') return json(404, { error: 'Realm does not exist' });
      json(200, {
        issuer,
        token_endpoint: mode === 'http-endpoint' ? 'http://idp.example/token' : `${issuer}/token`,
        device_authorization_endpoint: `${issuer}/device`,
      });
    } else if (path === '/device') {
      json(200, {
        device_code: 'device-code-secret',
        user_code: 'WDJB-MJHT',
        verification_uri: `${issuer}/verify`,
        expires_in: 60,
        interval: 1,
      });
    } else if (path === '/token') {
      if (mode === 'endless') {
        res.writeHead(400, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(1 << 16, 0x20);
        const more = () => {
          while (res.write(chunk));
          res.once('drain', more);
        };
        more();
      } else if (mode === 'cut-short') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"access_token":"');
        setTimeout(() => res.socket?.destroy(), 50);
      } else {
        res.writeHead(307, { location: `${sinkUrl}/token` });
        res.end();
      }
    } else json(404, {});
  });
  issuer = await listen(provider);
});

afterAll(async () => {
  for (const s of [provider, sink]) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'todo-hostile-'));
  leaked.length = 0;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(...args: string[]) {
  const started = Date.now();
  const { code, out, err } = await runTodo(
    {
      TODO_CONFIG_DIR: dir,
      TODO_ISSUER: issuer,
      TODO_API_URL: 'http://127.0.0.1:9',
      TODO_TOKEN_STORE: 'file',
    },
    args,
  );
  return { code, out, last: err.split('\n').at(-1) ?? '', ms: Date.now() - started };
}

/** A session whose access token has expired, so the next command refreshes it. */
async function expiredSession() {
  const session = {
    issuer,
    clientId: 'todo-cli',
    accessToken: 'old-access',
    refreshToken: 'refresh-token-secret',
    expiresAt: Date.now() - 1000,
  };
  writeSession(dir, session);
}

describe('a misbehaving identity provider', () => {
  it('an HTML page where the discovery document should be is named as such', async () => {
    mode = 'html-discovery';
    const result = await run('login');
    expect(result.code).toBe(1);
    expect(result.last).toBe(
      `todo login: ${issuer}/.well-known/openid-configuration is not an OpenID Provider configuration (no JSON object); is --issuer (TODO_ISSUER) right?`,
    );
  });

  it('a 404 for the discovery document says the issuer is not one the provider has, and its form', async () => {
    mode = 'no-discovery';
    const result = await run('login');
    expect(result.code).toBe(1);
    expect(result.last).toBe(
      `todo login: ${issuer}/.well-known/openid-configuration answered HTTP 404: the provider has no issuer there; is --issuer (TODO_ISSUER) right? (Keycloak: <server>/realms/<realm>, the realm name exactly, case included; Authentik: <server>/application/o/<slug>/)`,
    );
  });

  it('a token endpoint over plain http on another machine is refused before anything is sent (RFC 6749 §3.2)', async () => {
    mode = 'http-endpoint';
    const result = await run('login');
    expect(result.code).toBe(1);
    expect(result.last).toBe(
      `todo login: The provider's token_endpoint must be https (or http on this machine only); got "http://idp.example/token"`,
    );
  });

  it('an endless answer from the token endpoint is cut off, not read into memory', async () => {
    mode = 'endless';
    const result = await run('login');
    expect(result.code).toBe(1);
    expect(result.last).toBe(
      `todo login: The identity provider at ${issuer}/token answered with more than 1 MiB`,
    );
    expect(result.ms).toBeLessThan(10_000);
  });

  it('an answer broken off while refreshing says the provider stopped answering', async () => {
    mode = 'cut-short';
    await expiredSession();
    const result = await run('token');
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    expect(result.last).toBe(
      `todo token: The identity provider at ${issuer}/token stopped answering`,
    );
  });

  it('todo logout forgets the tokens and says so when the provider’s metadata is unusable', async () => {
    mode = 'html-discovery';
    await expiredSession();
    const result = await run('logout');
    expect(result.code).toBe(0);
    expect(result.out).toBe(
      'Signed out locally; the identity provider did not confirm the end of the session.',
    );
    expect(result.last).toBe(
      `todo logout: ${issuer}/.well-known/openid-configuration is not an OpenID Provider configuration (no JSON object); is --issuer (TODO_ISSUER) right?`,
    );
    expect(
      JSON.parse(await readFile(join(dir, 'sessions.json'), 'utf8').catch(() => '{}')),
    ).toEqual({});
  });

  it('a redirect from the token endpoint is not followed with the device code or refresh token', async () => {
    mode = 'redirect';
    const login = await run('login');
    expect(login.code).toBe(1);
    expect(login.last).toBe('todo login: The token request failed: HTTP 307');
    await expiredSession();
    const refresh = await run('token');
    expect(refresh.code).toBe(1);
    expect(refresh.last).toBe('todo token: Refreshing the token failed: HTTP 307');
    expect(leaked).toEqual([]);
  });
});
