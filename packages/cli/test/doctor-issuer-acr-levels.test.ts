import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

/**
 * An `OIDC_ISSUERS` entry's own step-up levels (`acrLevels`, `stepUpAcr`, docs/step-up.md):
 * the doctor reads them as the API does, accepting a complete entry and refusing, with the
 * API's message naming the field, levels that leave the admin level of an issuer to a guess.
 * Nothing is fetched (every fetch fails): the configuration is read before any provider.
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'todo-doctor-acr-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function doctor(entry: object) {
  const out: string[] = [];
  const err: string[] = [];
  const issuer = { issuer: 'http://127.0.0.1:9/realms/todo-app', ...entry };
  const code = await main(['doctor'], {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    env: {
      TODO_CONFIG_DIR: join(dir, 'config'),
      DATA_DIR: join(dir, 'data'),
      OIDC_ISSUERS: JSON.stringify([issuer]),
    },
    fetch: async () => {
      throw new TypeError('no network in this test');
    },
    now: Date.now,
    sleep: async () => {},
    openBrowser: async () => false,
  });
  return { code, text: [...out, ...err].join('\n') };
}

describe('todo doctor and per-issuer step-up levels', () => {
  it('refuses levels without the admin level, naming the entry field as the API does', async () => {
    const result = await doctor({ acrLevels: 'bronze,gold' });
    expect(result.code).not.toBe(0);
    expect(result.text).toContain(
      "The API configuration is invalid: OIDC_ISSUERS[0].stepUpAcr: is needed: STEP_UP_ACR (mfa) is not one of this entry's acrLevels (bronze, gold)",
    );
  });

  it('reads a complete entry and goes on to the provider', async () => {
    const result = await doctor({ acrLevels: 'bronze,gold', stepUpAcr: 'gold' });
    expect(result.text).not.toContain('configuration is invalid');
    expect(result.text).toContain('127.0.0.1:9');
  });
});
