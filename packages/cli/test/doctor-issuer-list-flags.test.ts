import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

/**
 * `--audience` and `--provider` stand in for OIDC_AUDIENCE and OIDC_PROVIDER, which the API
 * refuses beside OIDC_ISSUERS. Given on the command line while the environment lists its issuers
 * in OIDC_ISSUERS, they are a usage error naming the flag and what to do, not "The API
 * configuration is invalid: OIDC_AUDIENCE is not read when OIDC_ISSUERS is set … unset
 * OIDC_AUDIENCE", a variable nobody set.
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'todo-doctor-flags-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function doctor(env: Record<string, string>, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['doctor', ...args], {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    env: { TODO_CONFIG_DIR: join(dir, 'config'), ...env },
    // Nothing here may reach the network: the flags are refused before any provider is asked.
    fetch: async () => {
      throw new TypeError('no network in this test');
    },
    now: Date.now,
    sleep: async () => {},
    openBrowser: async () => false,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const listed = {
  OIDC_ISSUERS: JSON.stringify([{ issuer: 'http://127.0.0.1:9/realms/todo-app' }]),
  DATA_DIR: 'unused',
};

describe('todo doctor with OIDC_ISSUERS in the environment', () => {
  it.each([
    [['--audience', 'todo-api'], '--audience', 'audience'],
    [['--provider', 'keycloak'], '--provider', 'provider'],
  ])(
    'refuses %j as a usage error naming the flag and the entry field',
    async (args, flag, field) => {
      const result = await doctor(listed, ...args);
      expect(result.code).toBe(2);
      expect(result.err).toContain(`${flag} cannot be used while OIDC_ISSUERS is set`);
      expect(result.err).toContain(`"${field}"`);
      expect(result.err).not.toMatch(/unset OIDC_(AUDIENCE|PROVIDER)/);
    },
  );
});
