import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- serve.mjs is plain JavaScript with JSDoc types, outside the TS program.
import { startWebServer } from '../packages/web/serve.mjs';

const deploy = join(import.meta.dirname, '..', 'deploy', 'docker');
const script = join(deploy, 'web-config.sh');
const nginx = readFileSync(join(deploy, 'web-nginx.conf'), 'utf8');
const INCLUDE = 'include /tmp/todo-sso/security-headers.conf;';
const COMPARED = [
  'content-security-policy',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'cross-origin-opener-policy',
  'permissions-policy',
];

/** Runs the image's start-up script and reads the nginx headers it writes, by name. */
function nginxHeaders(env: Record<string, string>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'todo-sso-web-headers-'));
  try {
    const result = spawnSync('sh', [script], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TODO_SSO_CONFIG_DIR: dir, ...env },
      encoding: 'utf8',
    });
    expect(result.status, result.stderr).toBe(0);
    const headers: Record<string, string> = {};
    for (const line of readFileSync(join(dir, 'security-headers.conf'), 'utf8').split('\n')) {
      if (line === '') continue;
      const m = /^add_header ([A-Za-z-]+) "([^"]*)" always;$/.exec(line);
      expect(m, line).not.toBeNull();
      if (m?.[1] && m[2] !== undefined) headers[m[1].toLowerCase()] = m[2];
    }
    return headers;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The nginx web image and `serve.mjs` (what `npm start` runs) must send the same
 * script-restricting Content-Security-Policy and companion headers for the same configuration.
 */
describe('the nginx web image sends the same security headers as serve.mjs', () => {
  let dist: string;
  beforeAll(() => {
    dist = mkdtempSync(join(tmpdir(), 'todo-sso-web-dist-'));
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>todo-sso</title>');
  });
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  const cases = [
    {
      name: 'development defaults',
      issuer: 'http://localhost:8080/realms/todo-app',
      apiUrl: 'http://localhost:8000',
      extra: [] as string[],
    },
    {
      name: 'production hosts with default ports, paths and an extra token origin',
      issuer: 'https://SSO.example.com:443/realms/todo-app',
      apiUrl: 'https://api.todo.example.com/v1/',
      extra: ['https://oauth2.googleapis.com/token', 'http://idp.example:8081/x'],
    },
    {
      name: 'API on the issuer origin',
      issuer: 'http://localhost:9000/application/o/todo-app/',
      apiUrl: 'http://localhost:9000/api',
      extra: [],
    },
  ];

  for (const c of cases) {
    it(`${c.name}: identical header values`, async () => {
      const config = { issuer: c.issuer, clientId: 'todo-ui', apiUrl: c.apiUrl };
      const web = await startWebServer({
        host: '127.0.0.1',
        port: 0,
        distDir: dist,
        config,
        connectOrigins: c.extra,
      });
      try {
        const served = await fetch(`${web.url}/`);
        const fromNode = Object.fromEntries(COMPARED.map((h) => [h, served.headers.get(h)]));
        const fromNginx = nginxHeaders({
          OIDC_ISSUER: c.issuer,
          OIDC_CLIENT_ID: 'todo-ui',
          API_URL: c.apiUrl,
          WEB_CONNECT_ORIGINS: c.extra.join(','),
        });
        expect(fromNginx).toEqual(fromNode);
        expect(fromNginx['content-security-policy']).toContain("script-src 'self';");
      } finally {
        await web.close();
      }
    });
  }

  it('every nginx location that adds a header includes them (add_header is not inherited then)', () => {
    const locations = [...nginx.matchAll(/location ([^{]+)\{([^}]*)\}/g)];
    expect(locations.length).toBeGreaterThanOrEqual(3);
    for (const [, where, body] of locations) {
      if (body?.includes('add_header')) expect(body, String(where)).toContain(INCLUDE);
    }
    expect(nginx.match(/location \/ \{[^}]*\}/)?.[0]).toContain(INCLUDE);
    // One source: the generated file, never a second, hand-written policy here.
    expect(nginx).not.toMatch(/add_header Content-Security-Policy/);
  });

  it('index.html is never stored, as serve.mjs sends it, whichever path the app is opened at', () => {
    // try_files ends in an internal redirect to /index.html, and index resolves / to it: both
    // land in the exact-match location, so every way of reaching the page gets its headers.
    const page = nginx.match(/location = \/index\.html \{([^}]*)\}/)?.[1];
    expect(page).toContain('add_header Cache-Control "no-store" always;');
    expect(page).toContain(INCLUDE);
    expect(nginx.match(/location \/ \{[^}]*\}/)?.[0]).toContain(
      'try_files $uri $uri/ /index.html;',
    );
  });

  it('refuses an extra connect origin that is not an http(s) URL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'todo-sso-web-headers-'));
    const result = spawnSync('sh', [script], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        TODO_SSO_CONFIG_DIR: dir,
        OIDC_ISSUER: 'http://localhost:8080/realms/todo-app',
        OIDC_CLIENT_ID: 'todo-ui',
        API_URL: 'http://localhost:8000',
        WEB_CONNECT_ORIGINS: "'unsafe-inline'",
      },
      encoding: 'utf8',
    });
    rmSync(dir, { recursive: true, force: true });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/WEB_CONNECT_ORIGINS/);
  });
});
