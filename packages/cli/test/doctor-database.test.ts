import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDatabase } from '@todo-sso/api';
import { startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

/**
 * `npm run doctor` in the API's environment checks the PostgreSQL of DATABASE_URL too: the API
 * migrates it at start, so a wrong password or a missing database stops the API before any
 * token is looked at, and a doctor that said "No problems found" would send the operator to a
 * failed start. Against the PostgreSQL the API tests use (skipped without one).
 */
const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://todo_sso:todo_sso@127.0.0.1:5432/todo_sso_test';
const available = (await checkDatabase(TEST_DATABASE_URL, 2000)) === undefined;
if (!available && process.env.REQUIRE_POSTGRES === '1')
  throw new Error(`REQUIRE_POSTGRES=1 but ${TEST_DATABASE_URL} cannot be used`);

let idp: TestIssuer;
let dir: string;
beforeAll(async () => {
  idp = await startTestIssuer();
  dir = await mkdtemp(join(tmpdir(), 'todo-doctor-db-'));
});
afterAll(async () => {
  await idp?.close();
  await rm(dir, { recursive: true, force: true });
});

async function doctor(databaseUrl: string, ...args: string[]) {
  const out: string[] = [];
  const code = await main(['doctor', ...args], {
    out: (text) => out.push(text),
    err: () => {},
    env: {
      TODO_CONFIG_DIR: join(dir, 'config'),
      DATABASE_URL: databaseUrl,
      OIDC_ISSUER: idp.issuer,
      API_PUBLIC_URL: 'https://api.example.com',
      OIDC_CLIENT_ID: 'todo-api',
      OIDC_CLIENT_SECRET: 'todo-api-secret',
    },
    fetch: (...a) => globalThis.fetch(...a),
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    openBrowser: async () => false,
  });
  return { code, out: out.join('\n') };
}

function withUrl(change: (url: URL) => void): string {
  const url = new URL(TEST_DATABASE_URL);
  change(url);
  return url.toString();
}

describe.skipIf(!available)('todo doctor and the API database', () => {
  it('says the database is fine when the API could start on it', async () => {
    const { code, out } = await doctor(TEST_DATABASE_URL);
    const { hostname, port, pathname } = new URL(TEST_DATABASE_URL);
    expect(out).toContain(`database  ok (${hostname}:${port || 5432}${pathname})`);
    // Whatever state the shared test database is in, the schema is in words against this release.
    expect(out).toMatch(/^ {2}schema {4}(empty: |up to date \(|\d+ of \d+ migrations pending )/m);
    expect(out).toMatch(/^ {2}writes {4}allowed for the user \S+$/m);
    expect(out).toMatch(/No problems found: the API would accept this setup\.$/);
    expect(code).toBe(0);
  });

  it('a wrong password is a problem, named with the part of DATABASE_URL to check', async () => {
    const url = withUrl((u) => (u.password = 'hunter2-wrong'));
    const { code, out } = await doctor(url);
    expect(code).toBe(1);
    expect(out).toMatch(/^database {2}cannot be used \(/m);
    expect(out).toContain('✗ database_unusable (the API does not start)');
    expect(out).toMatch(
      /password authentication failed for user ".+"; check the user name and password in DATABASE_URL/,
    );
    expect(out).toMatch(/1 problem found: the API would refuse this setup\.$/);
    expect(out).not.toContain('hunter2');
  });

  it('a CA file DATABASE_URL names that does not exist is a problem, not a crash', async () => {
    const url = withUrl((u) => {
      u.password = 'hunter2-secret';
      u.search = '?sslmode=verify-full&sslrootcert=/nonexistent/todo-ca.pem';
    });
    const { code, out } = await doctor(url);
    expect(code).toBe(1);
    expect(out).toContain('✗ database_unusable (the API does not start)');
    expect(out).toMatch(/no such file or directory, open '\/nonexistent\/todo-ca\.pem'/);
    expect(out).toMatch(/sslrootcert, sslcert or sslkey/);
    expect(out).not.toContain('hunter2');
  });

  it('a missing database, in --json too', async () => {
    const url = withUrl((u) => (u.pathname = '/todo_sso_doctor_missing'));
    const { code, out } = await doctor(url, '--json');
    expect(code).toBe(1);
    const report = JSON.parse(out) as { ok: boolean; database: { problem: string } };
    expect(report.ok).toBe(false);
    expect(report.database.problem).toMatch(
      /database "todo_sso_doctor_missing" does not exist; create it/,
    );
  });
});
