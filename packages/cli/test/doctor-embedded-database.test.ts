import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateToLatest, openDatabase } from '@todo-sso/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineDoctor } from './support/offline-doctor.js';

/**
 * `npm run doctor` and the API's embedded SQLite file (no DATABASE_URL): the doctor says what
 * the API would find there (the schema against this release, whether it can write), and with an
 * issuer elsewhere that the API refuses to start on it (config/warnings.ts), instead of "No
 * problems found". The provider is never reached (every fetch fails here): the database lines do
 * not depend on it.
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'todo-doctor-embedded-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const doctor = (env: Record<string, string>, ...args: string[]) => offlineDoctor(dir, env, ...args);

const REMOTE = 'https://sso.example.com/realms/todo-app';

describe('todo doctor and the embedded SQLite database', () => {
  it('the API’s own environment: the file, its schema against this release, and writes', async () => {
    const data = join(dir, 'local');
    const file = join(data, 'todo.db');
    const fresh = await doctor({
      OIDC_ISSUER: 'http://127.0.0.1:9/realms/todo-app',
      DATA_DIR: data,
    });
    expect(fresh.out).toContain(`database  ok (SQLite ${file})`);
    expect(fresh.out).toContain(
      '  schema    not created yet: the API creates the file and its tables when it starts',
    );
    const db = openDatabase({ kind: 'sqlite', file });
    const [latest] = (await migrateToLatest(db)).slice(-1);
    await db.close();
    const migrated = await doctor({
      OIDC_ISSUER: 'http://127.0.0.1:9/realms/todo-app',
      DATA_DIR: data,
    });
    expect(migrated.out).toContain(`  schema    up to date (${latest})\n  writes    allowed`);
    expect(migrated.out).not.toMatch(/✗ database_/);
  });

  it('an issuer elsewhere without DATABASE_URL is a problem that names the way out', async () => {
    const { code, out } = await doctor({ OIDC_ISSUER: REMOTE });
    expect(code).toBe(1);
    expect(out).toContain(`database  cannot be used (SQLite ${join(dir, 'data', 'todo.db')})`);
    expect(out).toContain('✗ database_embedded (the API does not start)');
    expect(out).toMatch(
      /DATABASE_URL is not set but the issuer https:\/\/sso\.example\.com\/realms\/todo-app is not on this machine: .*ALLOW_SQLITE=true/,
    );
    // The doctor looks; it creates nothing.
    expect(await readdir(dir)).toEqual(['local']);
    const json = await doctor({ OIDC_ISSUER: REMOTE }, '--json');
    expect(JSON.parse(json.out).database).toMatchObject({ code: 'database_embedded' });
  });

  it('ALLOW_SQLITE=true, or a provider checked with --issuer, is not that problem', async () => {
    for (const run of [
      await doctor({ OIDC_ISSUER: REMOTE, ALLOW_SQLITE: 'true' }),
      await doctor({}, '--issuer', REMOTE),
    ]) {
      expect(run.out).not.toContain('database_embedded');
    }
    // A provider named on the command line is checked from anywhere: no database then.
    expect((await doctor({}, '--issuer', REMOTE)).out).not.toMatch(/^database /m);
  });

  it('NODE_ENV=production on SQLite is printed as the API prints it: a warning', async () => {
    const { out } = await doctor({ NODE_ENV: 'production' });
    expect(out).toMatch(/^warning: NODE_ENV is production but DATABASE_URL is not set: /m);
    expect(out).not.toContain('database_embedded');
  });
});
