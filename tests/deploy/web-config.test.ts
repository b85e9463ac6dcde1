/**
 * The web image's `/config.json` writer.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deploy } from './support.js';

describe('web run-time configuration', () => {
  const script = join(deploy, 'docker/web-config.sh');
  const nginx = readFileSync(join(deploy, 'docker/web-nginx.conf'), 'utf8');
  const hasSh = spawnSync('sh', ['-c', 'exit 0']).status === 0;

  const write = (env: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'todo-sso-web-'));
    const result = spawnSync('sh', [script], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TODO_SSO_CONFIG_DIR: dir, ...env },
      encoding: 'utf8',
      timeout: 10_000,
    });
    const file = join(dir, 'config.json');
    const json = existsSync(file) ? readFileSync(file, 'utf8') : null;
    rmSync(dir, { recursive: true, force: true });
    return { status: result.status, stderr: result.stderr, json };
  };
  const valid = {
    OIDC_ISSUER: 'http://localhost:9000/application/o/todo-app/',
    OIDC_CLIENT_ID: 'todo-ui',
    API_URL: 'https://api.todo.example.com',
  };

  it('nginx serves /config.json from the folder the script writes and listens on 8080', () => {
    expect(nginx).toMatch(/location = \/config\.json \{\s*alias \/tmp\/todo-sso\/config\.json;/);
    expect(readFileSync(script, 'utf8')).toContain(
      `out_dir=\${TODO_SSO_CONFIG_DIR:-/tmp/todo-sso}`,
    );
    expect(nginx).toMatch(/listen 8080;/);
    expect(nginx).toMatch(/try_files \$uri \$uri\/ \/index\.html;/);
  });

  it.skipIf(!hasSh)('writes issuer, clientId and apiUrl from the environment as JSON', () => {
    const { status, json } = write(valid);
    expect(status).toBe(0);
    expect(JSON.parse(json ?? 'null')).toEqual({
      issuer: 'http://localhost:9000/application/o/todo-app/',
      clientId: 'todo-ui',
      apiUrl: 'https://api.todo.example.com',
    });
  });

  it.skipIf(!hasSh).each([
    ['a quote that would break out of the JSON string', { OIDC_ISSUER: 'http://x","apiUrl":"y' }],
    ['a backslash', { OIDC_CLIENT_ID: 'todo\\ui' }],
    ['a non-http issuer', { OIDC_ISSUER: 'javascript:alert(1)' }],
    ['an empty client id', { OIDC_CLIENT_ID: '' }],
    ['a newline', { API_URL: 'http://a\nb' }],
    // /config.json and the CSP header go to every browser: a password there would be published.
    ['a password in the API URL', { API_URL: 'https://ops:hunter2@api.example.com' }],
    ['a user name in the issuer', { OIDC_ISSUER: 'https://hunter2@sso.example.com/realms/a' }],
    // A semicolon would end connect-src and start a directive of the URL's choosing.
    ['a semicolon', { API_URL: 'https://api.example.com;sandbox' }],
    ['a key in a URL that is not http', { API_URL: 'api.example.com/?api_key=hunter2' }],
  ])('refuses to start on %s and writes nothing', (_what, override) => {
    const { status, stderr, json } = write({ ...valid, ...override });
    expect(status).not.toBe(0);
    expect(stderr).toMatch(/^todo-sso web: (OIDC_ISSUER|OIDC_CLIENT_ID|API_URL) /);
    expect(json).toBeNull();
    // The line reaches the container's log: no password or key from the value.
    expect(stderr).not.toContain('hunter2');
  });
});
