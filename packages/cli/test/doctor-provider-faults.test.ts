import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Diagnosis, Finding } from '@todo-sso/auth/diagnose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

/**
 * `todo doctor` on a provider that is there but whose answers cannot be used, as a real HTTP
 * server: its discovery document redirected to another host, its keys answered by a proxy's
 * HTML 502 page, a key set of 10 MB, one that never finishes. Each finding says what came back
 * and a fix that addresses it: where the redirect leads, that a failing provider is no setting
 * of the API; never the address advice meant for a provider that cannot be reached.
 */
type Mode = 'redirect' | 'bad-gateway' | 'huge' | 'endless';
let mode: Mode;
let provider: Server;
let issuer: string;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'todo-doctor-faults-'));
  provider = createServer((req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    if (path === '/.well-known/openid-configuration') {
      if (mode === 'redirect') {
        res.writeHead(302, {
          location: 'https://sso.elsewhere.example/.well-known/openid-configuration?from=proxy',
        });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/certs` }));
    } else if (path === '/certs') {
      if (mode === 'bad-gateway') {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>');
      } else if (mode === 'huge') {
        // 10 MB, chunked (no Content-Length to refuse it by).
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"keys":[],"padding":"');
        let left = 160;
        const more = () => {
          while (left > 0 && !res.destroyed) {
            left -= 1;
            if (!res.write(Buffer.alloc(65_536, 0x61))) return void res.once('drain', more);
          }
          res.end('"}');
        };
        more();
      } else {
        // A body that never finishes: a byte every 200 ms.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"keys":[');
        const trickle = setInterval(() => res.write(' '), 200);
        res.on('close', () => clearInterval(trickle));
      }
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
});

afterAll(async () => {
  provider.closeAllConnections();
  await new Promise((resolve) => provider.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

async function doctor(): Promise<{ code: number; finding: Finding | undefined }> {
  const out: string[] = [];
  const code = await main(['doctor', '--json', '--issuer', issuer], {
    out: (text) => out.push(text),
    err: () => {},
    env: { TODO_CONFIG_DIR: join(dir, 'config') },
    fetch: (...a) => globalThis.fetch(...a),
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    openBrowser: async () => false,
  });
  const diagnosis = JSON.parse(out.join('\n')) as Diagnosis;
  return { code, finding: diagnosis.findings.find((f) => /_unreachable$/.test(f.code)) };
}

describe('todo doctor on a provider whose answers cannot be used', () => {
  it('a discovery document redirected to another host: where it leads, and the setting to change', async () => {
    mode = 'redirect';
    const { code, finding } = await doctor();
    expect(code).toBe(1);
    const url = `${issuer}/.well-known/openid-configuration`;
    const target = 'https://sso.elsewhere.example/.well-known/openid-configuration?…';
    expect(finding).toMatchObject({
      code: 'discovery_unreachable',
      received: `${url} answered HTTP 302, a redirect to ${target} (not followed)`,
    });
    expect(finding?.fix.config).toBe(
      `The provider redirects ${url} to ${target} and the API follows no redirect for its documents: set OIDC_ISSUER to the address it leads to, without /.well-known/openid-configuration (https when it redirects to https), as the provider publishes it.`,
    );
    expect(JSON.stringify(finding)).not.toContain('from=proxy');
  });

  it('keys answered by a proxy’s HTML 502 page: the provider fails, no address setting', async () => {
    mode = 'bad-gateway';
    const { code, finding } = await doctor();
    expect(code).toBe(1);
    expect(finding).toMatchObject({
      code: 'jwks_unreachable',
      received: `${issuer}/certs answered HTTP 502`,
    });
    expect(finding?.fix.config).toMatch(
      /^The provider, or a proxy in front of it, answers but fails \(HTTP 502\): no setting of the API fixes that/,
    );
    expect(finding?.fix.config).not.toMatch(/OIDC_DISCOVERY_URL/);
  });

  it('a key set of 10 MB is cut off at the limit', async () => {
    mode = 'huge';
    const { finding } = await doctor();
    expect(finding).toMatchObject({
      code: 'jwks_unreachable',
      received: `${issuer}/certs answered more than 524288 bytes`,
    });
  });

  it('a key set that never finishes is given up at the deadline', async () => {
    mode = 'endless';
    const { finding } = await doctor();
    expect(finding).toMatchObject({
      code: 'jwks_unreachable',
      received: `GET ${issuer}/certs timed out`,
    });
  }, 30_000);
});
