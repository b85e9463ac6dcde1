import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm run idp` reads its port and token lifetime from the environment: a value it cannot use
 * stops it before it binds or writes keys, with one line that names the variable, the range it
 * accepts and the value given.
 */
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'idp-cli-config-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function start(extra: Record<string, string>) {
  return spawnSync(process.execPath, [cli], {
    encoding: 'utf8',
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, ...extra },
    timeout: 20_000,
  });
}

describe('npm run idp with a value it cannot use', () => {
  it.each([
    [
      'PORT',
      '70000',
      'PORT must be a TCP port (0: any free one), an integer from 0 to 65535, got "70000"',
    ],
    [
      'PORT',
      '80.5',
      'PORT must be a TCP port (0: any free one), an integer from 0 to 65535, got "80.5"',
    ],
    [
      'PORT',
      '0x50',
      'PORT must be a TCP port (0: any free one), an integer from 0 to 65535, got "0x50"',
    ],
    [
      'ACCESS_TOKEN_LIFESPAN',
      '0',
      'ACCESS_TOKEN_LIFESPAN must be a lifetime in seconds, an integer from 1 to 86400, got "0"',
    ],
    [
      'ACCESS_TOKEN_LIFESPAN',
      '1e3',
      'ACCESS_TOKEN_LIFESPAN must be a lifetime in seconds, an integer from 1 to 86400, got "1e3"',
    ],
    [
      'ACCESS_TOKEN_LIFESPAN',
      '90000',
      'ACCESS_TOKEN_LIFESPAN must be a lifetime in seconds, an integer from 1 to 86400, got "90000"',
    ],
    [
      'IDP_PUBLIC_URL',
      'sso.example.com',
      'IDP_PUBLIC_URL must be the http:// or https:// URL clients reach the provider at, with no query or fragment (e.g. https://sso.example.com), got "sso.example.com"',
    ],
    [
      'IDP_PUBLIC_URL',
      'ftp://sso.example.com',
      'IDP_PUBLIC_URL must be the http:// or https:// URL clients reach the provider at, with no query or fragment (e.g. https://sso.example.com), got "ftp://sso.example.com"',
    ],
    [
      'IDP_PUBLIC_URL',
      'https://sso.example.com/?x=1',
      'IDP_PUBLIC_URL must be the http:// or https:// URL clients reach the provider at, with no query or fragment (e.g. https://sso.example.com), got "https://sso.example.com/?x=1"',
    ],
  ])('%s=%s stops it with one line, before anything is written', (name, value, line) => {
    const result = start({ [name]: value });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(`error: ${line}`);
    expect(result.stdout).toBe('');
    expect(readdirSync(dataDir)).toEqual([]);
  });
});
