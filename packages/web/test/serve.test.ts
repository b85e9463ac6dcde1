// @vitest-environment node
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
// @ts-expect-error -- serve.mjs is plain JavaScript with JSDoc types, outside the TS program.
import { startWebServer } from '../serve.mjs';

let dist: string;
let web: { url: string; close(): Promise<void> };
const config = {
  issuer: 'http://127.0.0.1:18080/realms/todo-app',
  clientId: 'todo-ui',
  apiUrl: 'http://127.0.0.1:18000',
};

beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), 'web-dist-'));
  await mkdir(join(dist, 'assets'));
  await writeFile(join(dist, 'index.html'), '<!doctype html><title>todo-sso</title>');
  await writeFile(join(dist, 'assets', 'app-abc123.js'), 'console.log(1)');
  await writeFile(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  // A file that stats as a regular file but fails to read (EIO), like a disk error mid-request.
  await symlink('/proc/self/mem', join(dist, 'unreadable.txt'));
  web = await startWebServer({ host: '127.0.0.1', port: 0, distDir: dist, config });
});

afterAll(async () => {
  await web.close();
  await rm(dist, { recursive: true, force: true });
});

describe('web server', () => {
  test('serves /config.json from its options, uncached', async () => {
    const response = await fetch(`${web.url}/config.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual(config);
  });

  test('answers app routes with index.html (SPA fallback), never cached', async () => {
    for (const path of ['/', '/reports', '/callback?code=x&state=y']) {
      const response = await fetch(web.url + path);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.text()).toContain('<title>todo-sso</title>');
    }
  });

  test('caches fingerprinted assets for a year and 404s missing ones', async () => {
    const hit = await fetch(`${web.url}/assets/app-abc123.js`);
    expect(hit.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(hit.headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(`${web.url}/assets/missing.js`)).status).toBe(404);
    const icon = await fetch(`${web.url}/favicon.svg`);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  test('sends a CSP that allows exactly the issuer and API origins to be called', async () => {
    const response = await fetch(`${web.url}/`);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("connect-src 'self' http://127.0.0.1:18080 http://127.0.0.1:18000");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  });

  test('never serves files outside the build folder', async () => {
    const response = await fetch(`${web.url}/..%2f..%2fetc%2fpasswd`);
    expect(response.status).toBe(404);
  });

  test('refuses writes with 405', async () => {
    const response = await fetch(`${web.url}/`, { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });

  test('refuses a config without an issuer at the call', async () => {
    await expect(
      startWebServer({ port: 0, distDir: dist, config: { clientId: 'x', apiUrl: 'http://a' } }),
    ).rejects.toThrow(TypeError);
  });

  test('a file that fails to read ends that response and the server keeps serving', async () => {
    const failed = await fetch(`${web.url}/unreadable.txt`)
      .then((response) => response.text())
      .then(
        () => 'answered',
        () => 'reset',
      );
    expect(failed).toBe('reset');
    const next = await fetch(`${web.url}/`);
    expect(next.status).toBe(200);
  });

  test('sends HSTS only when the request reached the proxy in front over https', async () => {
    const plain = await fetch(`${web.url}/`);
    expect(plain.headers.get('strict-transport-security')).toBeNull();
    for (const path of ['/', '/assets/app-abc123.js', '/config.json']) {
      const behindTls = await fetch(web.url + path, { headers: { 'X-Forwarded-Proto': 'https' } });
      expect(behindTls.headers.get('strict-transport-security')).toBe('max-age=31536000');
    }
  });

  test('allows extra connect-src origins for a provider whose token endpoint lives elsewhere', async () => {
    const other = await startWebServer({
      port: 0,
      distDir: dist,
      config,
      connectOrigins: [
        'https://oauth2.googleapis.com',
        'https://todo.auth.eu-west-1.amazoncognito.com/oauth2/token',
      ],
    });
    try {
      const csp = (await fetch(`${other.url}/`)).headers.get('content-security-policy') ?? '';
      expect(csp).toContain(
        "connect-src 'self' http://127.0.0.1:18080 http://127.0.0.1:18000 https://oauth2.googleapis.com https://todo.auth.eu-west-1.amazoncognito.com;",
      );
    } finally {
      await other.close();
    }
    await expect(
      startWebServer({ port: 0, distDir: dist, config, connectOrigins: ["'unsafe-eval'"] }),
    ).rejects.toThrow(TypeError);
  });
});

describe('the policy built into index.html', () => {
  test('allows nothing the served header does not: each of its directives is the header’s', async () => {
    const { BUILT_PAGE_POLICY } = await import('../vite.config.js');
    // @ts-expect-error -- serve.mjs is plain JavaScript with JSDoc types, outside the TS program.
    const { contentSecurityPolicy } = await import('../serve.mjs');
    const header = new Set(String(contentSecurityPolicy(config)).split('; '));
    for (const directive of BUILT_PAGE_POLICY.split('; ')) expect(header).toContain(directive);
  });
});
