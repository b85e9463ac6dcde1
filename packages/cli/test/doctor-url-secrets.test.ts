import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

/**
 * `todo doctor` output (text and --json) reaches terminals, tickets and CI logs: a URL it names
 * is shown without user information (a password) or query (a token), as the API's own
 * configuration messages show them. Real HTTP to a test issuer.
 */
let idp: TestIssuer;
let dir: string;
beforeAll(async () => {
  idp = await startTestIssuer();
  dir = await mkdtemp(join(tmpdir(), 'todo-doctor-url-'));
});
afterAll(async () => {
  await idp?.close();
  await rm(dir, { recursive: true, force: true });
});

async function doctor(discoveryUrl: string, ...args: string[]) {
  const out: string[] = [];
  const code = await main(['doctor', ...args], {
    out: (text) => out.push(text),
    err: (text) => out.push(text),
    env: {
      TODO_CONFIG_DIR: join(dir, 'config'),
      OIDC_ISSUER: idp.issuer,
      OIDC_DISCOVERY_URL: discoveryUrl,
      API_PUBLIC_URL: 'https://api.example.com',
    },
    fetch: (...a) => globalThis.fetch(...a),
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    openBrowser: async () => false,
  });
  return { code, out: out.join('\n') };
}

describe('todo doctor and the secrets in a URL', () => {
  it.each([
    ['a password', 'http://ops:hunter2-secret@127.0.0.1:1/realms/todo-app'],
    ['a token in the query', 'http://127.0.0.1:1/realms/todo-app?token=hunter2-secret'],
  ])('an unreachable OIDC_DISCOVERY_URL with %s: named without it', async (_, url) => {
    for (const args of [[], ['--json']]) {
      const { code, out } = await doctor(url, ...args);
      expect(code).toBe(1);
      expect(out).toContain('127.0.0.1:1');
      expect(out).not.toContain('hunter2');
    }
  });
});
