import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AuthEvent, createAuthenticator } from '@todo-sso/auth';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

/**
 * A hostile or broken IdP that streams its JWKS without a Content-Length (chunked) and never
 * stops: the body must be cut at the size limit, not buffered until the timeout.
 */
describe('IdP response size limit', () => {
  let server: Server;
  let base: string;
  let jwksBytesSent = 0;
  let jwksClosedAt = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration') {
        res.end(JSON.stringify({ issuer: base, jwks_uri: `${base}/jwks` }));
        return;
      }
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const deadline = Date.now() + 10_000;
      res.write('{"keys":["');
      const pump = () => {
        while (!res.destroyed && Date.now() < deadline) {
          jwksBytesSent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => {
        jwksClosedAt = Date.now();
      });
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('stops reading an endless chunked JWKS at 512 KiB and reports the IdP unusable', async () => {
    const events: AuthEvent[] = [];
    const auth = createAuthenticator({
      issuers: [{ issuer: base, audience: 'todo-api' }],
      httpTimeoutMs: 8000,
      onEvent: (e) => events.push(e),
    });
    const started = Date.now();
    expect(await auth.ready()).toBe(false);
    const elapsed = Date.now() - started;
    const jwks = events.find((e) => e.type === 'jwks_fetch');
    expect(jwks).toMatchObject({
      ok: false,
      error: expect.stringMatching(/more than 524288 bytes/),
    });
    // Cut at the limit, not at the 8 s timeout, and the connection is dropped.
    expect(elapsed).toBeLessThan(4000);
    for (let i = 0; i < 40 && jwksClosedAt === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(jwksClosedAt).toBeGreaterThan(0);
    expect(jwksBytesSent).toBeLessThan(64 * 1024 * 1024);
  });
});
