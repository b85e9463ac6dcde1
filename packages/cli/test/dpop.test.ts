import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredSession } from '../src/store/types.js';
import { runTodo, type Terminal, terminal } from './support/run.js';
import { type Stack, startStack } from './support/stack.js';

/**
 * DPoP (RFC 9449) in the CLI: against the real dev IdP (Keycloak profile, which binds tokens to
 * the proof key of a token request) and an API that requires DPoP and server nonces; and against
 * a provider that asks for a nonce at its token endpoint (§8), which the dev IdP never does.
 */

interface Sent {
  url: string;
  method: string;
  authorization: string | null;
  dpop: string | null;
  status: number;
  challenge: string | null;
}

/** A fetch that records what each request sent and got. */
function recordingFetch(log: Sent[]): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const response = await globalThis.fetch(request);
    log.push({
      url: request.url,
      method: request.method,
      authorization: request.headers.get('authorization'),
      dpop: request.headers.get('dpop'),
      status: response.status,
      challenge: response.headers.get('www-authenticate'),
    });
    return response;
  };
}

const b64sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');
const publicPart = (jwk: Record<string, unknown>) => ({
  kty: jwk.kty,
  crv: jwk.crv,
  x: jwk.x,
  y: jwk.y,
});

describe('DPoP against the dev IdP and an API that requires it, with nonces', () => {
  let stack: Stack;
  let configDir: string;
  let todo: Terminal;
  const sent: Sent[] = [];

  async function stored(dir = configDir): Promise<StoredSession> {
    const sessions = JSON.parse(await readFile(join(dir, 'sessions.json'), 'utf8')) as Record<
      string,
      StoredSession
    >;
    return Object.values(sessions)[0] as StoredSession;
  }

  beforeAll(async () => {
    stack = await startStack({
      apiEnv: { OIDC_DPOP: 'required', DPOP_NONCE_SECRET: 'n'.repeat(48) },
    });
    configDir = await mkdtemp(join(tmpdir(), 'todo-cli-dpop-'));
    todo = terminal(
      {
        TODO_CONFIG_DIR: configDir,
        TODO_ISSUER: stack.issuer,
        TODO_API_URL: stack.apiUrl,
        TODO_TOKEN_STORE: 'file',
      },
      'alice',
      recordingFetch(sent),
    );
  });
  afterAll(async () => {
    await stack?.close();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  it('binds the sign-in to a key kept with the tokens (0600), which signs the API requests, after one nonce retry', async () => {
    const result = await todo.run('login');
    expect(result.err).not.toContain('does not accept');
    expect(result).toMatchObject({ code: 0 });
    expect(result.out).toMatch(/^Signed in as alice at /);
    expect((await stat(join(configDir, 'sessions.json'))).mode & 0o777).toBe(0o600);
    const session = await stored();
    expect(session.dpopKey).toMatchObject({ kty: 'EC', crv: 'P-256' });
    expect(session.dpopKey?.d).toBeTruthy();
    const jkt = await calculateJwkThumbprint(publicPart({ ...session.dpopKey }) as JWK);
    // RFC 9449 §6.1: the access token names the key's thumbprint.
    expect(decodeJwt(session.accessToken).cnf).toEqual({ jkt });

    // The token request that got the tokens carried a proof by that key, without `ath`.
    const granted = sent.find((s) => s.url.endsWith('/token') && s.status === 200) as Sent;
    expect(granted.dpop).toBeTruthy();
    const grantProof = decodeJwt(granted.dpop as string);
    expect(grantProof).toMatchObject({ htm: 'POST', htu: granted.url });
    expect(grantProof.ath).toBeUndefined();
    const header = decodeProtectedHeader(granted.dpop as string);
    expect(header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' });
    expect(await calculateJwkThumbprint(header.jwk as JWK)).toBe(jkt);

    // GET /me: refused once for a nonce (RFC 9449 §9), then accepted with it.
    const me = sent.filter((s) => s.url === `${stack.apiUrl}/me`);
    expect(me.map((s) => s.status)).toEqual([401, 200]);
    expect(me[0]?.challenge).toContain('use_dpop_nonce');
    for (const request of me) {
      expect(request.authorization).toBe(`DPoP ${session.accessToken}`);
      expect(decodeJwt(request.dpop as string)).toMatchObject({
        htm: 'GET',
        htu: `${stack.apiUrl}/me`,
        ath: b64sha256(session.accessToken),
      });
    }
    expect(decodeJwt(me[0]?.dpop as string).nonce).toBeUndefined();
    expect(decodeJwt(me[1]?.dpop as string).nonce).toBeTruthy();

    // The stored token alone is worth nothing: the API refuses it as a bearer token.
    const bare = await fetch(`${stack.apiUrl}/me`, {
      headers: { authorization: `Bearer ${session.accessToken}` },
    });
    expect(bare.status).toBe(401);
  });

  it('within a command, uses the nonce it was given on later requests, with a fresh proof each time', async () => {
    const added = await todo.run('add', 'Oat milk');
    expect(added.code).toBe(0);
    const id = /^Added ([0-9a-f]{8})/.exec(added.out)?.[1] as string;
    sent.length = 0;
    // Resolving the id prefix reads the list, then the todo is updated: one nonce for both.
    expect((await todo.run('done', id)).code).toBe(0);
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(sent.map((s) => s.status).filter((s) => s === 401)).toHaveLength(1);
    expect(sent[0]?.status).toBe(401);
    const proofs = sent.map((s) => decodeJwt(s.dpop as string));
    expect(new Set(proofs.map((p) => p.jti)).size).toBe(proofs.length);
    for (const proof of proofs.slice(1)) expect(proof.nonce).toBeTruthy();
    expect(proofs.at(-1)).toMatchObject({ htm: 'PATCH' });
    expect(proofs.at(-1)?.htu).toMatch(new RegExp(`^${stack.apiUrl}/todos/[0-9a-f-]{36}$`));
  });

  it('refreshes with a proof by the same key, and the new token is bound to it', async () => {
    const before = await stored();
    sent.length = 0;
    todo.clockOffsetMs = before.expiresAt - Date.now() + 1000;
    try {
      expect((await todo.run('whoami', '--json')).code).toBe(0);
    } finally {
      todo.clockOffsetMs = 0;
    }
    const after = await stored();
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.dpopKey).toEqual(before.dpopKey);
    const jkt = await calculateJwkThumbprint(publicPart({ ...before.dpopKey }) as JWK);
    expect(decodeJwt(after.accessToken).cnf).toEqual({ jkt });
    const refresh = sent.find((s) => s.url.endsWith('/token')) as Sent;
    expect(refresh.status).toBe(200);
    expect(
      await calculateJwkThumbprint(decodeProtectedHeader(refresh.dpop as string).jwk as JWK),
    ).toBe(jkt);
  });

  it('todo token says the token is DPoP-bound, and --json gives its type', async () => {
    const { accessToken } = await stored();
    const human = await todo.run('token');
    expect(human.out).toBe(accessToken);
    expect(human.err).toContain('DPoP-bound');
    const json = JSON.parse((await todo.run('token', '--json')).out) as { token_type: string };
    expect(json.token_type).toBe('DPoP');
  });

  it('gives every sign-in a key of its own', async () => {
    const first = await stored();
    expect((await todo.run('login')).code).toBe(0);
    const second = await stored();
    expect(second.dpopKey?.x).not.toBe(first.dpopKey?.x);
    expect(second.dpopKey?.d).not.toBe(first.dpopKey?.d);
  });

  it('signs out with proofs by the key: the session ends at the provider, tokens and key are forgotten', async () => {
    const { dpopKey } = await stored();
    const jkt = await calculateJwkThumbprint(publicPart({ ...dpopKey }) as JWK);
    sent.length = 0;
    const result = await todo.run('logout');
    expect(result).toMatchObject({
      code: 0,
      out: 'Signed out: the session at the identity provider has ended.',
    });
    expect(existsSync(join(configDir, 'sessions.json'))).toBe(false);
    // The bound refresh token is presented with a proof by its key at the logout endpoint (as
    // Keycloak checks for a public client) and at the revocation endpoint.
    const signOut = sent.filter((s) => /\/(logout|revoke)$/.test(new URL(s.url).pathname));
    expect(signOut.map((s) => new URL(s.url).pathname.split('/').at(-1))).toEqual([
      'logout',
      'revoke',
    ]);
    for (const request of signOut) {
      expect(request.dpop).toBeTruthy();
      expect(decodeJwt(request.dpop as string)).toMatchObject({ htm: 'POST', htu: request.url });
      expect(
        await calculateJwkThumbprint(decodeProtectedHeader(request.dpop as string).jwk as JWK),
      ).toBe(jkt);
    }
  });

  it('says to sign in with TODO_DPOP=on when the API requires DPoP but its metadata cannot be read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'todo-cli-dpop-unsaid-'));
    // As behind a proxy without API_PUBLIC_URL: the protected resource metadata answers 503.
    const noMetadata: typeof fetch = async (input, init) =>
      String(input instanceof Request ? input.url : input).endsWith(
        '/.well-known/oauth-protected-resource',
      )
        ? new Response('{}', { status: 503, headers: { 'content-type': 'application/json' } })
        : fetch(input, init);
    try {
      const auto = terminal(
        {
          TODO_CONFIG_DIR: dir,
          TODO_ISSUER: stack.issuer,
          TODO_API_URL: stack.apiUrl,
          TODO_TOKEN_STORE: 'file',
        },
        'alice',
        noMetadata,
      );
      const result = await auto.run('login');
      expect(result.code).toBe(0);
      expect(result.err).toMatch(
        /does not accept the new token: .*token_binding_mismatch\)\nThe API requires DPoP-bound tokens but its protected resource metadata did not say so \(behind a proxy the API serves it only with API_PUBLIC_URL set\): sign in again with TODO_DPOP=on\.$/m,
      );
      expect((await auto.run('logout')).code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('signs in with bearer tokens under TODO_DPOP=off', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'todo-cli-dpop-off-'));
    try {
      const bearer = terminal({
        TODO_CONFIG_DIR: dir,
        TODO_ISSUER: stack.issuer,
        TODO_API_URL: stack.apiUrl,
        TODO_TOKEN_STORE: 'file',
        TODO_DPOP: 'off',
      });
      const result = await bearer.run('login');
      expect(result.code).toBe(0);
      // This API requires DPoP: it refuses the bearer token, and says so.
      expect(result.err).toContain('does not accept the new token');
      expect(result.err).toContain(
        'The API requires DPoP-bound tokens: sign in again with TODO_DPOP=on.',
      );
      const session = await stored(dir);
      expect(session.dpopKey).toBeUndefined();
      expect(decodeJwt(session.accessToken).cnf).toBeUndefined();
      expect((await bearer.run('logout')).code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a provider that asks for a DPoP nonce at its token endpoint (RFC 9449 §8)', () => {
  let server: Server;
  let base: string;
  let configDir: string;
  /** `fixed`: one nonce, asked for once; `rotating`: a new nonce demanded at every request. */
  let mode: 'fixed' | 'rotating';
  let proofs: (string | undefined)[];

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(value));
    };
    const path = new URL(req.url ?? '/', base).pathname;
    if (path === '/.well-known/openid-configuration')
      json(200, {
        issuer: base,
        token_endpoint: `${base}/token`,
        device_authorization_endpoint: `${base}/device_authorization`,
        dpop_signing_alg_values_supported: ['ES256'],
      });
    else if (path === '/device_authorization')
      json(200, {
        device_code: 'device-code',
        user_code: 'WDJB-MJHT',
        verification_uri: `${base}/device`,
        expires_in: 60,
        interval: 1,
      });
    else if (path === '/token') {
      const proof = req.headers.dpop as string | undefined;
      proofs.push(proof);
      const nonce = proof === undefined ? undefined : decodeJwt(proof).nonce;
      const wanted = mode === 'fixed' ? 'nonce-1' : `nonce-${proofs.length}`;
      if (nonce !== wanted)
        json(
          400,
          {
            error: 'use_dpop_nonce',
            error_description: 'Authorization server requires nonce in DPoP proof',
          },
          { 'dpop-nonce': wanted },
        );
      else
        json(200, {
          access_token: 'eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl',
          token_type: 'DPoP',
          expires_in: 300,
          refresh_token: 'refresh',
        });
    } else if (path === '/me') json(200, { username: 'alice' });
    else json(404, {});
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => handle(req, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    configDir = await mkdtemp(join(tmpdir(), 'todo-cli-dpop-nonce-'));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(configDir, { recursive: true, force: true });
  });

  const env = () => ({
    TODO_CONFIG_DIR: configDir,
    TODO_ISSUER: base,
    TODO_API_URL: base,
    TODO_TOKEN_STORE: 'file',
    // This fake API publishes no metadata, so `auto` would sign in with bearer tokens.
    TODO_DPOP: 'on',
  });

  it('retries the token request once with the nonce it asked for, and keeps the bound tokens', async () => {
    mode = 'fixed';
    proofs = [];
    const result = await runTodo(env(), ['login']);
    expect(result.err).not.toContain('failed');
    expect(result.code).toBe(0);
    expect(proofs).toHaveLength(2);
    expect(decodeJwt(proofs[0] as string).nonce).toBeUndefined();
    expect(decodeJwt(proofs[1] as string)).toMatchObject({
      nonce: 'nonce-1',
      htm: 'POST',
      htu: `${base}/token`,
    });
    expect(decodeJwt(proofs[1] as string).jti).not.toBe(decodeJwt(proofs[0] as string).jti);
    const sessions = JSON.parse(await readFile(join(configDir, 'sessions.json'), 'utf8'));
    expect(Object.values(sessions)[0]).toMatchObject({ dpopKey: { kty: 'EC', crv: 'P-256' } });
    expect((await runTodo(env(), ['logout'])).code).toBe(0);
  });

  it('retries only once: a provider that asks for a new nonce every time ends the sign-in', async () => {
    mode = 'rotating';
    proofs = [];
    const result = await runTodo(env(), ['login']);
    expect(result.code).toBe(1);
    expect(result.err).toContain('use_dpop_nonce');
    expect(proofs).toHaveLength(2);
  });
});
