import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { AdminClientUnavailable } from '../src/admin-idp/client-module.js';
import { idpError } from '../src/admin-idp/errors.js';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'api-start-loading-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/**
 * Records every module a start of the API loads: ES modules through a resolve hook (which runs
 * on the loader's thread and reports over a port), CommonJS ones from the require cache.
 */
const HOOKS = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  port.postMessage(resolved.url);
  return resolved;
}`;
const SCRIPT = `
import { register, createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const urls = [];
port1.on('message', (url) => urls.push(url));
port1.unref();
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOKS)}), {
  data: { port: port2 },
  transferList: [port2],
});
const api = await import(${JSON.stringify(dist)});
const context = await api.createContext(api.loadConfig({
  OIDC_ISSUER: 'http://127.0.0.1:9/realms/todo-app',
  OIDC_CLIENT_ID: 'todo-api',
  OIDC_CLIENT_SECRET: 'secret',
  DATA_DIR: process.env.TEST_DATA_DIR,
  LOG_LEVEL: 'silent',
}));
const app = await api.buildApp(context);
await new Promise((r) => setTimeout(r, 100));
const required = Object.keys(createRequire(import.meta.url).cache);
process.stdout.write(JSON.stringify({
  adminConfigured: context.idpAdmin.service !== undefined,
  modules: [...urls, ...required],
}));
await app.close();
await context.close();
`;

it('an API on SQLite starts without loading the PostgreSQL driver or the Keycloak admin client', () => {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    encoding: 'utf8',
    env: { ...process.env, TEST_DATA_DIR: dataDir },
    timeout: 60_000,
  });
  expect(run.stderr).toBe('');
  const { adminConfigured, modules } = JSON.parse(run.stdout) as {
    adminConfigured: boolean;
    modules: string[];
  };
  // The admin API is configured (Keycloak profile, credentials): only its library waits.
  expect(adminConfigured).toBe(true);
  // Both kinds of module are seen: an ES module dependency and a CommonJS one.
  expect(modules.some((m) => m.includes('/node_modules/kysely/'))).toBe(true);
  expect(modules.some((m) => m.includes('/node_modules/fastify/lib/'))).toBe(true);
  expect(modules.filter((m) => /\/node_modules\/(pg|pg-pool|pg-protocol)\//.test(m))).toEqual([]);
  expect(modules.filter((m) => /\/node_modules\/@keycloak\//.test(m))).toEqual([]);
}, 60_000);

it('an admin client library that cannot be loaded is a 503 saying so, not a 500', () => {
  const cause = new Error("Cannot find package '@keycloak/keycloak-admin-client'");
  const answered = idpError(new AdminClientUnavailable(cause), 'Listing users', false);
  expect(answered.status).toBe(503);
  expect(answered.code).toBe('idp_unavailable');
  expect(answered.message).toBe(
    "Listing users: the Keycloak admin client library cannot be loaded (Cannot find package '@keycloak/keycloak-admin-client')",
  );
});
